#!/usr/bin/python3
"""Srivastava et al. 2014, Table 10: Bernoulli dropout against Gaussian dropout (same variance).

Reads the results of every configuration of the tier (smoke: smoke.yaml; medium: medium.yaml and
medium-select.yaml; full: full.yaml), prints the mean +- standard deviation of the test error
(last epoch) of each arm over its seeds next to the paper's, the paired difference on matched
seeds with its 95% t confidence interval, and `reglab report` (paired t-test and Wilcoxon test
against the Bernoulli arm). Tests the paper's claim with thresholds fixed before the run
(README.md, "The claims"), once per configuration:
  1. (paper) Gaussian dropout beats Bernoulli dropout: the mean paired difference of test error
     (Gaussian - Bernoulli) is at most -2 % of Bernoulli's mean error (the paper: -12 %), with
     paired t-test p < 0.05;
  2. (sanity) every arm has at least 5 complete seeds and no cell of a chosen setting diverged
     or failed.
Claim 1 prints REPRODUCED or DIFFERS (an honest disagreement keeps exit code 0); claim 2 failing
is a broken run (exit 1).

Protocol: a configuration that also varies a hyper-parameter (medium-select.yaml: the learning
rate) is read as the paper read its runs: each arm's setting is chosen on validation accuracy by
`reglab report --select-by validation_accuracy --within regularizers` (common.selected), and the
table and claims use only the chosen setting's cells.

    /usr/bin/python3 experiments/srivastava2014-gaussian-dropout/check.py [--tier smoke|medium|full]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RELATIVE = 0.02  # claim 1: Gaussian - Bernoulli <= -2 % of Bernoulli's error
ALPHA = 0.05
# regularizers factor -> (arm, paper test error % on MNIST, mean +- sd over 10 seeds)
PAPER = {"dropout+max_norm": ("Bernoulli dropout", "1.08 +- 0.04"),
         "gaussian_dropout+max_norm": ("Gaussian dropout", "0.95 +- 0.04")}


def judge(claims, name, res, tier):
    """The table, the paired difference and claims 1-2 for one configuration's results."""
    df, incomplete = common.chosen_cells(res, claims, name)
    rows = []
    err = {}
    for key, (label, paper) in PAPER.items():
        arm = df[df.regularizers == key]
        err[key] = common.by_seed(arm, "final_test_accuracy").rsub(1.0)
        rows.append([label, paper, common.mean_sd(err[key]),
                     common.mean_sd(1.0 - arm.final_train_accuracy), len(arm)])
    common.print_table(f"{name} ({tier} tier): test error % (last epoch, mean +- sd over seeds)",
                       ["arm", "paper (MNIST)", "ours test err %", "ours train err %", "seeds"],
                       rows)
    gauss, bern = err["gaussian_dropout+max_norm"], err["dropout+max_norm"]
    diff, lo, hi, p, n = common.paired_ci(gauss, bern)
    base = float(bern.mean()) if len(bern) else float("nan")
    print(f"\npaired difference Gaussian - Bernoulli (test error): {100 * diff:+.3f} points "
          f"({100 * diff / base:+.1f} % of Bernoulli's error), 95% CI [{100 * lo:+.3f}, "
          f"{100 * hi:+.3f}], paired t-test p = {p:.3g}, {n} seeds "
          "(paper: -0.13 points, -12 %)")

    binary = os.path.join(common.REPO, "build", "reglab")
    if os.path.exists(binary) and len(res.factors) == 1:
        print("\nbuild/reglab report (final test accuracy, percentage points):\n", flush=True)
        subprocess.run([binary, "report", res.path, "--baseline",
                        "regularizers=dropout+max_norm", "--format", "markdown"], check=False)

    counts = {k: len(v) for k, v in err.items()}
    claims.sanity(min(counts.values()) >= 5 and incomplete == 0,
                  f"[{name}] at least 5 complete seeds per arm, no cell of a chosen setting "
                  "diverged", f"{counts}, incomplete cells in chosen settings {incomplete}")
    claims.compare(n >= 2 and diff <= -RELATIVE * base and p < ALPHA,
                   f"[{name}] Gaussian dropout beats Bernoulli dropout (difference <= "
                   f"-{100 * RELATIVE:.0f} % of Bernoulli's error, paired p < {ALPHA})",
                   f"{100 * diff:+.3f} points = {100 * diff / base:+.1f} % of "
                   f"{100 * base:.2f} %, 95% CI [{100 * lo:+.3f}, {100 * hi:+.3f}], "
                   f"p = {p:.3g}, {n} seeds (paper -0.13 points, -12 %)")


def run():
    return common.judge_each(__doc__, HERE, judge)


if __name__ == "__main__":
    common.main(run)
