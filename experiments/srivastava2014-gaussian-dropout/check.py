#!/usr/bin/python3
"""Srivastava et al. 2014, Table 10: Bernoulli dropout against Gaussian dropout (same variance).

Reads the results of TIER.yaml, prints the mean +- standard deviation of the test error of each
arm over its seeds next to the paper's, the paired difference on matched seeds, and
`reglab report` (paired t-test and Wilcoxon test against the Bernoulli arm). Checks:
  1. Gaussian dropout is at least as good as Bernoulli dropout within noise, as a paired
     non-inferiority test: the upper end of the 95% t confidence interval of the mean paired
     difference of test error (Gaussian minus Bernoulli, matched seeds) is below a margin of
     1 percentage point;
  2. every arm has at least 5 complete seeds (a mean +- std needs replicates).

    /usr/bin/python3 experiments/srivastava2014-gaussian-dropout/check.py [--tier smoke|full]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MARGIN = 0.01  # non-inferiority margin on the test error (fraction)
PAPER = {"dropout": ("Bernoulli dropout", "1.08 +- 0.04"),
         "gaussian_dropout": ("Gaussian dropout", "0.95 +- 0.04")}


def t975(df):
    from scipy.stats import t
    return float(t.ppf(0.975, df))


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    df = res.summary
    rows = []
    err = {}
    for key, (label, paper) in PAPER.items():
        arm = df[df.regularizers == key]
        err[key] = common.by_seed(arm, "final_test_accuracy").rsub(1.0)
        rows.append([label, paper, common.mean_sd(err[key]),
                     common.mean_sd(1.0 - arm.final_train_accuracy), len(arm)])
    common.print_table(f"{args.tier} tier: test error % (mean +- sd over seeds)",
                       ["arm", "paper (MNIST)", "ours test err %", "ours train err %", "seeds"],
                       rows)
    diff, se, p, n = common.paired(err["gaussian_dropout"], err["dropout"])
    upper = diff + t975(n - 1) * se if n >= 2 else float("nan")
    print(f"\npaired difference Gaussian - Bernoulli (test error): {100 * diff:+.3f} points, "
          f"standard error {100 * se:.3f}, 95% CI up to {100 * upper:+.3f}, "
          f"paired t-test p = {p:.3g}, {n} seeds")

    binary = os.path.join(common.REPO, "build", "reglab")
    if os.path.exists(binary):
        print("\nbuild/reglab report (test accuracy, percentage points):\n", flush=True)
        subprocess.run([binary, "report", res.path, "--baseline", "regularizers=dropout",
                        "--format", "markdown"], check=False)

    claims = common.Claims(args.tier)
    counts = {k: len(v) for k, v in err.items()}
    claims.check(min(counts.values()) >= 5, "at least 5 seeds per arm", str(counts))
    claims.check(n >= 2 and upper < MARGIN, "Gaussian dropout at least as good as Bernoulli "
                 f"within {100 * MARGIN:.0f} point (non-inferiority)",
                 f"difference {100 * diff:+.3f} points, 95% CI upper end {100 * upper:+.3f} "
                 f"(needs < {100 * MARGIN:.1f}); paired t-test p = {p:.3g}")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
