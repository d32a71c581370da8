#!/usr/bin/python3
"""Wan, Zeiler, Zhang, LeCun and Fergus 2013, "Regularization of Neural Networks using
DropConnect" (ICML), fully-connected MNIST experiments: no regularizer, dropout and DropConnect
(this study's plugin) on one ReLU network.

Reads the results of TIER.yaml, prints each arm's test and training error (mean +- sd over
seeds) and the paired differences with their 95% t confidence intervals, and tests the paper's
claims with thresholds fixed before the run (README.md, "The claims"), relative to the
unregularized arm's error:
  1. (paper) dropout lowers test error: dropout - none < 0, paired t-test p < 0.05;
  2. (paper) DropConnect lowers test error: DropConnect - none < 0, paired t-test p < 0.05;
  3. (paper) DropConnect is at least as good as dropout: the upper end of the 95% CI of
     DropConnect - dropout is below 5% of the unregularized arm's mean test error;
  4. (sanity) every arm has at least 5 complete seeds, and the DropConnect cells ran the plugin
     (its SHA-256 is in their `plugins` provenance).
Claims 1-3 print REPRODUCED or DIFFERS (a DIFFERS leaves the exit code at 0); claim 4 prints
SANITY or FAIL (exit 1).

    /usr/bin/python3 experiments/wan2013-dropconnect/check.py [--tier smoke|medium|full]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHA = 0.05
NON_INFERIORITY = 0.05  # claim 3: 5% of the unregularized arm's mean test error
ARMS = {"none": "no regularizer", "dropout": "dropout", "dropconnect": "DropConnect"}


def arm_key(value):
    text = str(value)
    if "dropconnect" in text:
        return "dropconnect"
    if "dropout" in text:
        return "dropout"
    return "none"


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    df, err, train = common.arm_errors(res, arm_key, ARMS)
    rows = [[label, common.mean_sd(err[key]), train[key], len(err[key])]
            for key, label in ARMS.items()]
    common.print_table(f"{args.tier} tier: error % (mean +- sd over seeds)",
                       ["arm", "test err %", "train err %", "seeds"], rows)

    def diff(a, b):
        d, _, hi, p, _ = common.print_paired(f"{ARMS[a]} - {ARMS[b]}", err[a], err[b])
        return d, p, hi
    print()
    d_do, p_do, _ = diff("dropout", "none")
    d_dc, p_dc, _ = diff("dropconnect", "none")
    d_cd, _, upper = diff("dropconnect", "dropout")

    claims = common.Claims(args.tier)
    counts = {k: len(v) for k, v in err.items()}
    dc_cells = df[df.arm == "dropconnect"].cell_id
    with_plugin = sum("dropconnect" in res.run_attr(c, "plugins") for c in dc_cells)
    claims.sanity(min(counts.values()) >= 5 and with_plugin == len(dc_cells) > 0,
                  "at least 5 seeds per arm; the DropConnect cells record the plugin",
                  f"seeds {counts}, plugin recorded in {with_plugin} of {len(dc_cells)} cells")
    claims.compare(d_do < 0 and p_do < ALPHA, "dropout lowers test error",
                   f"{100 * d_do:+.3f} points, p = {p_do:.3g}")
    claims.compare(d_dc < 0 and p_dc < ALPHA, "DropConnect lowers test error",
                   f"{100 * d_dc:+.3f} points, p = {p_dc:.3g}")
    margin = NON_INFERIORITY * float(err["none"].mean())
    claims.compare(upper < margin, "DropConnect at least as good as dropout (95% CI upper end "
                   f"below {100 * NON_INFERIORITY:.0f}% of the unregularized error)",
                   f"{100 * d_cd:+.3f} points, upper end {100 * upper:+.3f} "
                   f"(margin {100 * margin:.3f})")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
