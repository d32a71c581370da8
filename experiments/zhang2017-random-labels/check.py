#!/usr/bin/python3
"""Zhang et al. 2017: fitting random labels and random inputs with an MLP.

Reads up to four configurations of the tier, each whose results exist (at least one must):
  TIER.yaml          label corruption p x regularizer, a network with far more parameters than
                     training images (smoke: 800 per image), one seed;
  TIER-inputs.yaml   input randomisations (shuffled pixels, random pixels, Gaussian images);
  TIER-time.yaml     true labels, random labels, random labels with weight decay, at the
                     paper's ratio of parameters to training images (about 31), >= 3 seeds;
  TIER-cifar10.yaml  (full tier) Table 1's MLP 1x512 rows on user-supplied CIFAR-10: true and
                     random labels, without and with weight decay, 3 seeds.
Prints final train and test accuracy next to the paper's MLP 1x512 figures (CIFAR-10), the time
to fit (first evaluated epoch with training accuracy >= FIT_TIME) per arm and seed, and judges
the claims fixed before the run (README.md, "The claims"):
  sanity (hold by construction once a big enough network is trained; FAIL exits 1):
  S1. TIER.yaml, TIER-inputs.yaml: every cell reaches training accuracy >= 0.95;
  S2. random labels (p = 1, every regularizer, every configuration) and random pixels /
      Gaussian inputs: test accuracy <= 0.2 (chance is 0.1);
  S3. TIER.yaml: test accuracy decreases as p grows (no regularizer: Spearman <= -0.9);
  S4. TIER-time.yaml: the three arms present with >= 3 complete seeds each;
  the paper's claims (TIER-time.yaml; REPRODUCED or DIFFERS, exit code unchanged):
  C1. (Figure 1a) random labels are fitted: every seed of the random-label arm reaches training
      accuracy >= FIT_TIME within the budget;
  C2. (Figure 1a) fitting random labels is slower than fitting true labels: the paired (by
      seed) log of T_random / T_true is > 0 with paired t-test p < 0.05;
  C3. (Figure 1a: "only by a small constant factor") the slowdown is bounded: the geometric
      mean over seeds of T_random / T_true is <= MAX_SLOWDOWN = 5 (reported with its 95% CI);
  C4. (section 3) weight decay does not prevent fitting random labels: every seed of the random
      labels + L2 arm reaches training accuracy >= FIT_TIME within the budget.
C2 and C3 DIFFER when a time to fit is missing (a seed not fitted within the budget).
  On TIER-cifar10.yaml (if its results exist):
  S5. every arm has >= 3 complete seeds; random labels give test accuracy <= 0.2;
  C5. (Table 1) random labels are fitted on CIFAR-10: every random-label seed, with and without
      weight decay, ends at training accuracy >= FIT_TIME;
  C6. (Table 1: 50.51 % without, 50.39 % with weight decay) weight decay changes the true-label
      test accuracy little: the 95% CI of the paired difference (with - without) lies within
      +-WD_BAND = 5 % of the accuracy without.

    /usr/bin/python3 experiments/zhang2017-random-labels/check.py [--tier smoke|medium|full]
"""
import math
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIT = 0.95           # S1
CHANCE = 0.2         # S2
FIT_TIME = 0.99      # C1-C4: "fitted" = training accuracy >= 99 %
MAX_SLOWDOWN = 5.0   # C3
ALPHA = 0.05         # C2
MIN_SEEDS = 3        # S4, S5
WD_BAND = 0.05       # C6
REG = {"none": "none", "l2": "weight decay (L2)", "dropout": "dropout 0.5"}
# Paper, Table 1 (CIFAR-10, MLP 1x512): test accuracy % without / with weight decay on true
# labels; with random labels the MLPs reach (near) 100 % training accuracy and 10.48-10.61 % test
# accuracy. Dropout is not among the paper's MLP rows.
PAPER_TRUE = {"none": "50.51", "l2": "50.39"}
PAPER_RANDOM = {"none": "10.48-10.61", "l2": "10.48-10.61"}


