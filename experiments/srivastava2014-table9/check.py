#!/usr/bin/python3
"""Srivastava et al. 2014, Table 9: regularizers compared on one ReLU network.

Reads the results of every configuration of the tier (smoke: smoke.yaml; full: full-appendix.yaml
and full-released.yaml, whichever exist), prints the test error of each method next to the
paper's, with the recipe recorded in the results file, and checks on each file, for
dropout + max-norm and for dropout + L2:
  1. a lower mean test error than L2 alone (the paper's result);
  2. a smaller mean generalisation gap (train minus test accuracy) than L2 alone, by at least a
     third of L2's gap.
Errors and gaps are per cell the mean over its last 10 epochs (the test accuracy of the networks
without dropout oscillates by about a point from epoch to epoch), then the mean over seeds.

Protocol (the paper's "hyper-parameters of each method chosen on a validation set"): when a
results file varies more than the regularizers (a hyper-parameter axis), each method's setting is
chosen by `build/reglab report FILE --select-by validation_accuracy --within regularizers` (the
best mean final validation accuracy over seeds), and the table and claims use only the chosen
setting's cells. A file that varies only the regularizers (the configurations as shipped) has
one setting per method: nothing is chosen and every cell is used.

    /usr/bin/python3 experiments/srivastava2014-table9/check.py [--tier smoke|full]
"""
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402
import pandas as pd  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TAIL = 10  # epochs averaged at the end of each run
# regularizers factor (names joined by "+") -> (method as in Table 9, paper test error %)
METHODS = [
    ("l2", "L2", 1.62),
    ("l2+l1", "L2 + L1 applied towards the end of training", 1.60),
    ("l2+kl_sparsity", "L2 + KL-sparsity", 1.55),
    ("max_norm", "Max-norm", 1.35),
    ("dropout+l2", "Dropout + L2", 1.25),
    ("dropout+max_norm", "Dropout + max-norm", 1.05),
]


def reglab_report(path, *options):
    """The output of `build/reglab report PATH --select-by validation_accuracy --within
    regularizers OPTIONS...`."""
    binary = os.path.join(common.REPO, "build", "reglab")
    if not os.path.exists(binary):
        raise common.InputError(f"{binary} not found: build reglab to choose the settings")
    cmd = [binary, "report", path, "--select-by", "validation_accuracy",
           "--within", "regularizers", *options]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise common.InputError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def selected(res, df, claims, name):
    """The cells of `df` in each method's setting chosen on validation accuracy (all of them if
    the file varies only the regularizers)."""
    others = [f for f in res.factors if f != "regularizers"]
    if not others:
        claims.info(f"[{name}] protocol", "one setting per method (no hyper-parameter axis): "
                    "nothing to choose on validation")
        return df
    print(reglab_report(res.path, "--width", "100"), flush=True)
    chosen = pd.read_csv(io.StringIO(reglab_report(res.path, "--format", "csv")))
    keep = pd.Series(False, index=df.index)
    for _, arm in chosen.iterrows():
        match = df.regularizers == arm.regularizers
        for f in others:  # shortest round-trip text: reads back as the stored value
            value = arm[f]
            match &= df[f] == (type(df[f].iloc[0])(value) if len(df) else value)
        keep |= match
        claims.info(f"[{name}] {arm.regularizers}", f"{arm.setting} chosen from "
                    f"{arm.settings_chosen_from} settings on {arm.select_by}")
    return df[keep]


def run():
    args = common.parse_args(__doc__, HERE)
    if not args.files:
        raise common.InputError(f"no {args.tier} configuration in {HERE}")
    claims = common.Claims(args.tier)
    tables = []
    for name, path in args.files.items():
        if args.tier == "full" and not os.path.exists(path):
            claims.info(name, f"{path} not found (not run)")
            continue
        res = common.Results(path)
        df = selected(res, res.summary, claims, name).copy()
        df["test_err"] = 1.0 - res.tail_mean(df, "test_accuracy", TAIL)
        df["train_err"] = 1.0 - res.tail_mean(df, "train_accuracy", TAIL)
        df["gap"] = df.test_err - df.train_err
        rows, stats = [], {}
        for key, label, paper in METHODS:
            arm = df[df.regularizers == key]
            stats[key] = arm
            rows.append([label, f"{paper:.2f}", common.mean_sd(arm.test_err),
                         common.mean_sd(arm.train_err), common.mean_sd(arm.gap),
                         common.mean_sd(1.0 - arm.final_test_accuracy), len(arm)])
        tables.append((f"{name}: {res.sweep_name} ({os.path.relpath(path, common.REPO)})", rows))

        def err(key):
            return float(stats[key].test_err.mean())

        def gap(key):
            return float(stats[key].gap.mean())

        for key in ("dropout+max_norm", "dropout+l2"):
            if len(stats[key]) == 0 or len(stats["l2"]) == 0:
                claims.check(False, f"[{name}] {key} vs l2", "arm missing")
                continue
            claims.check(err(key) < err("l2"), f"[{name}] {key} has lower test error than L2",
                         f"{100 * err(key):.2f} % vs {100 * err('l2'):.2f} %")
            claims.check(gap(key) < gap("l2") * 2 / 3,
                         f"[{name}] {key} has a smaller train-test gap than L2",
                         f"{100 * gap(key):.2f} vs {100 * gap('l2'):.2f} points "
                         "(needs < 2/3 of L2's)")
    for title, rows in tables:
        common.print_table(title, ["method", "paper test err % (MNIST)",
                                   f"ours test err % (last {TAIL} epochs)", "ours train err %",
                                   "ours gap (points)", "ours test err % (last epoch)", "seeds"],
                           rows)
    if not tables:
        raise common.InputError("no results file for the " + args.tier + " tier: "
                                + ", ".join(args.files.values()))
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
