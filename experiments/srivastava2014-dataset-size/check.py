#!/usr/bin/python3
"""Srivastava et al. 2014, section 7.4 (Figure 10): dropout's gain against training-set size.

Reads the results of TIER.yaml, prints the test error with and without dropout per size next to
the paper's description, and checks:
  1. little or no gain at the smallest sizes: at each of the two smallest sizes the gain (error
     without dropout minus error with dropout) is at most 1.5 percentage points;
  2. a gain at medium sizes: the gain is positive at every size from 1,000 to 10,000 present;
  3. the gain grows from small to medium sizes: the mean gain over the medium sizes exceeds
     the mean gain over the two smallest (single small-set cells move by 1-3 points with the
     batch size and epochs, README.md).
The direction of the effect is checked, not its size: at the smoke scale the medium-size gains
are 0.4-0.6 points (README.md).
Test errors are per cell the mean over its last 5 epochs (steadier than the last epoch alone).

    /usr/bin/python3 experiments/srivastava2014-dataset-size/check.py [--tier smoke|full]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER = {100: "no gain (dropout no better)", 500: "no gain", 1000: "gain",
         5000: "gain (largest near here)", 10000: "gain", 50000: "smaller gain"}
SMALL_MAX = 0.015


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    df = res.summary.copy()
    df["size"] = df["data.train_size"].astype(int)
    df["dropout"] = df.regularizers.str.contains("dropout")
    df["test_err"] = 1.0 - res.tail_mean(df, "test_accuracy", 5)
    rows, gains = [], {}
    for size in sorted(df["size"].unique()):
        a = df[(df["size"] == size) & ~df.dropout]
        b = df[(df["size"] == size) & df.dropout]
        err_a = float(a.test_err.mean()) if len(a) else float("nan")
        err_b = float(b.test_err.mean()) if len(b) else float("nan")
        gains[size] = err_a - err_b
        rows.append([size, PAPER.get(size, ""), common.pct(err_a), common.pct(err_b),
                     f"{100 * gains[size]:+.2f}", len(a) + len(b)])
    common.print_table(f"{args.tier} tier: test error % against training-set size",
                       ["train size", "paper (Fig. 10)", "no dropout", "dropout",
                        "gain (points)", "cells"], rows)

    claims = common.Claims(args.tier)
    sizes = sorted(gains)
    small = sizes[:2]
    for s in small:
        claims.check(gains[s] <= SMALL_MAX, f"little or no gain at {s} samples",
                     f"gain {100 * gains[s]:+.2f} points (needs <= {100 * SMALL_MAX:.1f})")
    medium = [s for s in sizes if 1000 <= s <= 10000]
    if medium:
        claims.check(all(gains[s] > 0 for s in medium), "a gain at medium sizes",
                     ", ".join(f"{100 * gains[s]:+.2f} points at {s}" for s in medium)
                     + " (needs > 0 at each)")
        g_small = sum(gains[s] for s in small) / len(small)
        g_medium = sum(gains[s] for s in medium) / len(medium)
        claims.check(g_medium > g_small, "the gain grows from small to medium sizes",
                     f"mean gain {100 * g_medium:+.2f} points at {medium} vs "
                     f"{100 * g_small:+.2f} at {small}")
    else:
        claims.check(False, "a gain at medium sizes", "no size between 1,000 and 10,000")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
