#!/usr/bin/python3
"""Tidy pandas DataFrames from reglab results files (schema: README, section *Results files*).

    import sys; sys.path.insert(0, "tools")     # or PYTHONPATH=tools
    import reglab_results as rr
    rr.summary("results/quickstart.h5")         # one row per cell, text as str
    rr.curves("results/quickstart.h5")          # long form: one row per run, metric and epoch
    rr.weights("results/quickstart.h5", "35d08431d89e")   # {"dense_0/kernel": array, ...}
    rr.arms("results/quickstart.h5")            # per arm: n, mean final test accuracy, mean gap

    /usr/bin/python3 tools/reglab_results.py RESULTS.h5   # prints the rr.arms() table

Rules:
- Sweep files: `summary` is /summary with its text columns decoded to `str`. Run files (no
  /summary) get the same columns computed from each run's curves the way `reglab run` computes
  them for a sweep (final and best-validation values, gaps, total seconds), one row per run, with
  no factor columns; `name` is the run's `cell_name` attribute if it has one, else its `name`.
- Factors: the columns of /summary strictly between `name` and `seed` (reglab writes one there
  per varying key path, e.g. `regularizers`, `optimizer.learning_rate`; `reglab report` groups
  by the same columns). An arm is the set of cells that agree on every factor; its label is
  "factor=value, ..." as `reglab report` prints it (numbers in their shortest round-trip form),
  "(all)" when there is no factor.
- `curves`: every curve except `epoch` is a metric (`seconds` and `learning_rate` included), so a
  file whose runs all finished has cells x epochs x metrics rows, in /summary's cell order. Cells
  without a run (failed) have no curves: `curves` warns with their ids. A diverged run keeps the
  epochs it recorded (possibly none).
- `arms` averages the complete cells only (like `reglab report`); `n` counts them.

Errors: a missing file raises FileNotFoundError; a file that is not a reglab results file (not
HDF5, no `format="reglab"` attribute or no /runs group, a newer format_version) raises
ResultsFileError (a ValueError). Both messages start with the path. Needs h5py, numpy, pandas.
"""
import math
import os
import sys
import warnings

import h5py
import numpy as np
import pandas as pd

FORMAT_VERSION = 1
SPLITS = ("train", "validation", "test")
VALUES = [f"{split}_{m}" for split in SPLITS for m in ("loss", "accuracy")]
RUN_COLUMNS = ["cell_id", "name", "seed", "status", "message", "epochs",
               *[f"final_{v}" for v in VALUES], "best_epoch", *[f"best_{v}" for v in VALUES],
               "gap_final", "gap_best", "seconds"]  # a sweep's /summary adds factors after name


class ResultsFileError(ValueError):
    """The file is not a reglab results file this module can read; the message names it."""


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


def _open(path):
    """The file opened read-only, after checking that it is a reglab results file."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file (expected a reglab results file)")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ResultsFileError(f"{path}: cannot be read as HDF5, so not a reglab results file "
                               f"({e})") from None
    fmt, version = _text(f.attrs.get("format")), f.attrs.get("format_version", FORMAT_VERSION)
    if fmt != "reglab" or not isinstance(f.get("runs"), h5py.Group):
        f.close()
        raise ResultsFileError(f"{path}: not a reglab results file (root attribute format is "
                               f"{fmt!r}, not 'reglab', or there is no /runs group)")
    if version > FORMAT_VERSION:
        f.close()
        raise ResultsFileError(f"{path}: format_version {version}, this reader knows up to "
                               f"{FORMAT_VERSION}; update tools/reglab_results.py")
    return f


def _run_row(run_id, run):
    """The /summary row `reglab run` would write for this run (sweep_runner.cpp: summarize)."""
    c = {k: run["curves"][k][:] for k in run["curves"]}
    n = len(c.get("epoch", ()))
    best = n - 1
    if "validation_accuracy" in c and n > 0:  # first maximum; NaN never wins, as in reglab
        val, best = c["validation_accuracy"], 0
        for i in range(1, n):
            best = i if val[i] > val[best] else best

    def at(name, i):
        return float(c[name][i]) if name in c and 0 <= i < len(c[name]) else math.nan

    row = {"cell_id": run_id, "name": _text(run.attrs.get("cell_name", run.attrs["name"])),
           "seed": int(run.attrs["seed"]), "status": _text(run.attrs["status"]),
           "message": _text(run.attrs.get("status_message", "")), "epochs": n,
           "best_epoch": best + 1 if n > 0 else 0}
    for v in VALUES:
        row[f"final_{v}"], row[f"best_{v}"] = at(v, n - 1), at(v, best)
    for prefix in ("final", "best"):
        row[f"gap_{prefix}"] = row[f"{prefix}_train_accuracy"] - row[f"{prefix}_test_accuracy"]
    row["seconds"] = float(sum(c["seconds"].tolist())) if "seconds" in c else math.nan
    return row


def _summary(f):
    if "summary" not in f:
        rows = [_run_row(rid, run) for rid, run in f["runs"].items()]
        return pd.DataFrame(rows, columns=RUN_COLUMNS).astype(
            {"seed": np.int64, "epochs": np.int64, "best_epoch": np.int64})
    frame = pd.DataFrame(f["summary"][:])
    if not {"cell_id", "name", "seed", "status"} <= set(frame.columns):
        raise ResultsFileError(f"{f.filename}: /summary lacks a cell_id, name, seed or status "
                               "column")
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = [_text(v) for v in frame[col]]
    return frame


def summary(path):
    """One row per cell: /summary with `str` text columns, or, for a run file, the same columns
    (without factors) computed from its runs. Numbers keep their file types (float64, int64)."""
    with _open(path) as f:
        return _summary(f)


def factor_columns(frame):
    """The factor columns of a summary frame: those strictly between `name` and `seed`."""
    cols = list(frame.columns)
    return cols[cols.index("name") + 1:cols.index("seed")]


def curves(path):
    """Long form, one row per run, metric and epoch: columns cell (the run id), the factor
    columns, seed, epoch (int), metric, value (float64). Rows follow the summary's cell order,
    then the metrics in the file's order, then epochs."""
    with _open(path) as f:
        table = _summary(f)
        factors = factor_columns(table)
        runs = f["runs"]
        orphans = sorted(set(runs) - set(table.cell_id))
        if orphans:
            raise ResultsFileError(f"{path}: runs without a /summary row: {', '.join(orphans)}")
        missing, parts = [], []
        for _, row in table.iterrows():
            if row.cell_id not in runs:
                missing.append(f"{row.cell_id} ({row.status})")
                continue
            group = runs[row.cell_id]["curves"]
            epoch = group["epoch"][:].astype(np.int64)
            for metric in group:
                if metric == "epoch":
                    continue
                values = group[metric][:]
                if len(values) != len(epoch):
                    raise ResultsFileError(f"{path}: /runs/{row.cell_id}/curves/{metric} has "
                                           f"{len(values)} values for {len(epoch)} epochs")
                part = {"cell": row.cell_id, **{k: row[k] for k in factors}, "seed": row.seed}
                parts.append(pd.DataFrame({**part, "epoch": epoch, "metric": metric,
                                           "value": values}))
    if missing:
        warnings.warn(f"{path}: {len(missing)} cells have no run, so no curves: "
                      + ", ".join(missing), stacklevel=2)
    columns = ["cell", *factors, "seed", "epoch", "metric", "value"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns].astype({c: table[c].dtype for c in factors}
                                                              | {"seed": np.int64})


