"""Helpers shared by the experiments' check.py scripts (run with /usr/bin/python3).

A study folder experiments/NAME/ holds sweep configurations (smoke.yaml, full.yaml, and variants
named smoke-*.yaml / full-*.yaml) whose `output` key names the merged results file. check.py
reads those files, prints a paper-vs-ours table and tests the study's qualitative claims:

    /usr/bin/python3 experiments/NAME/check.py [--tier smoke|full] [--results FILE ...]

Without --results the files are found through the `output` key of the tier's configurations.
Exit codes: 0 every claim holds, 1 a claim fails, 2 a results file is missing or unreadable.
"""
import argparse
import glob
import io
import math
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class InputError(Exception):
    """A results file is missing or is not a reglab sweep file (exit code 2)."""


def tier_configs(study_dir, tier):
    """The tier's configurations: TIER.yaml first, then TIER-*.yaml in name order."""
    main = os.path.join(study_dir, tier + ".yaml")
    rest = sorted(glob.glob(os.path.join(study_dir, tier + "-*.yaml")))
    return ([main] if os.path.exists(main) else []) + rest


def config_output(config_path):
    """The `output` key of a configuration (relative paths are relative to the repository)."""
    with open(config_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    out = doc.get("output")
    if not out:
        raise InputError(f"{config_path}: no `output` key")
    return out if os.path.isabs(out) else os.path.join(REPO, out)


def decode(df):
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)
    return df


class Results:
    """One merged sweep file: `summary` (one row per cell, complete cells only) plus access to
    each cell's curves and step curves."""

    def __init__(self, path):
        if not os.path.exists(path):
            raise InputError(f"{path}: no such results file (run the sweep first)")
        self.path = path
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != "reglab" or "summary" not in f:
                raise InputError(f"{path}: not a reglab sweep results file")
            self.sweep_name = f.attrs.get("sweep_name", "")
            df = decode(pd.DataFrame(f["summary"][:]))
        cols = list(df.columns)
        self.factors = cols[cols.index("name") + 1:cols.index("seed")]
        self.all = df
        self.summary = df[df.status == "complete"].reset_index(drop=True)
        self.incomplete = df[df.status != "complete"]

    def curves(self, cell_id, group="curves"):
        """A DataFrame of a cell's per-epoch curves (group="curves") or step curves."""
        with h5py.File(self.path, "r") as f:
            g = f["runs"][cell_id]
            if group not in g:
                return pd.DataFrame()
            return pd.DataFrame({k: g[group][k][:] for k in g[group]})

    def tail_mean(self, cells, metric, epochs=5):
        """Per cell (rows of `cells`), the mean of `metric` over its last `epochs` epochs: a
        steadier figure than the last epoch alone when the curve still oscillates."""
        return cells.cell_id.map(lambda c: float(self.curves(c)[metric].iloc[-epochs:].mean()))

    def run_attr(self, cell_id, name):
        with h5py.File(self.path, "r") as f:
            v = f["runs"][cell_id].attrs.get(name, "")
        return v.decode("utf-8") if isinstance(v, bytes) else v

    def arm(self, **factors):
        """The complete cells whose factor columns equal the given values (keys are the column
        names with '.', '[' and ']' replaced by '_')."""
        df = self.summary
        for key, want in factors.items():
            col = self.column(key)
            if isinstance(want, float):
                df = df[np.isclose(df[col].astype(float), want)]
            else:
                df = df[df[col] == want]
        return df

    def column(self, key):
        for c in self.summary.columns:
            if c == key or c.replace(".", "_").replace("[", "_").replace("]", "") == key:
                return c
        raise InputError(f"{self.path}: no column {key!r} (columns: {list(self.summary.columns)})")


def parse_args(description, study_dir):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--tier", default="smoke", choices=["smoke", "medium", "full"])
    p.add_argument("--results", nargs="+", metavar="FILE",
                   help="results files in the order of the tier's configurations "
                        "(default: their `output` keys)")
    args = p.parse_args()
    configs = tier_configs(study_dir, args.tier)
    if args.results:
        paths = args.results
    else:
        paths = [config_output(c) for c in configs]
    names = [os.path.splitext(os.path.basename(c))[0] for c in configs]
    if len(names) < len(paths):
        names += [os.path.basename(p) for p in paths[len(names):]]
    args.files = dict(zip(names, paths))
    return args