def ladder(args, claims):
    """TIER.yaml: the label-corruption table and S1-S3 on it; returns its summary."""
    res = common.load(args, args.tier)
    df = res.summary.copy()
    df["p"] = df["data.label_corruption"].astype(float)
    rows = []
    order = {k: i for i, k in enumerate(REG)}
    df["order"] = df.regularizers.map(lambda v: order.get(v, len(order)))
    for _, r in df.sort_values(["order", "p"]).iterrows():
        paper = ""
        if r.p == 0.0:
            paper = f"- / {PAPER_TRUE[r.regularizers]}" if r.regularizers in PAPER_TRUE else ""
        elif r.p == 1.0:
            paper = f"~100 / {PAPER_RANDOM[r.regularizers]}" if r.regularizers in PAPER_RANDOM \
                else "~100 / ~10 (not in Table 1)"
        rows.append([REG.get(r.regularizers, r.regularizers), f"{r.p:.1f}", paper,
                     common.pct(r.final_train_accuracy), common.pct(r.final_test_accuracy)])
    common.print_table(f"{args.tier} tier: label corruption (train / test accuracy %)",
                       ["regularizer", "p", "paper train / test (CIFAR-10)", "ours train",
                        "ours test"], rows)
    return df


def inputs_table(args):
    inputs = common.load(args, f"{args.tier}-inputs").summary
    rows = [[r["data.input_randomisation"], "~100 / ~10" if r["data.input_randomisation"]
             != "shuffled_pixels" else "~100 / below true labels",
             common.pct(r.final_train_accuracy), common.pct(r.final_test_accuracy)]
            for _, r in inputs.iterrows()]
    common.print_table(f"{args.tier} tier: input randomisations (true labels, no regularizer; "
                       "train / test accuracy %)",
                       ["inputs", "paper (CIFAR-10, shape of Fig. 1)", "ours train",
                        "ours test"], rows)
    return inputs


def time_to_fit(res, cell_id):
    """The first evaluated epoch (1-based) whose training accuracy is >= FIT_TIME, or NaN."""
    c = res.curves(cell_id)
    hit = c[c.train_accuracy.fillna(-1.0) >= FIT_TIME]
    return float(hit.epoch.iloc[0]) if len(hit) else math.nan


def time_arms(args):
    """TIER-time.yaml: per arm ("true", "random", "random+l2") a DataFrame by seed with the time
    to fit (epochs), final train and test accuracy; and the number of epochs run."""
    res = common.load(args, f"{args.tier}-time")
    df = res.summary.copy()
    df["p"] = df["data.label_corruption"].astype(float)
    df["t_fit"] = df.cell_id.map(lambda c: time_to_fit(res, c))
    arms = {}
    for (p, reg), cells in df.groupby(["p", "regularizers"], sort=False):
        key = ("true" if p == 0.0 else "random" if p == 1.0 else f"p={p}") \
            + ("" if reg == "none" else f"+{reg}")
        arms[key] = cells.set_index(cells.seed.astype(int))
    return arms, int(df.epochs.max()) if len(df) else 0


