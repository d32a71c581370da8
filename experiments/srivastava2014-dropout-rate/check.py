#!/usr/bin/python3
"""Srivastava et al. 2014, section 7.3 (Figure 9): effect of the retention probability p.

Reads the results of TIER.yaml (n fixed) and TIER-fixed-pn.yaml (p*n fixed), prints train and
test error against p (mean +- sd over seeds; a cell's error is the mean of its last 3
evaluations) next to the paper's reading of its Figure 9, and tests the paper's claims with
thresholds fixed before the run (README.md, "The claims"), relative to the errors measured so
that they mean the same at the paper's 1-3 % errors as at ours:
  1. (paper, a) training error rises as p falls: Spearman rank correlation of p and the mean
     training error <= -0.9;
  2. (paper, a) test error is flat for 0.4 <= p <= 0.8: max - min of the mean test error over
     those p <= 15 % of the min;
  3. (paper, a) small p underfits: test error at p = 0.1 >= 1.25 x the best mean test error in
     0.4 <= p <= 0.8, paired over seeds with that p at p < 0.05;
  4. (paper, b) with p*n fixed the best p is near 0.6: the mean test error at p = 0.6 is within
     5 % of the lowest mean test error over the p of the sweep;
  5. (sanity) every p of both sweeps has at least 3 complete seeds, no cell diverged or failed.
Claims 1-4 print REPRODUCED or DIFFERS (an honest disagreement keeps exit code 0); claim 5
failing is a broken run (exit 1).

    /usr/bin/python3 experiments/srivastava2014-dropout-rate/check.py [--tier smoke|medium|full]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = "regularizers[0].rate"
EVALS = 3            # evaluations averaged at the end of each run
FLAT = 0.15          # claim 2: spread <= 15 % of the best error in [0.4, 0.8]
UNDERFIT = 1.25      # claim 3: error at p = 0.1 >= 1.25 x the best in [0.4, 0.8]
NEAR_BEST = 0.05     # claim 4: error at p = 0.6 within 5 % of the lowest
ALPHA = 0.05
# The paper's Figure 9 is a plot; its text states the shape (no table of values).
PAPER_A = {0.1: "underfits (highest test error)", 0.4: "flat", 0.5: "flat", 0.6: "flat",
           0.7: "flat", 0.8: "flat", 0.9: "slightly worse"}
PAPER_B = {0.6: "best (near 0.6)"}


def tail(res, cells, metric):
    def one(cell_id):
        return float(res.curves(cell_id)[metric].dropna().iloc[-EVALS:].mean())
    return cells.cell_id.map(one)


def cells(res):
    """One row per complete cell: p, seed, train and test error (last EVALS evaluations)."""
    df = res.summary.copy()
    df["p"] = (1.0 - df[RATE].astype(float)).round(3)
    df["train_err"] = 1.0 - tail(res, df, "train_accuracy")
    df["test_err"] = 1.0 - tail(res, df, "test_accuracy")
    return df


def per_p(df):
    g = df.groupby("p", sort=True).agg(train_err=("train_err", "mean"),
                                       test_err=("test_err", "mean"), seeds=("seed", "count"))
    if "model.hidden" in df.columns:
        g["hidden"] = df.groupby("p", sort=True)["model.hidden"].first()
    return g


def at(df, p):
    return common.by_seed(df[(df.p - p).abs() < 1e-9], "test_err")


def run():
    args = common.parse_args(__doc__, HERE)
    name = args.tier
    res_a = common.load(args, name)
    cells_a = cells(res_a)
    fixed_n = per_p(cells_a)
    rows = [[f"{p:.1f}", PAPER_A.get(round(p, 1), ""),
             common.mean_sd(cells_a[cells_a.p == p].train_err),
             common.mean_sd(cells_a[cells_a.p == p].test_err), int(r.seeds)]
            for p, r in fixed_n.iterrows()]
    common.print_table(f"(a) fixed n, {args.tier} tier: error % against retention p "
                       f"(mean +- sd over seeds, last {EVALS} evaluations)",
                       ["p", "paper (Fig. 9a)", "train err % (ours)", "test err % (ours)",
                        "seeds"], rows)
    claims = common.Claims(args.tier)
    res_b = common.load(args, f"{name}-fixed-pn")
    cells_b = cells(res_b)
    fixed_pn = per_p(cells_b)
    rows = [[f"{p:.1f}", r.get("hidden", ""), PAPER_B.get(round(p, 1), ""),
             common.mean_sd(cells_b[cells_b.p == p].train_err),
             common.mean_sd(cells_b[cells_b.p == p].test_err), int(r.seeds)]
            for p, r in fixed_pn.iterrows()]
    common.print_table(f"(b) fixed p*n, {args.tier} tier", ["p", "hidden", "paper (Fig. 9b)",
                                                             "train err %", "test err %",
                                                             "seeds"], rows)
    seeds = [int(s) for s in list(fixed_n.seeds) + list(fixed_pn.seeds)]
    incomplete = len(res_a.incomplete) + len(res_b.incomplete)
    claims.sanity(min(seeds) >= 3 and incomplete == 0,
                  "every p of both sweeps has at least 3 complete seeds, no cell diverged",
                  f"seeds per p {min(seeds)}-{max(seeds)}, incomplete cells {incomplete}")

    rho = common.spearman(fixed_n.index, fixed_n.train_err)
    claims.compare(rho <= -0.9, "(a) training error rises as p falls (Spearman <= -0.9)",
                   f"Spearman(p, train error) = {rho:.3f}")
    mid = fixed_n[(fixed_n.index >= 0.4 - 1e-9) & (fixed_n.index <= 0.8 + 1e-9)]
    best_p = float(mid.test_err.idxmin())
    best = float(mid.test_err.min())
    spread = float(mid.test_err.max()) - best
    claims.compare(len(mid) >= 3 and spread <= FLAT * best,
                   f"(a) test error flat for 0.4 <= p <= 0.8 (spread <= {100 * FLAT:.0f} % "
                   "of the best)",
                   f"spread {100 * spread:.2f} points = {100 * spread / best:.1f} % of "
                   f"{100 * best:.2f} % (best p = {best_p:.1f}), {len(mid)} values of p")
    if 0.1 in fixed_n.index:
        low = float(fixed_n.loc[0.1].test_err)
        d, lo, hi, p, n = common.paired_ci(at(cells_a, 0.1), at(cells_a, best_p))
        claims.compare(low >= UNDERFIT * best and p < ALPHA,
                       f"(a) p = 0.1 underfits (test error >= {UNDERFIT} x the best in "
                       "[0.4, 0.8], paired p < 0.05)",
                       f"{100 * low:.2f} % = {low / best:.2f} x {100 * best:.2f} %; "
                       f"difference {100 * d:+.2f} points, 95% CI [{100 * lo:+.2f}, "
                       f"{100 * hi:+.2f}], p = {p:.3g}, {n} seeds")
    else:
        claims.compare(False, "(a) p = 0.1 underfits", "no cell with p = 0.1")
    if 0.9 in fixed_n.index:
        d, lo, hi, p, n = common.paired_ci(at(cells_a, 0.9), at(cells_a, best_p))
        claims.info("(a) p = 0.9 against the best in [0.4, 0.8] (paper: slightly worse)",
                    f"{100 * d:+.2f} points, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}], "
                    f"p = {p:.3g}")
    lowest_p = float(fixed_pn.test_err.idxmin())
    lowest = float(fixed_pn.test_err.min())
    if 0.6 in fixed_pn.index:
        e6 = float(fixed_pn.loc[0.6].test_err)
        d, lo, hi, p, n = common.paired_ci(at(cells_b, 0.6), at(cells_b, lowest_p))
        claims.compare(e6 <= (1.0 + NEAR_BEST) * lowest,
                       f"(b) p*n fixed: best p near 0.6 (error at p = 0.6 within "
                       f"{100 * NEAR_BEST:.0f} % of the lowest)",
                       f"lowest at p = {lowest_p:.1f}: {100 * lowest:.2f} %; p = 0.6: "
                       f"{100 * e6:.2f} % ({100 * (e6 / lowest - 1):+.1f} %); p = 0.6 minus "
                       f"best {100 * d:+.2f} points, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}]")
    else:
        claims.compare(False, "(b) p*n fixed: best p near 0.6", "no cell with p = 0.6")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
