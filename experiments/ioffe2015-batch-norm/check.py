#!/usr/bin/python3
"""Ioffe and Szegedy 2015, section 4.1 (Figure 1): batch norm on a sigmoid MLP.

Reads the step curves of TIER.yaml (test accuracy and the 15th/50th/85th percentiles of one
sigmoid's input every `diagnostics.every_steps` steps), prints them against the step for both
arms (mean over seeds) and checks:
  1. batch norm reaches the target test accuracy in fewer steps (on the curves averaged over
     seeds; target: the lower of the two arms' final mean test accuracies minus 2 points, so
     both reach it);
  2. batch norm's test accuracy is higher early (at the first measurement at or after 10% of
     training) and 3. at the end;
  4. the percentiles drift less with batch norm: for each of p15, p50 and p85 the range
     (max - min over the whole run, mean over seeds) is smaller with batch norm, and
  5. so is the change of p50 over the second half of training.

    /usr/bin/python3 experiments/ioffe2015-batch-norm/check.py [--tier smoke|full]
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


def steps_to(c, target):
    hit = c[c.test_accuracy >= target]
    return float(hit.step.iloc[0]) if len(hit) else float("inf")


def drift(c, col):
    return float(c[col].max() - c[col].min())


def second_half_change(c, col):
    half = c.step.iloc[-1] / 2
    mid = c[c.step >= half].iloc[0][col]
    return float(abs(c[col].iloc[-1] - mid))


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
    final = {k: float(np.mean([c.test_accuracy.iloc[-1] for c in v.values()]))
             for k, v in arms.items()}
    print("\npaper (MNIST, Figure 1): batch norm reaches a higher test accuracy in fewer steps "
          "and its percentiles stay stable; without it they drift (values are plotted only).")
    print(f"ours: final test accuracy {100 * final['none']:.2f} % without, "
          f"{100 * final['batch_norm']:.2f} % with batch norm")

    claims = common.Claims(args.tier)
    target = min(final.values()) - 0.02
    reach = {k: steps_to(m.reset_index(), target) for k, m in mean.items()}
    claims.check(reach["batch_norm"] < reach["none"],
                 f"batch norm reaches {100 * target:.1f} % test accuracy in fewer steps",
                 f"{reach['batch_norm']:.0f} vs {reach['none']:.0f} steps (curves averaged "
                 "over seeds)")
    early_step = steps[np.searchsorted(steps, 0.1 * steps[-1])]
    early = {k: float(mean[k].loc[early_step].test_accuracy) for k in mean}
    claims.check(early["batch_norm"] > early["none"], f"higher test accuracy early "
                 f"(step {int(early_step)})",
                 f"{100 * early['batch_norm']:.2f} % vs {100 * early['none']:.2f} %")
    claims.check(final["batch_norm"] > final["none"], "higher test accuracy at the end",
                 f"{100 * final['batch_norm']:.2f} % vs {100 * final['none']:.2f} %")
    ranges = {k: {p: float(np.mean([drift(c, p) for c in v.values()])) for p in PCTS}
              for k, v in arms.items()}
    claims.check(all(ranges["batch_norm"][p] < ranges["none"][p] for p in PCTS),
                 "percentiles drift less with batch norm (range over training)",
                 ", ".join(f"{p} {ranges['batch_norm'][p]:.2f} vs {ranges['none'][p]:.2f}"
                           for p in PCTS))
    late = {k: float(np.mean([second_half_change(c, "p50") for c in v.values()]))
            for k, v in arms.items()}
    claims.check(late["batch_norm"] < late["none"], "p50 changes less over the second half",
                 f"{late['batch_norm']:.3f} vs {late['none']:.3f}")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
