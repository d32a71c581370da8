#!/usr/bin/python3
"""Ioffe and Szegedy 2015, section 4.1 (Figure 1): batch norm on a sigmoid MLP.

Reads the step curves of TIER.yaml (test accuracy and the 15th/50th/85th percentiles of one
sigmoid's input every `diagnostics.every_steps` steps), prints them against the step for both
arms (mean over seeds) and tests the paper's claims, each paired over seeds with thresholds
relative to the arm without batch norm (README.md, "The claims"):
  1. (paper) batch norm trains faster: per seed, the steps until the test accuracy first reaches
     T (the arm without batch norm's mean final accuracy minus 2 points); the geometric mean of
     the ratio (with / without) <= 0.8 and a paired t-test of the log steps at p < 0.05;
  2. (paper) batch norm is more accurate early: at the first measurement at or after 10 % of
     training, test error with - without <= -5 % of the error without, paired p < 0.05;
  3. (paper) batch norm ends more accurate ("enjoys the higher test accuracy"): the same on the
     mean of each cell's last 3 measurements;
  4. (paper) the distribution of the sigmoid's input is more stable: for each of p15, p50 and
     p85 the range (max - min over training) with batch norm <= 0.75 x the range without (means
     over seeds), paired p < 0.05;
  5. (paper) it also stays more stable late in training: the change of p50 over the second half,
     the same thresholds as 4;
  6. (sanity) both arms have at least 3 seeds with step curves, no cell diverged or failed.
Claims 1-5 print REPRODUCED or DIFFERS (a disagreement is a result: exit 0); a failed sanity
check exits 1, a missing file 2.

    /usr/bin/python3 experiments/ioffe2015-batch-norm/check.py [--tier smoke|medium|full]
"""
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PCTS = ["p15", "p50", "p85"]


def arm_curves(res, key):
    """Step curves of every seed of one arm, as {seed: DataFrame}."""
    out = {}
    for _, row in res.summary[res.summary.regularizers == key].iterrows():
        c = res.curves(row.cell_id, "step_curves")
        if len(c) == 0 or "test_accuracy" not in c:
            raise common.InputError(f"{res.path}: cell {row.cell_id} has no step test accuracy "
                                    "(diagnostics.step_test_accuracy)")
        c = c.rename(columns=lambda k: k.replace("preact_", "").split(".")[0])
        out[int(row.seed)] = c
    return out


FASTER = 0.8      # claim 1: ratio of steps to T, with / without
RELATIVE = 0.05   # claims 2-3: error difference as a fraction of the error without
STABLER = 0.75    # claims 4-5: ratio of drifts, with / without
ALPHA = 0.05      # every paired t-test
TAIL = 3          # measurements averaged at the end


def steps_to(c, target):
    """The first measured step with test accuracy >= target; a run that never reaches it counts
    as one measurement interval past its last step (so the ratio is a bound, and printed)."""
    hit = c[c.test_accuracy >= target]
    if len(hit):
        return float(hit.step.iloc[0]), True
    return float(c.step.iloc[-1] + (c.step.iloc[-1] - c.step.iloc[-2])), False


def drift(c, col):
    return float(c[col].max() - c[col].min())


def second_half_change(c, col):
    half = c.step.iloc[-1] / 2
    mid = c[c.step >= half].iloc[0][col]
    return float(abs(c[col].iloc[-1] - mid))


def per_seed(arms, fn):
    """{arm: Series indexed by seed} of fn(curves) for every seed of each arm."""
    return {k: pd.Series({seed: fn(c) for seed, c in v.items()}, dtype=float)
            for k, v in arms.items()}


