#!/usr/bin/python3
"""Li, Chen, Hu and Yang 2019: variance shift between dropout and batch norm, on an MLP.

Reads the results of TIER.yaml: per arm and seed the final test accuracy and, per batch-norm
layer, the final `variance_shift.batch_norm_i` = mean over units of max(v_test / v_run,
v_run / v_test) (1 = no shift). Prints them next to the paper's headline numbers, then the
paired (by seed) differences of test error of (i) dropout before each batch norm against every
other arm, with their 95% t confidence interval and paired t-test p, and judges the claims fixed
before the run (README.md, "The claims"):
  1. (sanity) every arm present with at least 3 complete seeds and its shift recorded;
  2. (sanity) the variance shift of (i) is larger than that of (ii) dropout after the last batch
     norm only, of (iv) batch norm alone and of every (iii) Uout arm (shift averaged over the
     batch-norm layers that follow a noise layer in (i), i.e. all but the first, and over
     seeds). Any correct inverted dropout makes this hold: it is not a finding about the paper;
  3. (paper) (i) loses accuracy against (iv) batch norm alone;
  4. (paper) (i) loses accuracy against the remedy (ii);
  5. (paper) (i) loses accuracy against the remedy (iii), for each Uout beta.
For 3-5, "loses accuracy" means: the mean paired difference of test error, (i) - other, is at
least REL = 5% of the other arm's mean test error, and the paired t-test gives p < 0.05. They
print REPRODUCED or DIFFERS; an honest DIFFERS leaves the exit code at 0, a broken run (1-2)
exits 1.

    /usr/bin/python3 experiments/li2019-variance-shift/check.py [--tier smoke|medium|full]
"""
import os
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FACTOR = "regularizers[1]"
REL = 0.05      # claims 3-5: (i)'s error exceeds the other arm's by >= 5% of that arm's error
ALPHA = 0.05    # claims 3-5: paired t-test
MIN_SEEDS = 3   # claim 1
# Paper (DenseNet-BC on CIFAR-100): 77.42 % test accuracy without dropout, 68.55 % with dropout
# 0.5 in each bottleneck: test error 22.58 % vs 31.45 %, (i) - (iv) = +8.87 points, +39 %.
PAPER_ERR_IV, PAPER_ERR_I = 22.58, 31.45


def label(text):
    r = yaml.safe_load(text)
    if r["name"] == "dropout" and float(r.get("rate", 0.5)) == 0.0:
        return "iv", "(iv) batch norm alone"
    if r["name"] == "dropout" and r.get("layers", "all") == "last":
        return "ii", f"(ii) BN + dropout {r['rate']} after the last BN only"
    if r["name"] == "dropout":
        return "i", f"(i) BN + dropout {r['rate']} before each BN"
    if r["name"] == "uout":
        return f"iii-{r['beta']}", f"(iii) BN + Uout beta {r['beta']}"
    return text, text


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    df = res.summary
    arms = {}
    for text, cells in df.groupby(FACTOR, sort=False):
        key, name = label(text)
        shifts = []  # per seed: {layer: final shift}
        for _, row in cells.iterrows():
            c = res.curves(row.cell_id)
            shifts.append({k.split(".")[1]: float(c[k].iloc[-1]) for k in c
                           if k.startswith("variance_shift.")})
        layers = sorted(shifts[0]) if shifts else []
        per_layer = {lay: float(np.mean([s[lay] for s in shifts])) for lay in layers}
        after = [lay for lay in layers if not lay.endswith("_0")]
        arms[key] = dict(name=name, n=len(cells),
                         err=common.by_seed(cells, "final_test_accuracy").rsub(1.0),
                         gap=cells.final_train_accuracy - cells.final_test_accuracy,
                         per_layer=per_layer,
                         shift=float(np.mean([per_layer[lay] for lay in after])) if after
                         else float("nan"))
    layers = sorted({lay for a in arms.values() for lay in a["per_layer"]})
    rows = [[a["name"], common.mean_sd(a["err"]), common.mean_sd(a["gap"])]
            + [f"{a['per_layer'].get(lay, float('nan')):.4f}" for lay in layers] + [a["n"]]
            for a in arms.values()]
    common.print_table(f"{args.tier} tier: test error and train - test gap % (mean +- sd over "
                       "seeds) and final variance shift per batch-norm layer (1 = none)",
                       ["arm", "test err %", "gap %"] + [f"shift {lay}" for lay in layers]
                       + ["seeds"], rows)
    print(f"\npaper (DenseNet, CIFAR-100): test error {PAPER_ERR_IV:.2f} % without dropout, "
          f"{PAPER_ERR_I:.2f} % with dropout 0.5 in each bottleneck (before batch norm): "
          f"+{PAPER_ERR_I - PAPER_ERR_IV:.2f} points, "
          f"+{100 * (PAPER_ERR_I / PAPER_ERR_IV - 1):.0f} % of the error without dropout")

    claims = common.Claims(args.tier)
    uouts = [k for k in arms if k.startswith("iii")]
    missing = [k for k in ["i", "ii", "iv"] if k not in arms] + ([] if uouts else ["iii"])
    few = {k: a["n"] for k, a in arms.items() if a["n"] < MIN_SEEDS}
    nan = [k for k, a in arms.items() if not np.isfinite(a["shift"])]
    if not claims.sanity(not missing and not few and not nan,
                         f"every arm present, >= {MIN_SEEDS} complete seeds, shift recorded",
                         f"missing {missing}, too few seeds {few}, no shift {nan}"
                         if missing or few or nan else
                         f"{len(arms)} arms, {min(a['n'] for a in arms.values())} seeds or more"):
        return claims.finish()
    others = ["iv", "ii"] + uouts
    shift_i = arms["i"]["shift"]
    claims.sanity(all(shift_i > arms[k]["shift"] for k in others),
                  "variance shift of (i) larger than (iv), (ii) and each (iii)",
                  f"{shift_i:.4f} vs " + ", ".join(f"{k} {arms[k]['shift']:.4f}" for k in others))

    rows = []
    for k in others:
        base = float(arms[k]["err"].mean())
        d, lo, hi, p, n = common.paired_ci(arms["i"]["err"], arms[k]["err"])
        rows.append([f"(i) - {arms[k]['name']}", f"{100 * d:+.3f}",
                     f"[{100 * lo:+.3f}, {100 * hi:+.3f}]", f"{100 * d / base:+.1f} %",
                     f"{p:.3g}", n])
        claims.compare(d >= REL * base and p < ALPHA,
                       f"(i) dropout before BN loses accuracy against {arms[k]['name']} "
                       f"(error +>= {100 * REL:.0f} % of its error, paired p < {ALPHA})",
                       f"(i) - {k} = {100 * d:+.3f} points, 95% CI [{100 * lo:+.3f}, "
                       f"{100 * hi:+.3f}], {100 * d / base:+.1f} % of {100 * base:.2f} %, "
                       f"p = {p:.3g}, {n} seeds")
    common.print_table(f"{args.tier} tier: test error of (i) minus each other arm, paired by "
                       "seed (points); paper (i) - (iv): "
                       f"+{PAPER_ERR_I - PAPER_ERR_IV:.2f} points",
                       ["difference", "mean", "95% CI", "relative", "paired t p", "seeds"], rows)
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