def load(args, name):
    """The Results of the tier configuration `name` (e.g. "smoke", "smoke-fixed-pn")."""
    if name not in args.files:
        raise InputError(f"no results file for configuration {name!r}")
    return Results(args.files[name])


def fmt(x, digits=2):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, str):
        return x
    return f"{x:.{digits}f}"


def pct(x, digits=2):
    """A fraction as a percentage string."""
    return "-" if x is None or not math.isfinite(x) else f"{100.0 * x:.{digits}f}"


def mean_sd(values, scale=100.0, digits=2):
    v = np.asarray([x for x in values if math.isfinite(x)], dtype=float) * scale
    if len(v) == 0:
        return "-"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} +- {v.std(ddof=1):.{digits}f}"


def print_table(title, headers, rows):
    """A markdown table (pasteable into the study's README)."""
    print(f"\n{title}\n")
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")


class Claims:
    """Collects PASS/FAIL lines; `finish` prints the verdict and returns the exit code."""

    def __init__(self, tier):
        self.tier = tier
        self.results = []
        self.lines = []

    def check(self, ok, claim, detail):
        ok = bool(ok)
        self.results.append(ok)
        self.lines.append(f"  {'PASS' if ok else 'FAIL'}  {claim}: {detail}")
        return ok

    def info(self, claim, detail):
        self.lines.append(f"  INFO  {claim}: {detail}")

    def sanity(self, ok, claim, detail):
        """A check that holds by construction when the run is sound (SANITY); failing it means
        a broken run (FAIL, exit 1), not a finding about the paper."""
        ok = bool(ok)
        self.results.append(ok)
        self.lines.append(f"  {'SANITY' if ok else 'FAIL'}  {claim}: {detail}")
        return ok

    def compare(self, agrees, claim, detail):
        """A claim of the paper, tested with thresholds fixed before the run: REPRODUCED or
        DIFFERS. An honest disagreement is a result, not a failure: it does not change the exit
        code (a broken run does, through `check`)."""
        agrees = bool(agrees)
        self.lines.append(f"  {'REPRODUCED' if agrees else 'DIFFERS'}  {claim}: {detail}")
        return agrees

    def finish(self):
        failed = self.results.count(False)
        print(f"\nClaims ({self.tier} tier):")
        for line in self.lines:
            print(line)
        compared = [line.split()[0] for line in self.lines
                    if line.split()[0] in ("REPRODUCED", "DIFFERS")]
        if compared:
            print(f"\n{compared.count('REPRODUCED')} of the paper's claims reproduced, "
                  f"{compared.count('DIFFERS')} differ")
        print(f"\n{len(self.results) - failed} of {len(self.results)} checks hold")
        return 1 if failed else 0


def main(run):
    """Runs `run()` (which returns an exit code) and maps InputError to exit code 2."""
    try:
        sys.exit(run())
    except InputError as e:
        print(f"check: error: {e}", file=sys.stderr)
        sys.exit(2)