def paired_text(d, lo, hi, p, n, scale=100.0, unit=" points"):
    return (f"{scale * d:+.2f}{unit}, 95% CI [{scale * lo:+.2f}, {scale * hi:+.2f}], "
            f"p = {p:.3g}, {n} seeds")


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    arms = {"none": arm_curves(res, "none"), "batch_norm": arm_curves(res, "batch_norm")}
    if not arms["none"] or not arms["batch_norm"]:
        raise common.InputError(f"{res.path}: needs both arms (none, batch_norm)")
    mean = {k: pd.concat(v.values()).groupby("step").mean() for k, v in arms.items()}

    steps = mean["none"].index.to_numpy()
    show = sorted(set(steps[np.linspace(0, len(steps) - 1, 9).round().astype(int)]))
    rows = []
    for s in show:
        a, b = mean["none"].loc[s], mean["batch_norm"].loc[s]
        rows.append([int(s), common.pct(a.test_accuracy), common.pct(b.test_accuracy),
                     " / ".join(f"{a[p]:+.2f}" for p in PCTS),
                     " / ".join(f"{b[p]:+.2f}" for p in PCTS)])
    common.print_table(f"{args.tier} tier: test accuracy % and sigmoid-input percentiles "
                       f"p15 / p50 / p85 against step (mean of {len(arms['none'])} seeds)",
                       ["step", "acc without BN", "acc with BN", "percentiles without BN",
                        "percentiles with BN"], rows)
    print("\npaper (MNIST, Figure 1): batch norm reaches a higher test accuracy in fewer steps "
          "and its percentiles stay stable; without it they drift (values are plotted only).")

    claims = common.Claims(args.tier)
    seeds = {k: len(v) for k, v in arms.items()}
    claims.sanity(min(seeds.values()) >= 3 and len(res.incomplete) == 0,
                  "both arms have at least 3 seeds with step curves, no cell diverged",
                  f"seeds {seeds}, incomplete cells {len(res.incomplete)}")

    final_err = per_seed(arms, lambda c: 1.0 - float(c.test_accuracy.iloc[-TAIL:].mean()))
    target = 1.0 - float(final_err["none"].mean()) - 0.02
    reach = per_seed(arms, lambda c: steps_to(c, target)[0])
    reached = {k: all(steps_to(c, target)[1] for c in v.values()) for k, v in arms.items()}
    log_d, lo, hi, p, n = common.paired_ci(np.log(reach["batch_norm"]), np.log(reach["none"]))
    ratio = float(np.exp(log_d))
    claims.compare(reached["batch_norm"] and ratio <= FASTER and p < ALPHA,
                   f"batch norm reaches T = {100 * target:.1f} % test accuracy in fewer steps "
                   f"(ratio <= {FASTER}, paired p < {ALPHA} on log steps)",
                   f"ratio {ratio:.2f} (95% CI [{np.exp(lo):.2f}, {np.exp(hi):.2f}]), p = "
                   f"{p:.3g}, {n} seeds; median steps {reach['batch_norm'].median():.0f} with, "
                   f"{reach['none'].median():.0f} without"
                   + ("" if all(reached.values()) else
                      " (a seed never reached T: counted one interval past its last step)"))

    early_step = steps[np.searchsorted(steps, 0.1 * steps[-1])]
    early_err = per_seed(arms, lambda c: 1.0 - float(c.set_index("step")
                                                     .test_accuracy.loc[early_step]))
    for label, err in ((f"more accurate early (step {int(early_step)})", early_err),
                       (f"more accurate at the end (mean of the last {TAIL} measurements)",
                        final_err)):
        base = float(err["none"].mean())
        d, lo, hi, p, n = common.paired_ci(err["batch_norm"], err["none"])
        claims.compare(d <= -RELATIVE * base and p < ALPHA,
                       f"batch norm is {label}: test error difference <= -{100 * RELATIVE:.0f} "
                       f"% of the error without, paired p < {ALPHA}",
                       f"{paired_text(d, lo, hi, p, n)} ({100 * d / base:+.1f} % of "
                       f"{100 * base:.2f} %); test accuracy {100 * (1 - err['batch_norm'].mean()):.2f}"
                       f" % with, {100 * (1 - base):.2f} % without")

    ranges = {p: per_seed(arms, lambda c, p=p: drift(c, p)) for p in PCTS}
    parts, ok = [], True
    for q in PCTS:
        r = ranges[q]
        d, lo, hi, p, n = common.paired_ci(r["batch_norm"], r["none"])
        rel = float(r["batch_norm"].mean() / r["none"].mean())
        ok &= rel <= STABLER and p < ALPHA
        parts.append(f"{q} {r['batch_norm'].mean():.2f} vs {r['none'].mean():.2f} (ratio "
                     f"{rel:.2f}, p = {p:.3g})")
    claims.compare(ok, f"the percentiles drift less with batch norm (each range <= {STABLER} x "
                   f"the range without, paired p < {ALPHA})", "; ".join(parts))

    late = per_seed(arms, lambda c: second_half_change(c, "p50"))
    d, lo, hi, p, n = common.paired_ci(late["batch_norm"], late["none"])
    rel = float(late["batch_norm"].mean() / late["none"].mean())
    claims.compare(rel <= STABLER and p < ALPHA,
                   f"p50 changes less over the second half (<= {STABLER} x, paired p < {ALPHA})",
                   f"{late['batch_norm'].mean():.3f} with vs {late['none'].mean():.3f} without "
                   f"(ratio {rel:.2f}), difference {d:+.3f} [{lo:+.3f}, {hi:+.3f}], p = {p:.3g}")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
