#!/usr/bin/python3
"""Tests of tools/reglab_results.py on files the reglab binary writes.

Usage: /usr/bin/python3 tests/tools/test_reglab_results.py PATH_TO_REGLAB

Trains, in a temporary folder, a sweep on synthetic data (3 regularizer arms x 2 learning rates x
2 seeds, 3 epochs), a 2-cell sweep whose second cell diverges and a single run, and checks the
reader against what h5py reads directly and against `reglab report`. Prints "ok - NAME" or
"not ok - NAME" per check, then "N passed, N failed"; exits 1 if any check failed.
"""
import glob
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import h5py
import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import reglab_results as rr  # noqa: E402

DATA = ("data: {dataset: synthetic, train_samples: 600, test_samples: 300, features: 32, "
        "classes: 4, noise: 0.45, validation_size: 100}\n"
        "model: {name: mlp, hidden: [32]}\n"
        "optimizer: {name: sgd, learning_rate: 0.1}\n"
        "train: {epochs: 3, batch_size: 50}\n")
EPOCHS = 3
results = {"passed": 0, "failed": 0}


def check(name, fn):
    """Runs fn(); an AssertionError or any other exception is a failed check."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported
        results["failed"] += 1
        print(f"not ok - {name}\n#   {type(e).__name__}: {e}")
    else:
        results["passed"] += 1
        print(f"ok - {name}")


def same(a, b):
    """Equal values: floats bitwise (NaN equal to NaN), anything else with ==."""
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        both_nan = math.isnan(a) and math.isnan(b)
        return both_nan or np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b


def raw_summary(path):
    """/summary as h5py gives it, text decoded by hand: the reference for rr.summary."""
    with h5py.File(path, "r") as f:
        table = f["summary"][:]
    return {k: [v.decode() if isinstance(v, bytes) else v for v in table[k]]
            for k in table.dtype.names}


def run(reglab, *args, cwd):
    """(exit code, output) of reglab; 127 if it cannot be started."""
    try:
        p = subprocess.run([reglab, *args], cwd=cwd, capture_output=True, text=True)
    except OSError as e:
        return 127, str(e)
    return p.returncode, p.stdout + p.stderr


def main(argv):
    if len(argv) != 2:
        print("usage: test_reglab_results.py PATH_TO_REGLAB", file=sys.stderr)
        return 2
    reglab = os.path.abspath(argv[1])
    tmp = tempfile.mkdtemp(prefix="reglab-reader-")
    try:
        return tests(reglab, tmp)
    finally:
        shutil.rmtree(tmp)


def tests(reglab, tmp):
    sweep, div, single = (os.path.join(tmp, n) for n in ("sweep.h5", "div.h5", "single.h5"))
    with open(os.path.join(tmp, "sweep.yaml"), "w") as y:
        y.write(f"name: reader-sweep\n{DATA}output: {sweep}\nseeds: 2\ngrid:\n"
                "  regularizers: [[], [{name: dropout, rate: 0.3}], [{name: l2, lambda: 0.001}]]\n"
                "  optimizer.learning_rate: [0.1, 0.05]\n")
    with open(os.path.join(tmp, "div.yaml"), "w") as y:
        y.write(f"name: reader-div\n{DATA}output: {div}\n"
                "grid: {optimizer.learning_rate: [0.1, 1.0e+30]}\n")
    with open(os.path.join(tmp, "single.yaml"), "w") as y:
        y.write(f"name: reader-single\n{DATA}output: {single}\n"
                "regularizers: [{name: dropout, rate: 0.3}]\n")
    codes = [run(reglab, "run", os.path.join(tmp, n), "--jobs", "2", "-q", cwd=tmp)
             for n in ("sweep.yaml", "div.yaml", "single.yaml")]

    def trained():
        assert [c for c, _ in codes] == [0, 3, 0], f"reglab run exit codes: {codes}"
    check("reglab trains the sweep (exit 0), the diverging sweep (exit 3) and the run", trained)
    if results["failed"]:
        return finish()
    with h5py.File(sweep, "r") as f:
        run_ids = list(f["runs"])
    raw = raw_summary(sweep)

    def summary_str():
        s = rr.summary(sweep)
        assert list(s.columns) == list(raw), f"columns {list(s.columns)} vs {list(raw)}"
        for col in s.columns:
            types = {type(v) for v in s[col]}
            assert bytes not in types, f"column {col} holds bytes"
            if s[col].dtype == object:
                assert types == {str}, f"column {col} holds {types}"
    check("summary: text columns are str, no bytes, the file's columns in order", summary_str)

    def summary_rows():
        s = rr.summary(sweep)
        assert len(s) == 12 == len(raw["cell_id"]), f"{len(s)} rows for 12 cells"
        assert s.cell_id.is_unique and sorted(s.cell_id) == sorted(run_ids)
        for col, values in raw.items():
            for a, b in zip(s[col], values):
                assert same(a, b), f"{col}: {a!r} vs {b!r} (h5py)"
    check("summary: one row per cell, every value equal to h5py's", summary_rows)

    def factors():
        assert rr.factor_columns(rr.summary(sweep)) == ["regularizers", "optimizer.learning_rate"]
        assert rr.factor_columns(rr.summary(single)) == []
    check("factor columns: between name and seed (none in a run file)", factors)

    def curves_shape():
        c = rr.curves(sweep)
        expected = ["cell", "regularizers", "optimizer.learning_rate", "seed", "epoch", "metric",
                    "value"]
        assert list(c.columns) == expected, f"columns {list(c.columns)}"
        with h5py.File(sweep, "r") as f:
            metrics = [m for m in f["runs"][run_ids[0]]["curves"] if m != "epoch"]
        assert "seconds" in metrics and "gflop" in metrics and len(metrics) == 10, metrics
        assert len(c) == 12 * EPOCHS * len(metrics), f"{len(c)} rows"
        assert list(c.metric.unique()) == metrics
        assert list(c.cell.unique()) == list(rr.summary(sweep).cell_id)  # summary order
        assert c.epoch.dtype == np.int64 and c.value.dtype == np.float64
        assert not any(isinstance(v, bytes) for col in c.columns for v in c[col])
    check("curves: long form, cells x epochs x metrics rows (seconds included)", curves_shape)

    def curves_values():
        c = rr.curves(sweep).set_index(["cell", "metric"]).sort_index()
        s = rr.summary(sweep).set_index("cell_id")
        with h5py.File(sweep, "r") as f:
            for rid in run_ids:
                group = f["runs"][rid]["curves"]
                epoch = group["epoch"][:]
                for metric in group:
                    if metric == "epoch":
                        continue
                    part = c.loc[(rid, metric)]
                    assert part.value.to_numpy().tobytes() == group[metric][:].tobytes(), \
                        f"{rid} {metric}"
                    assert np.array_equal(part.epoch.to_numpy(), epoch), f"{rid} epochs"
                    for k in ("regularizers", "optimizer.learning_rate", "seed"):
                        assert (part[k] == s.loc[rid, k]).all(), f"{rid} {k}"
    check("curves: values bitwise equal to h5py's, factors and seed from the cell's row",
          curves_values)

    def single_run():
        s = rr.summary(single)
        assert len(s) == 1 and list(s.columns) == rr.RUN_COLUMNS, list(s.columns)
        with h5py.File(single, "r") as f:
            (rid, group), = f["runs"].items()
            cur = {k: group["curves"][k][:] for k in group["curves"]}
            row = s.iloc[0]
            assert row.cell_id == rid and row["name"] == "reader-single"
            assert row.status == group.attrs["status"] and row.seed == group.attrs["seed"]
        assert row.epochs == EPOCHS and row.final_test_accuracy == cur["test_accuracy"][-1]
        assert row.gap_final == cur["train_accuracy"][-1] - cur["test_accuracy"][-1]
        assert row.seconds == sum(cur["seconds"].tolist())
        assert not any(isinstance(v, bytes) for v in row)
        c = rr.curves(single)
        assert list(c.columns) == ["cell", "seed", "epoch", "metric", "value"]
        assert len(c) == EPOCHS * (len(cur) - 1)
    check("run file: a one-row summary from /runs, and its curves", single_run)

    def run_files_match_sweep():
        checked = 0
        for path in (sweep, div):
            rows = rr.summary(path).set_index("cell_id")
            for cell_file in glob.glob(path[:-3] + ".cells/*.h5"):
                one = rr.summary(cell_file).iloc[0]
                for col in rr.RUN_COLUMNS[2:]:  # a cell file's name is the sweep's name
                    assert same(one[col], rows.loc[one.cell_id, col]), \
                        f"{cell_file} {col}: {one[col]!r} vs {rows.loc[one.cell_id, col]!r}"
                checked += 1
        assert checked == 14, f"{checked} cell files"
    check("run file summary: equal to the sweep's /summary row, diverged run included",
          run_files_match_sweep)

    def weights_values():
        for path, cell in ((single, None), (sweep, run_ids[3])):
            w = rr.weights(path, cell)
            with h5py.File(path, "r") as f:
                group = f["runs"][cell or next(iter(f["runs"]))]["weights"]
                names = []
                group.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset)
                                 else None)
                assert list(w) == names, f"{list(w)} vs {names}"
                for n in names:
                    assert w[n].shape == group[n].shape and w[n].dtype == np.float32, n
                    assert np.array_equal(w[n], group[n][:]), n
        assert rr.weights(sweep, run_ids[3])["dense_0/kernel"].shape == (32, 32)
    check("weights: every layer/param, shapes and values as in the file", weights_values)

    def weights_errors():
        for cell, words in ((None, ["12 runs", *run_ids]), ("nope", ["'nope'", run_ids[0]])):
            try:
                rr.weights(sweep, cell)
            except ValueError as e:
                assert sweep in str(e) and all(w in str(e) for w in words), str(e)
            else:
                raise AssertionError(f"weights(sweep, {cell!r}) returned")
    check("weights: ValueError naming the file and the run ids", weights_errors)

    def arms_match_report():
        code, out = run(reglab, "report", sweep, "--format", "csv", cwd=tmp)
        assert code == 0, out
        report = pd.read_csv(io.StringIO(out)).drop_duplicates("arm")
        a = rr.arms(sweep)
        assert list(a.arm) == list(report.arm), f"{list(a.arm)} vs {list(report.arm)}"
        assert list(a.n) == list(report.n) == [2] * 6
        for mine, theirs in (("final_test_accuracy", "final_test_accuracy_mean"),
                             ("gap_final", "gap_final_mean")):
            assert np.allclose(a[mine], report[theirs], rtol=0, atol=1e-12), mine
    check("arms: labels, n and means equal reglab report's", arms_match_report)

    def labels_print_numbers_as_reglab():
        # the same texts tests/core/test_csv.cpp asserts for reglab's shortest_decimal
        values = [0.1, 0.30000000000000004, 1e-5, 12345.0, 10.0, 500.0, -50000.0,
                  123456789012345.0, 1e15, 1e300, 2.5e3, 2.5e-3]
        texts = ["0.1", "0.30000000000000004", "1e-05", "12345", "10", "500", "-50000",
                 "123456789012345", "1e+15", "1e+300", "2500", "0.0025"]
        assert [rr._shortest(v) for v in values] == texts, [rr._shortest(v) for v in values]
    check("arm labels print numbers as reglab does (integers in plain digits)",
          labels_print_numbers_as_reglab)

    def arms_diverged():
        a = rr.arms(div)
        assert list(a.arm) == ["optimizer.learning_rate=0.1", "optimizer.learning_rate=1e+30"]
        assert list(a.n) == [1, 0] and math.isnan(a.final_test_accuracy[1])
        assert len(rr.curves(div)) == EPOCHS * 10  # the diverged run recorded no epoch
    check("arms: only complete cells (a diverged arm has n 0)", arms_diverged)

    def missing_run_warns():
        copy = os.path.join(tmp, "missing.h5")
        shutil.copy(sweep, copy)
        with h5py.File(copy, "a") as f:
            del f["runs"][run_ids[5]]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = rr.curves(copy)
        assert len(caught) == 1 and run_ids[5] in str(caught[0].message), caught
        assert len(c) == 11 * EPOCHS * 10 and run_ids[5] not in set(c.cell)
    check("curves: a cell without a run is warned about, not skipped silently", missing_run_warns)

    def command_line():
        cmd = [sys.executable, os.path.join(ROOT, "tools", "reglab_results.py")]
        p = subprocess.run(cmd + [sweep], capture_output=True, text=True)
        lines = p.stdout.splitlines()
        assert p.returncode == 0 and lines[0] == f"{sweep}: 12 cells, 12 complete", p.stdout
        assert lines[1].split() == ["arm", "n", "final_test_accuracy", "gap_final"], lines[1]
        a = rr.arms(sweep)
        for line, row in zip(lines[2:], a.itertuples()):
            assert line.startswith(row.arm + " ") and int(line.split()[-3]) == row.n, line
            assert abs(float(line.split()[-2]) - row.final_test_accuracy) <= 5e-7, line
            assert abs(float(line.split()[-1]) - row.gap_final) <= 5e-7, line
        assert len(lines) == 2 + len(a), p.stdout
        p = subprocess.run(cmd + [div], capture_output=True, text=True)
        assert "1 complete (not in the means: diverged 1)" in p.stdout, p.stdout
        p = subprocess.run(cmd + [os.path.join(tmp, "absent.h5")], capture_output=True, text=True)
        assert p.returncode == 2 and "absent.h5: no such file" in p.stderr, p.stderr
    check("python3 tools/reglab_results.py FILE prints the per-arm table", command_line)

    def errors_name_the_file():
        text = os.path.join(tmp, "sweep.yaml")
        other = os.path.join(tmp, "other.h5")
        with h5py.File(other, "w") as f:
            f["x"] = [1.0]
        cases = [(os.path.join(tmp, "absent.h5"), FileNotFoundError), (text, rr.ResultsFileError),
                 (other, rr.ResultsFileError)]
        for path, kind in cases:
            for fn in (rr.summary, rr.curves, rr.weights, rr.arms):
                try:
                    fn(path)
                except kind as e:
                    assert str(e).startswith(path + ":"), str(e)
                else:
                    raise AssertionError(f"{fn.__name__}({path}) returned")
        assert issubclass(rr.ResultsFileError, ValueError)
    check("errors: a missing, a non-HDF5 and a non-reglab file are named", errors_name_the_file)
    return finish()


def finish():
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