def weights(path, cell=None):
    """One run's weights: {"layer/param": numpy array} (float32, kernels (inputs, units)), in the
    file's order. `cell` is a run id; it may be omitted when the file holds exactly one run."""
    with _open(path) as f:
        ids = list(f["runs"])
        listed = ", ".join(ids[:20]) + (f", ... ({len(ids)} in all)" if len(ids) > 20 else "")
        if cell is None and len(ids) != 1:
            raise ValueError(f"{path} holds {len(ids)} runs; pass cell= one of: {listed}")
        cell = ids[0] if cell is None else cell
        if cell not in f["runs"]:
            raise ValueError(f"{path} has no run {cell!r}; its runs: {listed}")
        out = {}
        f["runs"][cell]["weights"].visititems(
            lambda name, obj: out.update({name: obj[:]}) if isinstance(obj, h5py.Dataset) else None)
        return out


def _shortest(v):
    """A number as `reglab report` prints it: an integer below 10^15 in plain digits, otherwise
    the shortest %g that reads back as the same value."""
    negative_zero = v == 0 and math.copysign(1, v) < 0
    if math.isfinite(v) and abs(v) < 1e15 and v == math.trunc(v) and not negative_zero:
        return f"{v:.0f}"
    for precision in range(1, 18):
        s = f"{v:.{precision}g}"
        if float(s) == v:
            return s
    return s


def arm_labels(frame):
    """Each row's arm label: "factor=value, ..." over the factor columns, or "(all)"."""
    factors = factor_columns(frame)
    if not factors:
        return pd.Series("(all)", index=frame.index)
    text = {k: frame[k].map(_shortest) if frame[k].dtype.kind == "f" else frame[k].astype(str)
            for k in factors}
    return pd.Series([", ".join(f"{k}={text[k][i]}" for k in factors) for i in frame.index],
                     index=frame.index)


def arms(path):
    """Per arm, in order of first appearance: arm (label), n (complete cells), and the means over
    them of final_test_accuracy and gap_final (train minus test accuracy at the last epoch)."""
    table = summary(path)
    table["arm"] = arm_labels(table)
    complete = table[table.status == "complete"]
    means = complete.groupby("arm", sort=False).agg(
        n=("cell_id", "size"), final_test_accuracy=("final_test_accuracy", "mean"),
        gap_final=("gap_final", "mean"))
    means = means.reindex(pd.Index(table.arm.unique(), name="arm"))
    return means.fillna({"n": 0}).astype({"n": int}).reset_index()


def main(argv):
    if len(argv) != 2:
        print("usage: /usr/bin/python3 tools/reglab_results.py RESULTS.h5", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        table, per_arm = summary(path), arms(path)
    except (OSError, ValueError) as e:
        print(f"reglab_results: {e}", file=sys.stderr)
        return 2
    others = table.status[table.status != "complete"].value_counts(sort=False)
    excluded = ", ".join(f"{s} {n}" for s, n in others.items())
    print(f"{path}: {len(table)} cell{'s' * (len(table) != 1)}, "
          f"{len(table) - others.sum()} complete"
          + (f" (not in the means: {excluded})" if excluded else ""))
    w = max(len("arm"), *per_arm.arm.map(len))
    print(f"{'arm':<{w}}  {'n':>3}  {'final_test_accuracy':>19}  {'gap_final':>9}")
    for a in per_arm.itertuples():  # NaN (an arm without complete cells) as in the CSV export
        acc, gap = (f"{v:.6f}".replace("nan", "NaN") for v in (a.final_test_accuracy, a.gap_final))
        print(f"{a.arm:<{w}}  {a.n:>3}  {acc:>19}  {gap:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
