#!/usr/bin/python3
"""Srivastava et al. 2014, section 7.4 (Figure 10): dropout's gain against training-set size.

Reads the results of every configuration of the tier (smoke: smoke.yaml; medium: medium.yaml and
medium-select.yaml; full: full.yaml), prints the test error with and without dropout per size (mean
+- sd over seeds; a cell's error is the mean of its last 3 evaluations) next to the paper's
description, the gain (error without dropout minus error with it, paired over seeds, with its
95% t confidence interval) in points and relative to the error without dropout, and tests the
paper's claims with thresholds fixed before the run (README.md, "The claims"):
  1. (paper) no gain at the smallest size: mean gain <= 2 % of the error without dropout;
  2. (paper) no gain at the second smallest size: the same;
  3. (paper) a gain at medium sizes (1,000 - 10,000 images): over the (size, seed) pairs of
     those sizes, the mean relative gain >= 5 % and a paired t-test of the gains against 0 at
     p < 0.05;
  4. (paper) the gain shrinks again at the largest size (> 10,000 images): its mean gain in
     points <= half the largest mean gain among the medium sizes;
  5. (sanity) every (size, arm) has at least 3 complete seeds, no cell of a chosen setting
     diverged or failed.
Claims 1-4 print REPRODUCED or DIFFERS (an honest disagreement keeps exit code 0); claim 5
failing is a broken run (exit 1). Each configuration is judged on its own.

Protocol: a configuration that also varies a hyper-parameter (medium-select.yaml: the learning
rate) is read as the paper read its runs: for each arm at each size, the setting is chosen on
validation accuracy by `reglab report --select-by validation_accuracy --within
regularizers,data.train_size` (common.selected), and the table and claims use only the chosen
settings' cells.

    /usr/bin/python3 experiments/srivastava2014-dataset-size/check.py [--tier smoke|medium|full]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER = {100: "no gain (dropout slightly worse)", 500: "no gain", 1000: "gain",
         5000: "gain (largest near here)", 10000: "gain", 50000: "smaller gain"}
EVALS = 3          # evaluations averaged at the end of each run
NO_GAIN = 0.02     # claims 1-2: gain <= 2 % of the error without dropout
GAIN = 0.05        # claim 3: relative gain >= 5 %
SHRINK = 0.5       # claim 4: gain at the largest size <= half the medium sizes' largest
ALPHA = 0.05


def tail(res, cells, metric):
    def one(cell_id):
        return float(res.curves(cell_id)[metric].dropna().iloc[-EVALS:].mean())
    return cells.cell_id.map(one)


def judge(claims, name, res, tier):
    """The table and claims 1-5 for one configuration's results."""
    df, incomplete = common.chosen_cells(res, claims, name,
                                         within=("regularizers", "data.train_size"))
    df["size"] = df["data.train_size"].astype(int)
    df["dropout"] = df.regularizers.str.contains("dropout")
    df["test_err"] = 1.0 - tail(res, df, "test_accuracy")
    rows, gain, rel, base, seeds, per_seed_rel = [], {}, {}, {}, {}, {}
    for size in sorted(df["size"].unique()):
        a = common.by_seed(df[(df["size"] == size) & ~df.dropout], "test_err")
        b = common.by_seed(df[(df["size"] == size) & df.dropout], "test_err")
        d, lo, hi, p, n = common.paired_ci(a, b)
        gain[size], base[size], seeds[size] = d, float(a.mean()), min(len(a), len(b))
        rel[size] = d / base[size]
        per_seed_rel[size] = [(a[s] - b[s]) / a[s] for s in sorted(set(a.index) & set(b.index))]
        rows.append([size, PAPER.get(size, ""), common.mean_sd(a), common.mean_sd(b),
                     f"{100 * d:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}]", f"{p:.2g}",
                     f"{100 * rel[size]:+.1f} %", n])
    common.print_table(f"{name} ({tier} tier): test error % against training-set size (mean +- sd "
                       f"over seeds, last {EVALS} evaluations); gain = no dropout - dropout",
                       ["train size", "paper (Fig. 10)", "no dropout", "dropout",
                        "gain, points [95% CI]", "paired p", "gain / no-dropout error",
                        "seeds"], rows)

    sizes = sorted(gain)
    claims.sanity(min(seeds.values()) >= 3 and incomplete == 0,
                  f"[{name}] every (size, arm) has at least 3 complete seeds, no cell of a "
                  "chosen setting diverged",
                  f"seeds per size {seeds}, incomplete cells in chosen settings {incomplete}")
    for s in sizes[:2]:
        claims.compare(gain[s] <= NO_GAIN * base[s],
                       f"[{name}] no gain at {s} images (gain <= {100 * NO_GAIN:.0f} % of the "
                       "error without dropout)",
                       f"gain {100 * gain[s]:+.2f} points = {100 * rel[s]:+.1f} % of "
                       f"{100 * base[s]:.2f} %")
    medium = [s for s in sizes if 1000 <= s <= 10000]
    if medium:
        pooled = np.asarray([r for s in medium for r in per_seed_rel[s]], dtype=float)
        gains = [float(gain[s]) for s in medium]
        # paired t-test of the pooled per-seed gains (in points) against 0
        pts = []
        for s in medium:
            a = common.by_seed(df[(df["size"] == s) & ~df.dropout], "test_err")
            b = common.by_seed(df[(df["size"] == s) & df.dropout], "test_err")
            pts += [a[k] - b[k] for k in sorted(set(a.index) & set(b.index))]
        from scipy import stats
        p = float(stats.ttest_1samp(pts, 0.0).pvalue) if len(pts) >= 2 else float("nan")
        mean_rel = float(pooled.mean()) if len(pooled) else float("nan")
        claims.compare(mean_rel >= GAIN and float(np.mean(pts)) > 0 and p < ALPHA,
                       f"[{name}] a gain at medium sizes {medium} (mean relative gain >= "
                       f"{100 * GAIN:.0f} %, paired p < {ALPHA} over the (size, seed) pairs)",
                       f"mean relative gain {100 * mean_rel:+.1f} %, gains "
                       + ", ".join(f"{100 * g:+.2f}" for g in gains)
                       + f" points, p = {p:.3g}, {len(pts)} pairs")
        large = [s for s in sizes if s > 10000]
        if large:
            s = large[-1]
            peak = max(gains)
            claims.compare(peak > 0 and gain[s] <= SHRINK * peak,
                           f"[{name}] the gain shrinks at {s} images (<= {SHRINK} x the largest "
                           "medium-size gain, in points)",
                           f"{100 * gain[s]:+.2f} points vs {100 * peak:+.2f} at "
                           f"{medium[gains.index(peak)]} ({100 * rel[s]:+.1f} % of "
                           f"{100 * base[s]:.2f} %)")
        else:
            claims.compare(False, f"[{name}] the gain shrinks at large sizes",
                           "no size above 10,000")
    else:
        claims.compare(False, f"[{name}] a gain at medium sizes",
                       "no size between 1,000 and 10,000")


def run():
    return common.judge_each(__doc__, HERE, judge)


if __name__ == "__main__":
    common.main(run)