def judge_time(args, claims, arms, budget):
    names = {"true": "true labels", "random": "random labels",
             "random+l2": "random labels + weight decay"}
    rows = []
    for key, cells in arms.items():
        t = cells.t_fit
        rows.append([names.get(key, key), len(cells),
                     ", ".join("-" if math.isnan(v) else f"{v:.0f}" for v in t),
                     common.mean_sd(cells.final_train_accuracy),
                     common.mean_sd(cells.final_test_accuracy)])
    common.print_table(f"{args.tier} tier, time to fit: first epoch with training accuracy >= "
                       f"{100 * FIT_TIME:.0f} % per seed ('-': not within {budget} epochs); "
                       "final train / test accuracy % (mean +- sd)",
                       ["arm", "seeds", "epochs to fit", "train %", "test %"], rows)
    missing = [k for k in ["true", "random", "random+l2"] if k not in arms]
    few = {k: len(c) for k, c in arms.items() if len(c) < MIN_SEEDS}
    ok = claims.sanity(not missing and not few,
                       f"time-to-fit arms present with >= {MIN_SEEDS} seeds",
                       f"missing {missing}, too few seeds {few}" if missing or few
                       else f"{min(len(c) for c in arms.values())} seeds or more")
    if not ok:
        return
    rand = arms["random"].final_test_accuracy.tolist() + arms["random+l2"].final_test_accuracy.tolist()
    claims.sanity(max(rand) <= CHANCE, "time-to-fit sweep: random labels give chance test accuracy",
                  f"highest {100 * max(rand):.1f} % (needs <= {100 * CHANCE:.0f} %)")

    def fitted(key):
        t = arms[key].t_fit
        return int(t.notna().sum()), len(t)

    k, n = fitted("random")
    claims.compare(k == n, f"(Fig. 1a) random labels are fitted (>= {100 * FIT_TIME:.0f} % "
                   f"training accuracy within {budget} epochs, every seed)",
                   f"{k} of {n} seeds; epochs " + ", ".join(
                       "-" if math.isnan(v) else f"{v:.0f}" for v in arms["random"].t_fit))
    lt = np.log(arms["random"].t_fit) - np.log(arms["true"].t_fit)
    lt = lt.dropna()
    kt, nt = fitted("true")
    if len(lt) == len(arms["random"]) and kt == nt and len(lt) >= 2:
        d, lo, hi, p, n = common.paired_ci(np.log(arms["random"].t_fit),
                                           np.log(arms["true"].t_fit))
        claims.compare(d > 0 and p < ALPHA, "(Fig. 1a) random labels take longer to fit than "
                       f"true labels (paired log-ratio > 0, p < {ALPHA})",
                       f"T_random / T_true geometric mean {math.exp(d):.2f}, 95% CI "
                       f"[{math.exp(lo):.2f}, {math.exp(hi):.2f}], p = {p:.3g}, {n} seeds")
        claims.compare(math.exp(d) <= MAX_SLOWDOWN, "(Fig. 1a) the slowdown is a small constant "
                       f"factor (geometric mean of T_random / T_true <= {MAX_SLOWDOWN:g})",
                       f"{math.exp(d):.2f}, 95% CI [{math.exp(lo):.2f}, {math.exp(hi):.2f}]; "
                       "per seed " + ", ".join(f"{math.exp(v):.2f}" for v in lt))
    else:
        why = (f"true labels fitted by {kt} of {nt} seeds, random labels by {k} of {n} "
               f"within {budget} epochs: no time ratio")
        claims.compare(False, "(Fig. 1a) random labels take longer to fit than true labels", why)
        claims.compare(False, "(Fig. 1a) the slowdown is a small constant factor "
                       f"(<= {MAX_SLOWDOWN:g})", why)
    k2, n2 = fitted("random+l2")
    claims.compare(k2 == n2, "(section 3) weight decay does not prevent fitting random labels "
                   f"(>= {100 * FIT_TIME:.0f} % within {budget} epochs, every seed)",
                   f"{k2} of {n2} seeds; epochs " + ", ".join(
                       "-" if math.isnan(v) else f"{v:.0f}" for v in arms["random+l2"].t_fit)
                   + "; final training accuracy "
                   + ", ".join(f"{100 * v:.1f} %" for v in arms["random+l2"].final_train_accuracy))
    if k == n and k2 == n2:
        r = np.exp(np.mean(np.log(arms["random+l2"].t_fit) - np.log(arms["random"].t_fit)))
        claims.info("weight decay slows the fit of random labels by",
                    f"a factor {r:.2f} (geometric mean over seeds)")



