#!/usr/bin/python3
"""Zhang et al. 2017: fitting random labels and random inputs with a wide MLP.

Reads the results of TIER.yaml (label corruption x regularizer) and TIER-inputs.yaml (input
randomisations), prints final train and test accuracy next to the paper's MLP 1x512 figures
(CIFAR-10) and checks:
  1. every cell fits its training set: final training accuracy (eval mode) >= 0.95, whatever
     the label corruption, regularizer or input randomisation;
  2. test accuracy falls to chance with random labels: <= 0.2 at p = 1 for every regularizer;
  3. test accuracy is <= 0.2 for random pixels and Gaussian inputs;
  4. test accuracy decreases as p grows (network without regularizer: Spearman rank correlation
     of p and test accuracy <= -0.9).

    /usr/bin/python3 experiments/zhang2017-random-labels/check.py [--tier smoke|full]
"""
import os
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIT = 0.95
CHANCE = 0.2
REG = {"none": "none", "l2": "weight decay (L2)", "dropout": "dropout 0.5"}
# Paper, Table 1 (CIFAR-10, MLP 1x512): test accuracy % without / with weight decay on true
# labels; with random labels the MLPs reach (near) 100 % training accuracy and 10.48-10.61 % test
# accuracy. Dropout is not among the paper's MLP rows.
PAPER_TRUE = {"none": "50.51", "l2": "50.39"}
PAPER_RANDOM = {"none": "10.48-10.61", "l2": "10.48-10.61"}


def run():
    args = common.parse_args(__doc__, HERE)
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
    inputs = None
    key = f"{args.tier}-inputs"
    if key in args.files:
        inputs = common.load(args, key).summary
        rows = [[r["data.input_randomisation"], "~100 / ~10" if r["data.input_randomisation"]
                 != "shuffled_pixels" else "~100 / below true labels",
                 common.pct(r.final_train_accuracy), common.pct(r.final_test_accuracy)]
                for _, r in inputs.iterrows()]
        common.print_table(f"{args.tier} tier: input randomisations (true labels, no "
                           "regularizer; train / test accuracy %)",
                           ["inputs", "paper (CIFAR-10, shape of Fig. 1)", "ours train",
                            "ours test"], rows)

    claims = common.Claims(args.tier)
    every = df if inputs is None else pd.concat([df, inputs], ignore_index=True)
    worst = every.loc[every.final_train_accuracy.idxmin()]
    claims.check(every.final_train_accuracy.min() >= FIT, "every cell fits its training set",
                 f"lowest training accuracy {100 * worst.final_train_accuracy:.1f} % "
                 f"({worst['name']}; needs >= {100 * FIT:.0f} %)")
    rand = df[df.p == 1.0]
    claims.check(len(rand) > 0 and rand.final_test_accuracy.max() <= CHANCE,
                 "random labels: test accuracy near chance",
                 ", ".join(f"{r.regularizers} {100 * r.final_test_accuracy:.1f} %"
                           for _, r in rand.iterrows()) + f" (needs <= {100 * CHANCE:.0f} %)")
    if inputs is not None:
        noise = inputs[inputs["data.input_randomisation"].isin(["random_pixels", "gaussian"])]
        claims.check(len(noise) == 2 and noise.final_test_accuracy.max() <= CHANCE,
                     "random pixels and Gaussian inputs: test accuracy near chance",
                     ", ".join(f"{r['data.input_randomisation']} "
                               f"{100 * r.final_test_accuracy:.1f} %"
                               for _, r in noise.iterrows()))
    else:
        claims.check(False, "input randomisations", f"no {key} results")
    plain = df[df.regularizers == "none"].sort_values("p")
    rho = common.spearman(plain.p, plain.final_test_accuracy)
    claims.check(len(plain) >= 4 and rho <= -0.9, "test accuracy decreases as p grows",
                 f"Spearman(p, test accuracy) = {rho:.3f} over {len(plain)} levels "
                 "(needs <= -0.9)")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
