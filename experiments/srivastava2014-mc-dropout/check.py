#!/usr/bin/python3
"""Srivastava et al. 2014, section 7.5 and Figure 11: Monte-Carlo model averaging against weight
scaling.

Reads the results of TIER.yaml (one dropout network per seed, evaluated after its last epoch
with weight scaling, `test_accuracy`, and by averaging the predicted probabilities of k sampled
networks, `mc<k>_test_accuracy`), prints the test error of each k next to weight scaling's with
the paired difference over seeds and its 95% t confidence interval, and tests the paper's claims
with thresholds fixed before the run (README.md, "The claims"):
  1. (paper) MC averaging with about k = 50 samples matches weight scaling: the 95% CI of the
     paired difference MC(50) - WS of test error lies within +-10% of weight scaling's mean
     error (a relative equivalence margin);
  2. (paper) with few samples MC is worse: MC(1) - WS > 0, paired t-test p < 0.05;
  3. (paper) the MC error falls as k grows: MC(100) < MC(1), paired t-test p < 0.05;
  4. (paper, reported) beyond k = 50, MC is slightly better than weight scaling but within one
     standard deviation of it: MC(100) - WS is printed with weight scaling's standard deviation
     over seeds (INFO, not a verdict: "slightly" has no threshold in the paper);
  5. (sanity) every cell has all k, at least 5 complete seeds.
Claims 1-3 print REPRODUCED or DIFFERS; an honest DIFFERS does not change the exit code, a
broken run (claim 5) does.

    /usr/bin/python3 experiments/srivastava2014-mc-dropout/check.py [--tier smoke|medium|full]
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
KS = [1, 2, 5, 10, 20, 50, 100]
EQUIVALENCE = 0.10  # claim 1: +-10% of weight scaling's mean test error
ALPHA = 0.05        # claims 2 and 3


def t975(df):
    from scipy.stats import t
    return float(t.ppf(0.975, df))


def final(res, cell_id, metric):
    return float(res.curves(cell_id)[metric].iloc[-1])


def errors(res):
    """Test error by seed: weight scaling ("ws") and each k."""
    df = res.summary
    out = {"ws": common.by_seed(df, "final_test_accuracy").rsub(1.0)}
    for k in KS:
        col = df.cell_id.map(lambda c, k=k: 1.0 - final(res, c, f"mc{k}_test_accuracy"))
        out[k] = col.set_axis(df.seed.astype(int)).astype(float)
    return out


def ci(d, se, n):
    half = t975(n - 1) * se if n >= 2 else float("nan")
    return d - half, d + half


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    err = errors(res)
    ws = err["ws"]
    n_seeds = len(ws)
    rows = [["weight scaling", common.mean_sd(ws), "", "", ""]]
    paired = {}
    for k in KS:
        d, se, p, n = common.paired(err[k], ws)
        lo, hi = ci(d, se, n)
        paired[k] = (d, se, p, n, lo, hi)
        rows.append([f"MC, k = {k}", common.mean_sd(err[k]), f"{100 * d:+.3f}",
                     f"[{100 * lo:+.3f}, {100 * hi:+.3f}]", f"{p:.3g}"])
    common.print_table(f"{args.tier} tier: test error % (mean +- sd over {n_seeds} seeds); "
                       "MC - WS paired over seeds, points",
                       ["estimate", "test err %", "MC - WS", "95% CI", "paired t p"], rows)

    claims = common.Claims(args.tier)
    claims.sanity(n_seeds >= 5 and all(err[k].notna().all() for k in KS),
                  "at least 5 complete seeds, every k recorded", f"{n_seeds} seeds")
    margin = EQUIVALENCE * float(ws.mean())
    _, _, p50, _, lo50, hi50 = paired[50]
    claims.compare(-margin < lo50 and hi50 < margin,
                   "MC with k = 50 matches weight scaling (95% CI of MC - WS within "
                   f"+-{100 * EQUIVALENCE:.0f}% of WS error)",
                   f"CI [{100 * lo50:+.3f}, {100 * hi50:+.3f}] points, margin +-{100 * margin:.3f}")
    d1, _, p1, _, _, _ = paired[1]
    claims.compare(d1 > 0 and p1 < ALPHA, "with k = 1, MC is worse than weight scaling",
                   f"MC(1) - WS {100 * d1:+.3f} points, p = {p1:.3g}")
    d, se, p, n = common.paired(err[100], err[1])
    claims.compare(d < 0 and p < ALPHA, "the MC error falls from k = 1 to k = 100",
                   f"MC(100) - MC(1) {100 * d:+.3f} points, p = {p:.3g}")
    d100 = paired[100][0]
    sd = float(ws.std(ddof=1)) if n_seeds > 1 else math.nan
    claims.info("beyond k = 50 MC is slightly better than WS, within one standard deviation",
                f"MC(100) - WS {100 * d100:+.3f} points; WS standard deviation over seeds "
                f"{100 * sd:.3f} points")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