def cifar10_rows(args, claims):
    """TIER-cifar10.yaml: Table 1's MLP rows on CIFAR-10 next to the paper's, S5, C5 and C6."""
    res = common.load(args, f"{args.tier}-cifar10")
    df = res.summary.copy()
    df["p"] = df["data.label_corruption"].astype(float)
    rows, counts = [], {}
    for p in (0.0, 1.0):
        for reg in ("none", "l2"):
            cells = df[(df.p == p) & (df.regularizers == reg)]
            counts[(p, reg)] = len(cells)
            paper = (f"- / {PAPER_TRUE[reg]}" if p == 0.0 else f"~100 / {PAPER_RANDOM[reg]}")
            rows.append([REG[reg], "true" if p == 0.0 else "random", paper,
                         common.mean_sd(cells.final_train_accuracy),
                         common.mean_sd(cells.final_test_accuracy), len(cells)])
    common.print_table(f"{args.tier} tier, CIFAR-10 MLP 1x512 (Table 1): accuracy % at the last "
                       "epoch, mean +- sd over seeds",
                       ["regularizer", "labels", "paper train / test", "ours train",
                        "ours test", "seeds"], rows)
    rand = df[df.p == 1.0]
    claims.sanity(min(counts.values()) >= MIN_SEEDS and len(res.incomplete) == 0
                  and len(rand) > 0 and rand.final_test_accuracy.max() <= CHANCE,
                  "CIFAR-10: every arm has 3 complete seeds, random labels test near chance",
                  f"seeds {min(counts.values())}-{max(counts.values())}, incomplete "
                  f"{len(res.incomplete)}, highest random-label test accuracy "
                  f"{100 * rand.final_test_accuracy.max():.1f} % (needs <= {100 * CHANCE:.0f} %)")
    low = rand.final_train_accuracy.min() if len(rand) else float("nan")
    claims.compare(len(rand) > 0 and low >= FIT_TIME,
                   "CIFAR-10: random labels are fitted, with and without weight decay (Table 1)",
                   f"lowest final training accuracy of a random-label cell {100 * low:.2f} % "
                   f"(needs >= {100 * FIT_TIME:.0f} %)")
    true = df[df.p == 0.0]
    a = common.by_seed(true[true.regularizers == "l2"], "final_test_accuracy")
    b = common.by_seed(true[true.regularizers == "none"], "final_test_accuracy")
    d, lo, hi, pv, n = common.paired_ci(a, b)
    base = float(b.mean()) if len(b) else float("nan")
    claims.compare(n >= 2 and -WD_BAND * base <= lo and hi <= WD_BAND * base,
                   f"CIFAR-10: weight decay changes the true-label test accuracy by less than "
                   f"{100 * WD_BAND:.0f} % (95% CI; paper 50.39 vs 50.51 %)",
                   f"{100 * d:+.2f} points, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}], p = "
                   f"{pv:.3g}, {n} seeds; band +-{100 * WD_BAND * base:.2f} points")


def run():
    args = common.parse_args(__doc__, HERE)
    claims = common.Claims(args.tier)
    present = {k for k, path in args.files.items() if os.path.exists(path)}
    found = False
    if args.tier in present:
        found = True
        df = ladder(args, claims)
        inputs = inputs_table(args) if f"{args.tier}-inputs" in present else None
        every = df if inputs is None else pd.concat([df, inputs], ignore_index=True)
        worst = every.loc[every.final_train_accuracy.idxmin()]
        claims.sanity(every.final_train_accuracy.min() >= FIT,
                      "every cell of the memorisation sweeps fits its training set",
                      f"lowest training accuracy {100 * worst.final_train_accuracy:.1f} % "
                      f"({worst['name']}; needs >= {100 * FIT:.0f} %)")
        rand = df[df.p == 1.0]
        claims.sanity(len(rand) > 0 and rand.final_test_accuracy.max() <= CHANCE,
                      "random labels: test accuracy near chance",
                      ", ".join(f"{r.regularizers} {100 * r.final_test_accuracy:.1f} %"
                                for _, r in rand.iterrows())
                      + f" (needs <= {100 * CHANCE:.0f} %)")
        if inputs is not None:
            noise = inputs[inputs["data.input_randomisation"].isin(["random_pixels",
                                                                     "gaussian"])]
            claims.sanity(len(noise) == 2 and noise.final_test_accuracy.max() <= CHANCE,
                          "random pixels and Gaussian inputs: test accuracy near chance",
                          ", ".join(f"{r['data.input_randomisation']} "
                                    f"{100 * r.final_test_accuracy:.1f} %"
                                    for _, r in noise.iterrows()))
        plain = df[df.regularizers == "none"].sort_values("p")
        rho = common.spearman(plain.p, plain.final_test_accuracy)
        claims.sanity(len(plain) >= 4 and rho <= -0.9, "test accuracy decreases as p grows",
                      f"Spearman(p, test accuracy) = {rho:.3f} over {len(plain)} levels "
                      "(needs <= -0.9)")
    if f"{args.tier}-time" in present:
        found = True
        arms, budget = time_arms(args)
        judge_time(args, claims, arms, budget)
    if f"{args.tier}-cifar10" in present:
        found = True
        cifar10_rows(args, claims)
    elif f"{args.tier}-cifar10" in args.files:
        claims.info(f"{args.tier}-cifar10", f"{args.files[args.tier + '-cifar10']} not found "
                    "(not run: needs CIFAR-10, README.md)")
    if not found:
        raise common.InputError(f"no results of the {args.tier} tier: "
                                + ", ".join(args.files.values()) if args.files else
                                f"no configuration of the {args.tier} tier")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
