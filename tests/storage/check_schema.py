#!/usr/bin/python3
"""Checks that an HDF5 file follows reglab's results schema (framework/storage/schema.hpp).

Usage: /usr/bin/python3 tests/storage/check_schema.py RESULTS.h5

Reads the file the way users do (h5py 3, numpy, pandas) and checks every documented property:
string attributes come back as `str`, numbers have the documented types, curves are 1-D float64
of equal length with a 1-based "epoch", a pandas DataFrame builds from them, and weights are
float32 with a storage_order attribute. The root attribute `kind` is "run" (no /summary) or
"sweep"; files without it are run files. A sweep's /summary is a 1-D compound dataset (float64,
int64 and variable-length UTF-8 string members) with a string column `cell_id` naming every run
group once, and `pandas.DataFrame(f["summary"][:])` has one row per run (h5py returns compound
strings as bytes: `df[c] = df[c].str.decode("utf-8")`). Prints every violation to stderr and
exits 1, or prints a one-line summary and exits 0. Exits 2 if the file cannot be opened.
"""

import re
import sys

import h5py
import numpy as np
import pandas as pd

FORMAT_VERSION = 1
STATUSES = ("complete", "diverged")
RUN_ATTRIBUTES = ("name", "config", "seed", "status")
ROOT_ATTRIBUTES = ("format", "format_version", "reglab_version", "created_utc", "config", "kind")
KINDS = ("run", "sweep")
STORAGE_ORDER = "row-major (C)"
VECTOR_PARAMS = ("bias", "gamma", "beta", "running_mean", "running_var")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, where, message):
        self.errors.append(f"{where}: {message}")

    def string_attr(self, obj, name, where):
        """The attribute as str, or None after recording why it is not one."""
        if name not in obj.attrs:
            self.fail(where, f"missing attribute '{name}'")
            return None
        value = obj.attrs[name]
        if not isinstance(value, str):
            self.fail(where, f"attribute '{name}' is {type(value).__name__}, expected str "
                             "(a variable-length UTF-8 string)")
            return None
        return value

    def int_attr(self, obj, name, dtype, where):
        if name not in obj.attrs:
            self.fail(where, f"missing attribute '{name}'")
            return None
        value = obj.attrs[name]
        if not isinstance(value, np.integer) or value.dtype != np.dtype(dtype):
            self.fail(where, f"attribute '{name}' is {type(value).__name__}, expected a scalar "
                             f"{dtype}")
            return None
        return int(value)


def check_curves(c, run, where):
    curves = run.get("curves")
    if not isinstance(curves, h5py.Group):
        c.fail(where, "missing group 'curves'")
        return 0
    columns = {}
    for metric, ds in curves.items():
        path = f"{where}/curves/{metric}"
        if not isinstance(ds, h5py.Dataset):
            c.fail(path, "is not a dataset")
            continue
        if ds.dtype != np.float64:
            c.fail(path, f"dtype is {ds.dtype}, expected float64")
        if ds.ndim != 1:
            c.fail(path, f"has {ds.ndim} dimensions, expected 1")
            continue
        columns[metric] = ds[:]
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        c.fail(f"{where}/curves", f"curves differ in length: {lengths}")
    if "epoch" not in columns:
        c.fail(f"{where}/curves", "missing the 'epoch' curve")
    elif len(set(lengths.values())) == 1:
        epoch = columns["epoch"]
        if not np.array_equal(epoch, np.arange(1, len(epoch) + 1)):
            c.fail(f"{where}/curves/epoch", "is not 1, 2, ..., n")
    if len(set(lengths.values())) <= 1:
        try:
            frame = pd.DataFrame({k: curves[k][:] for k in columns})
            if frame.shape != (next(iter(lengths.values()), 0), len(columns)):
                c.fail(f"{where}/curves", f"DataFrame has shape {frame.shape}")
        except Exception as e:  # noqa: BLE001 - any failure is a schema violation
            c.fail(f"{where}/curves", f"pandas.DataFrame(...) failed: {e}")
    return len(columns)


def check_weights(c, run, where):
    weights = run.get("weights")
    if not isinstance(weights, h5py.Group):
        c.fail(where, "missing group 'weights'")
        return 0
    count = 0
    for layer_name, layer in weights.items():
        layer_path = f"{where}/weights/{layer_name}"
        if not isinstance(layer, h5py.Group):
            c.fail(layer_path, "is not a group (expected weights/<layer>/<param>)")
            continue
        for param, ds in layer.items():
            path = f"{layer_path}/{param}"
            if not isinstance(ds, h5py.Dataset):
                c.fail(path, "is not a dataset")
                continue
            count += 1
            if ds.dtype != np.float32:
                c.fail(path, f"dtype is {ds.dtype}, expected float32")
            order = c.string_attr(ds, "storage_order", path)
            if order is not None and order != STORAGE_ORDER:
                c.fail(path, f"storage_order is {order!r}, expected {STORAGE_ORDER!r}")
            if param == "kernel" and ds.ndim != 2:
                c.fail(path, f"kernel has shape {ds.shape}, expected (inputs, units)")
            if param in VECTOR_PARAMS and ds.ndim != 1:
                c.fail(path, f"{param} has shape {ds.shape}, expected (units,)")
        kernel, bias = layer.get("kernel"), layer.get("bias")
        if (isinstance(kernel, h5py.Dataset) and isinstance(bias, h5py.Dataset)
                and kernel.ndim == 2 and bias.shape != (kernel.shape[1],)):
            c.fail(layer_path, f"bias shape {bias.shape} does not match kernel {kernel.shape}")
    return count


