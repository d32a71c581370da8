#!/usr/bin/python3
"""Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov 2014, "Dropout" (JMLR), Table 4,
CIFAR-10 rows: a convolutional network with max-pooling, then dropout added in its fully
connected layers, then in all layers.

Reads the results of TIER.yaml (three arms: no dropout, dropout in the fully connected layers,
dropout in every layer; max-norm in all three), prints each arm's test and training error
(mean +- sd over seeds) next to the paper's, the paired differences with their 95% t confidence
intervals, and tests the paper's claims with thresholds fixed before the run (README.md, "The
claims"):
  1. (paper, 14.98 -> 14.32 %) dropout in the fully connected layers lowers test error: the
     95% CI of (fc - none) lies below 0;
  2. (paper, 14.32 -> 12.61 %) dropout in all layers lowers it further: the 95% CI of
     (all - fc) lies below 0;
  3. (paper, reported) the relative reductions, against the paper's 4.4 % (fc) and 15.8 % (all)
     of the no-dropout error (INFO: the paper gives one run, no spread);
  4. (sanity) every arm has at least 5 complete seeds (3 in the full tier) and every arm learns
     (test error below 50 %).
Claims 1-2 print REPRODUCED or DIFFERS (a DIFFERS leaves the exit code at 0); claim 4 prints
SANITY or FAIL (exit 1).

    /usr/bin/python3 experiments/srivastava2014-cifar10/check.py [--tier smoke|medium|full]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARMS = {"none": "no dropout", "fc": "dropout in the fully connected layers",
        "all": "dropout in all layers"}
PAPER = {"none": 14.98, "fc": 14.32, "all": 12.61}  # Table 4, CIFAR-10 test error %
MIN_SEEDS = {"smoke": 5, "medium": 5, "full": 3}
LEARNS = 0.5  # claim 4: every arm's mean test error below 50 %


def arm_key(value):
    """The arm of a `regularizers` value: how many dropout layers it holds."""
    n = str(value).count("dropout")
    return {0: "none", 1: "fc"}.get(n, "all")


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    _, err, train = common.arm_errors(res, arm_key, ARMS)
    rows = [[label, f"{PAPER[key]:.2f}", common.mean_sd(err[key]), train[key], len(err[key])]
            for key, label in ARMS.items()]
    common.print_table(f"{args.tier} tier: error % (mean +- sd over seeds); paper: CIFAR-10",
                       ["arm", "paper test err %", "test err %", "train err %", "seeds"], rows)

    def diff(a, b):
        d, _, hi, p, _ = common.print_paired(f"{a} - {b}", err[a], err[b])
        return d, hi, p
    print()
    d_fc, upper_fc, p_fc = diff("fc", "none")
    d_all, upper_all, p_all = diff("all", "fc")

    claims = common.Claims(args.tier)
    counts = {k: len(v) for k, v in err.items()}
    means = {k: float(v.mean()) if len(v) else float("nan") for k, v in err.items()}
    claims.sanity(min(counts.values()) >= MIN_SEEDS[args.tier]
                  and all(m < LEARNS for m in means.values()),
                  f"at least {MIN_SEEDS[args.tier]} seeds per arm, every arm learns "
                  f"(test error < {100 * LEARNS:.0f} %)",
                  f"seeds {counts}, mean test error % "
                  + ", ".join(f"{k} {100 * m:.2f}" for k, m in means.items()))
    claims.compare(upper_fc < 0, "dropout in the fully connected layers lowers test error "
                   "(95% CI of fc - none below 0)",
                   f"{100 * d_fc:+.3f} points, CI upper end {100 * upper_fc:+.3f}, p = {p_fc:.3g}")
    claims.compare(upper_all < 0, "dropout in all layers lowers it further "
                   "(95% CI of all - fc below 0)",
                   f"{100 * d_all:+.3f} points, CI upper end {100 * upper_all:+.3f}, "
                   f"p = {p_all:.3g}")
    base = means["none"]
    paper_fc = 1 - PAPER["fc"] / PAPER["none"]
    paper_all = 1 - PAPER["all"] / PAPER["none"]
    claims.info("relative reduction of the no-dropout error",
                f"fc {100 * (1 - means['fc'] / base):+.1f} % (paper {100 * paper_fc:.1f} %), "
                f"all {100 * (1 - means['all'] / base):+.1f} % (paper {100 * paper_all:.1f} %)")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
