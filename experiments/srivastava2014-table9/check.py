#!/usr/bin/python3
"""Srivastava et al. 2014, Table 9: regularizers compared on one ReLU network.

Reads the results of every configuration of the tier (smoke: smoke.yaml; medium: medium.yaml;
full: full-appendix.yaml and full-released.yaml, whichever exist), prints the test error of each method next to the
paper's, with the recipe recorded in the results file, and tests the paper's claims with
thresholds fixed before the run (README.md, "The claims"), each method against L2 paired over
seeds (95% t confidence interval and paired t-test p of the difference of test error):
  1. (paper) max-norm beats L2: (max-norm - L2) <= -5% of L2's mean error, p < 0.05;
  2. (paper) dropout + L2 beats L2: the same thresholds;
  3. (paper) dropout + max-norm beats L2: the same thresholds;
  4. (paper) dropout + max-norm is the best of the six: the lowest mean test error;
  5. (sanity) every arm has at least 3 complete seeds and no cell of a chosen setting diverged
     or failed.
Claims 1-4 print REPRODUCED or DIFFERS (an honest disagreement does not change the exit code);
claim 5 failing is a broken run (exit 1). A cell's test error is the mean of its last 3
evaluations (every 5th epoch in the smoke and medium tiers; the last 3 epochs in the full tier): the networks
without dropout oscillate from one evaluation to the next.

Protocol (the paper's "hyper-parameters of each method chosen on a validation set"): when a
results file varies more than the regularizers (a hyper-parameter axis), each method's setting is
chosen by `build/reglab report FILE --select-by validation_accuracy --within regularizers` (the
best mean final validation accuracy over seeds), and the table and claims use only the chosen
setting's cells. A file that varies only the regularizers (the configurations as shipped) has
one setting per method: nothing is chosen and every cell is used.

    /usr/bin/python3 experiments/srivastava2014-table9/check.py [--tier smoke|medium|full]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EVALS = 3      # evaluations averaged at the end of each run
RELATIVE = 0.05  # claims 1-3: the difference is at least 5% of L2's error
ALPHA = 0.05     # claims 1-3: paired t-test
# regularizers factor (names joined by "+") -> (method as in Table 9, paper test error %)
METHODS = [
    ("l2", "L2", 1.62),
    ("l2+l1", "L2 + L1 applied towards the end of training", 1.60),
    ("l2+kl_sparsity", "L2 + KL-sparsity", 1.55),
    ("max_norm", "Max-norm", 1.35),
    ("dropout+l2", "Dropout + L2", 1.25),
    ("dropout+max_norm", "Dropout + max-norm", 1.05),
]
PAPER = {key: paper for key, _, paper in METHODS}


def tail(res, cells, metric):
    """Per cell, the mean of the last EVALS evaluated (non-NaN) values of `metric`."""
    def one(cell_id):
        curve = res.curves(cell_id)[metric].dropna()
        return float(curve.iloc[-EVALS:].mean())
    return cells.cell_id.map(one)


def report_vs_l2(path):
    binary = os.path.join(common.REPO, "build", "reglab")
    if os.path.exists(binary):
        print(f"\nbuild/reglab report {os.path.relpath(path, common.REPO)} --baseline "
              "regularizers=l2 (final test accuracy, points):\n", flush=True)
        subprocess.run([binary, "report", path, "--baseline", "regularizers=l2",
                        "--format", "markdown"], check=False)


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
        df, incomplete = common.chosen_cells(res, claims, name)
        df["test_err"] = 1.0 - tail(res, df, "test_accuracy")
        df["train_err"] = 1.0 - tail(res, df, "train_accuracy")
        df["gap"] = df.test_err - df.train_err
        err = {key: common.by_seed(df[df.regularizers == key], "test_err")
               for key, _, _ in METHODS}
        l2 = err["l2"]
        base = float(l2.mean()) if len(l2) else float("nan")
        rows = []
        for key, label, paper in METHODS:
            arm = df[df.regularizers == key]
            d, lo, hi, p, n = common.paired_ci(err[key], l2)
            vs = ("" if key == "l2" or n < 2 else
                  f"{100 * d:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}], p = {p:.2g}")
            rows.append([label, f"{paper:.2f}", f"{100 * (paper / 1.62 - 1):+.0f} %",
                         common.mean_sd(arm.test_err), vs,
                         f"{100 * d / base:+.1f} %" if key != "l2" else "",
                         common.mean_sd(arm.train_err), common.mean_sd(arm.gap), len(arm)])
        tables.append((f"{name}: {res.sweep_name} ({os.path.relpath(path, common.REPO)}); "
                       f"test error = mean of the last {EVALS} evaluations", rows))
        report_vs_l2(path)

        counts = {key: len(v) for key, v in err.items()}
        claims.sanity(min(counts.values()) >= 3 and incomplete == 0,
                      f"[{name}] every arm has at least 3 complete seeds, no cell of a chosen "
                      "setting diverged",
                      f"seeds per arm {counts}, incomplete cells in chosen settings {incomplete}")
        for key, label in (("max_norm", "max-norm"), ("dropout+l2", "dropout + L2"),
                           ("dropout+max_norm", "dropout + max-norm")):
            d, lo, hi, p, n = common.paired_ci(err[key], l2)
            claims.compare(n >= 2 and d <= -RELATIVE * base and p < ALPHA,
                           f"[{name}] {label} beats L2 (difference <= -{100 * RELATIVE:.0f}% "
                           f"of L2's error, paired p < {ALPHA})",
                           f"{100 * d:+.2f} points = {100 * d / base:+.1f} % of L2's "
                           f"{100 * base:.2f} %, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}], "
                           f"p = {p:.3g}, {n} seeds (paper {100 * (PAPER[key] / 1.62 - 1):+.0f} %)")
        means = {key: float(v.mean()) for key, v in err.items() if len(v)}
        best = min(means, key=means.get)
        claims.compare(best == "dropout+max_norm",
                       f"[{name}] dropout + max-norm has the lowest mean test error of the six",
                       f"lowest: {best} {100 * means[best]:.2f} %; dropout + max-norm "
                       f"{100 * means.get('dropout+max_norm', float('nan')):.2f} %")
        d, lo, hi, p, n = common.paired_ci(err["dropout+max_norm"], err["dropout+l2"])
        claims.info(f"[{name}] dropout + max-norm - dropout + L2",
                    f"{100 * d:+.2f} points, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}], "
                    f"p = {p:.3g} (paper 1.05 - 1.25 = -0.20, -16 %)")
        claims.info(f"[{name}] train-test gap", ", ".join(
            f"{key} {100 * float(df[df.regularizers == key].gap.mean()):.2f}"
            for key, _, _ in METHODS) + " points")
    for title, rows in tables:
        common.print_table(title, ["method", "paper test err % (MNIST)", "paper vs L2",
                                   "ours test err %", "ours - L2 (points, 95% CI, paired p)",
                                   "ours vs L2", "ours train err %", "ours gap (points)",
                                   "seeds"], rows)
    if not tables:
        raise common.InputError("no results file for the " + args.tier + " tier: "
                                + ", ".join(args.files.values()))
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