def spearman(x, y):
    """Spearman rank correlation (no scipy needed)."""
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    if np.std(rx) == 0 or np.std(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def paired(a, b):
    """Mean of a - b over matched seeds, its standard error and the paired t-test p-value.
    a and b are Series indexed by seed."""
    common = sorted(set(a.index) & set(b.index))
    d = np.asarray([a[s] - b[s] for s in common], dtype=float)
    n = len(d)
    if n < 2:
        return float(d.mean()) if n else float("nan"), float("nan"), float("nan"), n
    se = float(d.std(ddof=1) / math.sqrt(n))
    try:
        from scipy import stats
        p = float(stats.ttest_rel([a[s] for s in common], [b[s] for s in common]).pvalue)
    except ImportError:
        p = float("nan")
    return float(d.mean()), se, p, n


def by_seed(df, column):
    return df.set_index("seed")[column].astype(float)


def paired_ci(a, b):
    """common.paired plus the 95% t confidence interval of the mean difference: (mean of a - b
    over matched seeds, CI low, CI high, paired t-test p, number of pairs). a and b are Series
    indexed by seed; the CI is NaN with fewer than 2 pairs."""
    d, se, p, n = paired(a, b)
    if n < 2:
        return d, float("nan"), float("nan"), p, n
    from scipy.stats import t
    half = float(t.ppf(0.975, n - 1)) * se
    return d, d - half, d + half, p, n


def arm_errors(res, arm_of, arms):
    """Final test and training error of each arm of a sweep whose arms differ in `regularizers`.
    `arm_of` maps a cell's `regularizers` value to an arm key, `arms` lists the keys. Returns
    (summary with an `arm` column, {key: test error Series indexed by seed}, {key: the cells'
    mean +- sd of training error as text})."""
    df = res.summary.copy()
    df["arm"] = df[res.column("regularizers")].map(arm_of)
    test, train = {}, {}
    for key in arms:
        cells = df[df.arm == key]
        test[key] = by_seed(cells, "final_test_accuracy").rsub(1.0)
        train[key] = mean_sd(1.0 - cells.final_train_accuracy.astype(float))
    return df, test, train


def print_paired(label, a, b):
    """Prints `label`: the paired difference a - b of test error in points, with its 95% CI, p
    and number of seeds; returns paired_ci(a, b)."""
    d, lo, hi, p, n = paired_ci(a, b)
    print(f"{label} (test error): {100 * d:+.3f} points, 95% CI [{100 * lo:+.3f}, "
          f"{100 * hi:+.3f}], paired t-test p = {p:.3g}, {n} seeds")
    return d, lo, hi, p, n


def reglab_report(path, within, *options):
    """The output of `build/reglab report PATH --select-by validation_accuracy --within WITHIN
    OPTIONS...` (`within`: the arm factors, comma-separated)."""
    binary = os.path.join(REPO, "build", "reglab")
    if not os.path.exists(binary):
        raise InputError(f"{binary} not found: build reglab to choose the settings")
    cmd = [binary, "report", path, "--select-by", "validation_accuracy", "--within", within,
           *options]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InputError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def same_value(column, value):
    """A mask of the `column` entries equal to `value` as read back from `reglab report`'s CSV
    (shortest round-trip text, so it converts back to the stored value exactly)."""
    if not len(column):
        return column == value
    return column == type(column.iloc[0])(value)


def selected(res, df, claims, name, within=("regularizers",)):
    """The cells of `df` (rows of the summary, any status) in each arm's setting chosen on
    validation accuracy, where an arm is one combination of the `within` factors and a setting
    one combination of the other varying factors (all cells if none of them varies within an
    arm). A setting with a diverged or failed cell is never chosen (`reglab report` names it),
    so a divergence at a rate no arm keeps does not make the run incomplete."""
    others = [f for f in res.factors if f not in within]
    if not others or all(df.groupby(list(within))[f].nunique().max() <= 1 for f in others):
        # factors zipped with an arm factor (one value per arm) are not a hyper-parameter axis
        claims.info(f"[{name}] protocol", "one setting per arm (no hyper-parameter axis): "
                    "nothing to choose on validation")
        return df
    arms = ",".join(within)
    print(reglab_report(res.path, arms, "--width", "100"), flush=True)
    chosen = pd.read_csv(io.StringIO(reglab_report(res.path, arms, "--format", "csv")))
    keep = pd.Series(False, index=df.index)
    for _, arm in chosen.iterrows():
        match = pd.Series(True, index=df.index)
        for f in [*within, *others]:
            match &= same_value(df[f], arm[f])
        keep |= match
        label = ", ".join(f"{f}={arm[f]}" for f in within if f != "regularizers")
        label = arm.regularizers + (f" ({label})" if label else "")
        claims.info(f"[{name}] {label}", f"{arm.setting} chosen from "
                    f"{arm.settings_chosen_from} settings on {arm.select_by}")
    return df[keep]


def chosen_cells(res, claims, name, within=("regularizers",)):
    """The complete cells of each arm's chosen setting (common.selected over every cell of
    `res`) and the number of cells of the chosen settings that are not complete; cells not
    complete in settings no arm kept are noted as INFO."""
    cells = selected(res, res.all, claims, name, within)
    incomplete = int((cells.status != "complete").sum())
    skipped = len(res.incomplete) - incomplete
    if skipped:
        claims.info(f"[{name}] cells not complete in settings no arm kept",
                    f"{skipped} ({', '.join(sorted(set(res.incomplete.status)))})")
    return cells[cells.status == "complete"].copy(), incomplete


def judge_each(description, study_dir, judge):
    """A check.py's main: `judge(claims, name, results, tier)` for every configuration of the
    tier (--tier, --results), then the verdict; returns the exit code."""
    args = parse_args(description, study_dir)
    if not args.files:
        raise InputError(f"no {args.tier} configuration in {study_dir}")
    claims = Claims(args.tier)
    for name, path in args.files.items():
        judge(claims, name, Results(path), args.tier)
    return claims.finish()
