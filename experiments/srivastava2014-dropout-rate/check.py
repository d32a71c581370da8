#!/usr/bin/python3
"""Srivastava et al. 2014, section 7.3: effect of the retention probability p.

Reads the results of TIER.yaml (n fixed) and TIER-fixed-pn.yaml (p*n fixed), prints train and
test error against p next to the paper's reading of its Figure 9, and checks:
  1. training error rises as p falls (Spearman rank correlation of p and training error <= -0.9);
  2. test error is roughly flat for 0.4 <= p <= 0.8 (max - min <= 3 percentage points);
  3. test error at p = 0.1 is worse than the best of 0.4 <= p <= 0.8 by more than 3 points.
The fixed p*n sweep is reported (where its best p lies), not checked.

    /usr/bin/python3 experiments/srivastava2014-dropout-rate/check.py [--tier smoke|full]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = "regularizers[0].rate"
# The paper's Figure 9 is a plot; its text states the shape (no table of values).
PAPER_A = {0.1: "underfits (highest test error)", 0.4: "flat", 0.5: "flat", 0.6: "flat",
           0.7: "flat", 0.8: "flat", 0.9: "slightly worse"}
PAPER_B = {0.6: "best (near 0.6)"}


def per_p(res):
    df = res.summary.copy()
    df["p"] = (1.0 - df[RATE].astype(float)).round(3)
    g = df.groupby("p", sort=True).agg(train_acc=("final_train_accuracy", "mean"),
                                       test_acc=("final_test_accuracy", "mean"),
                                       seeds=("seed", "count"))
    g["train_err"] = 1.0 - g.train_acc
    g["test_err"] = 1.0 - g.test_acc
    if "model.hidden" in df.columns:
        g["hidden"] = df.groupby("p", sort=True)["model.hidden"].first()
    return g


def run():
    args = common.parse_args(__doc__, HERE)
    name = args.tier
    fixed_n = per_p(common.load(args, name))
    rows = [[f"{p:.1f}", PAPER_A.get(round(p, 1), ""), common.pct(r.train_err),
             common.pct(r.test_err), int(r.seeds)] for p, r in fixed_n.iterrows()]
    common.print_table(f"(a) fixed n, {args.tier} tier: error % against retention p",
                       ["p", "paper (Fig. 9a)", "train err % (ours)", "test err % (ours)",
                        "seeds"], rows)
    fixed_pn = None
    if f"{name}-fixed-pn" in args.files and os.path.exists(args.files[f"{name}-fixed-pn"]):
        fixed_pn = per_p(common.load(args, f"{name}-fixed-pn"))
        rows = [[f"{p:.1f}", r.get("hidden", ""), PAPER_B.get(round(p, 1), ""),
                 common.pct(r.train_err), common.pct(r.test_err)]
                for p, r in fixed_pn.iterrows()]
        common.print_table(f"(b) fixed p*n, {args.tier} tier", ["p", "hidden", "paper (Fig. 9b)",
                                                                 "train err %", "test err %"],
                           rows)

    claims = common.Claims(args.tier)
    rho = common.spearman(fixed_n.index, fixed_n.train_err)
    claims.check(rho <= -0.9, "training error rises as p falls",
                 f"Spearman(p, train error) = {rho:.3f} (needs <= -0.9)")
    mid = fixed_n[(fixed_n.index >= 0.4 - 1e-9) & (fixed_n.index <= 0.8 + 1e-9)]
    spread = mid.test_err.max() - mid.test_err.min()
    claims.check(len(mid) >= 3 and spread <= 0.03, "test error roughly flat for 0.4 <= p <= 0.8",
                 f"spread {100 * spread:.2f} points over {len(mid)} values of p (needs <= 3)")
    if 0.1 in fixed_n.index:
        low = fixed_n.loc[0.1].test_err
        claims.check(low >= mid.test_err.min() + 0.03, "test error worse at p = 0.1",
                     f"{100 * low:.2f} % vs best {100 * mid.test_err.min():.2f} % in [0.4, 0.8]")
    else:
        claims.check(False, "test error worse at p = 0.1", "no cell with p = 0.1")
    if fixed_pn is not None and len(fixed_pn):
        best = fixed_pn.test_err.idxmin()
        claims.info("fixed p*n: best p", f"{best:.1f} (paper: near 0.6)")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