def summary_dtype_problem(dtype):
    """Why a member dtype of /summary is not float64, int64 or a vlen UTF-8 string, or None."""
    if dtype == np.dtype("<f8") or dtype == np.dtype("<i8"):
        return None
    info = h5py.check_string_dtype(dtype)
    if info is None or info.length is not None:
        return f"dtype {dtype}, expected float64, int64 or a variable-length string"
    if info.encoding != "utf-8":
        return f"string encoding {info.encoding}, expected utf-8"
    return None


def check_summary(c, f, run_ids):
    """Checks /summary of a sweep file; returns its number of rows."""
    ds = f.get("summary")
    if not isinstance(ds, h5py.Dataset):
        c.fail("/", "kind is 'sweep' but there is no dataset 'summary'")
        return 0
    if ds.dtype.names is None or ds.ndim != 1:
        c.fail("/summary", f"has dtype {ds.dtype} and shape {ds.shape}, expected a 1-D "
                           "compound dataset")
        return 0
    for name in ds.dtype.names:
        problem = summary_dtype_problem(ds.dtype[name])
        if problem is not None:
            c.fail("/summary", f"column '{name}' has {problem}")
    try:
        frame = pd.DataFrame(ds[:])
    except Exception as e:  # noqa: BLE001 - any failure is a schema violation
        c.fail("/summary", f"pandas.DataFrame(f['summary'][:]) failed: {e}")
        return 0
    if list(frame.columns) != list(ds.dtype.names):
        c.fail("/summary", f"DataFrame columns {list(frame.columns)} are not the table's")
    if len(frame) != len(run_ids):
        c.fail("/summary", f"DataFrame has {len(frame)} rows for {len(run_ids)} runs")
    if "cell_id" not in frame.columns:
        c.fail("/summary", "missing the 'cell_id' column")
        return len(frame)
    if h5py.check_string_dtype(ds.dtype["cell_id"]) is None:
        c.fail("/summary", "column 'cell_id' is not a string column")
        return len(frame)
    try:
        cells = frame["cell_id"].str.decode("utf-8")
    except Exception as e:  # noqa: BLE001
        c.fail("/summary", f"cell_id does not decode as UTF-8: {e}")
        return len(frame)
    duplicated = sorted(set(cells[cells.duplicated()]))
    if duplicated:
        c.fail("/summary", f"cell_id values appear more than once: {duplicated}")
    missing = sorted(set(run_ids) - set(cells))
    extra = sorted(set(cells) - set(run_ids))
    if missing:
        c.fail("/summary", f"no row for runs {missing}")
    if extra:
        c.fail("/summary", f"cell_id values without a run group: {extra}")
    return len(frame)


def check(path):
    c = Checker()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        print(f"check_schema: cannot open {path}: {e}", file=sys.stderr)
        sys.exit(2)
    runs = curves = weights = 0
    with f:
        fmt = c.string_attr(f, "format", "/")
        if fmt is not None and fmt != "reglab":
            c.fail("/", f"format is {fmt!r}, expected 'reglab'")
        version = c.int_attr(f, "format_version", "int64", "/")
        if version is not None and version != FORMAT_VERSION:
            c.fail("/", f"format_version is {version}, this script checks {FORMAT_VERSION}")
        c.string_attr(f, "reglab_version", "/")
        created = c.string_attr(f, "created_utc", "/")
        if created is not None and not ISO_UTC.match(created):
            c.fail("/", f"created_utc {created!r} is not ISO 8601 UTC (YYYY-MM-DDTHH:MM:SSZ)")
        c.string_attr(f, "config", "/")
        kind = "run"  # files written before `kind` existed are run files
        if "kind" in f.attrs:
            kind = c.string_attr(f, "kind", "/")
            if kind is not None and kind not in KINDS:
                c.fail("/", f"kind is {kind!r}, expected one of {KINDS}")
        for name in f.attrs:
            if name not in ROOT_ATTRIBUTES:
                c.string_attr(f, name, "/")  # e.g. sweep_id, sweep_name: all strings

        run_ids = []
        group = f.get("runs")
        if not isinstance(group, h5py.Group):
            c.fail("/", "missing group 'runs'")
        else:
            for run_id, run in group.items():
                where = f"/runs/{run_id}"
                if not isinstance(run, h5py.Group):
                    c.fail(where, "is not a group")
                    continue
                runs += 1
                run_ids.append(run_id)
                for name in ("name", "config", "status"):
                    c.string_attr(run, name, where)
                c.int_attr(run, "seed", "uint64", where)
                status = run.attrs.get("status")
                if isinstance(status, str) and status not in STATUSES:
                    c.fail(where, f"status is {status!r}, expected one of {STATUSES}")
                for name in run.attrs:
                    if name not in RUN_ATTRIBUTES:
                        c.string_attr(run, name, where)  # provenance: all strings
                curves += check_curves(c, run, where)
                weights += check_weights(c, run, where)

        summary = ""
        if kind == "sweep":
            rows = check_summary(c, f, run_ids)
            summary = f", {rows} summary rows"
        elif kind == "run" and "summary" in f:
            c.fail("/", "kind is 'run' but there is a 'summary'")

    if c.errors:
        for error in c.errors:
            print(f"check_schema: {path}: {error}", file=sys.stderr)
        print(f"check_schema: {path}: {len(c.errors)} schema violation(s)", file=sys.stderr)
        sys.exit(1)
    print(f"OK {path}: reglab format_version {version}, kind {kind}, {runs} runs, {curves} curves, "
          f"{weights} weight arrays{summary}")


def main(argv):
    if len(argv) != 2:
        print("usage: check_schema.py RESULTS.h5", file=sys.stderr)
        return 2
    check(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
