#!/usr/bin/env bash
# Plots and exports end to end: trains a tiny sweep (synthetic data, 2 arms x 2 seeds, 3 epochs),
# runs tools/plot.py on it and on one cell's run file (4 valid PNGs each), exports one cell's
# weights to the Keras legacy layout and checks it with h5py (names, shapes, values bitwise equal
# to the results file, read as Keras' own loader reads it), exports CSV and reads it with pandas,
# and runs the Python examples of docs/analysis.md on these files. Each check prints "ok - NAME"
# or "not ok - NAME"; the script ends with "N passed, N failed" and exits 1 if any check failed.
# Usage: bash tests/e2e/test_plots_exports.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail
reglab=$(realpath "$1")
py=/usr/bin/python3
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$(dirname "$0")/lib.sh"

cat > "$tmp/sweep.yaml" << YAML
name: e2e-plots
data: {dataset: synthetic, train_samples: 400, test_samples: 200, features: 12, classes: 3,
       validation_size: 100}
model: {name: mlp, hidden: [16, 8]}
optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
train: {epochs: 3, batch_size: 32}
grid:
  regularizers: [[], [{name: batch_norm}]]
seeds: 2
output: $tmp/sweep.h5
YAML

cat > "$tmp/check.py" << 'PY'
"""Checks of plots and exports: python3 check.py COMMAND ARGS... (exit 1 with a message)."""
import os, sys
import h5py, numpy as np


def summary_frame(f):
    import pandas as pd
    df = pd.DataFrame(f["summary"][:])
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].str.decode("utf-8")
    return df


def pngs(out_dir):
    """The four plots exist, start with the PNG signature and decode to a non-blank image."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    for name in ("learning_curves.png", "final_accuracy.png", "gap.png", "loss_curves.png"):
        p = os.path.join(out_dir, name)
        assert os.path.isfile(p), f"{p} missing"
        with open(p, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n", f"{p}: not a PNG signature"
        img = mpimg.imread(p)
        assert img.ndim == 3 and img.shape[0] >= 300 and img.shape[1] >= 500, f"{p}: {img.shape}"
        assert float(img[..., :3].std()) > 0.01, f"{p}: blank image"
    print("4 PNGs valid")


def plot_numbers(results):
    """plot.py's arms and its best-validation gap agree with /summary (imports tools/plot.py)."""
    sys.path.insert(0, "tools")
    import plot
    f = h5py.File(results, "r")
    s = summary_frame(f)
    _, legend, arms = plot.load(results)
    assert legend == "regularizers", legend
    assert [a for a, _ in arms] == ["none", "batch_norm"], [a for a, _ in arms]
    assert [len(r) for _, r in arms] == [2, 2]
    got = sorted(float(r["train_accuracy"].iloc[plot.best_epoch_index(r)] -
                       r["test_accuracy"].iloc[plot.best_epoch_index(r)])
                 for _, runs in arms for r in runs)
    want = sorted(s.gap_best)
    assert np.allclose(got, want, rtol=0, atol=1e-12), f"{got} vs {want}"
    m, h, n = plot.mean_ci([1.0, 2.0, 3.0])
    assert n == 3 and m == 2.0 and abs(h - 4.302652729911275 / 3 ** 0.5) < 1e-6, (m, h, n)
    print("arms and gap_best agree with /summary")


def cell(results, regularizer):
    s = summary_frame(h5py.File(results, "r"))
    print(s[s.regularizers == regularizer].cell_id.iloc[0])


def load_attributes(group, name):
    """Keras' load_attributes_from_hdf5_group (legacy HDF5 format), verbatim in behaviour."""
    if name in group.attrs:
        return [n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs[name]]
    data, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(n.decode("utf8") if hasattr(n, "decode") else n
                    for n in group.attrs[f"{name}{chunk}"])
        chunk += 1
    return data


def keras(results, exported, cell_id):
    r = h5py.File(results, "r")["runs"][cell_id]
    k = h5py.File(exported, "r")
    layers = load_attributes(k, "layer_names")
    assert layers == ["dense_0", "batch_norm_0", "dense_1", "batch_norm_1", "dense_2"], layers
    attr = k.attrs["layer_names"]
    assert attr.dtype.kind == "S" and attr.dtype.itemsize == len("batch_norm_0"), attr.dtype
    assert k.attrs["backend"] == b"tensorflow", k.attrs["backend"]
    assert k.attrs["keras_version"] == b"2.11.0", k.attrs["keras_version"]
    assert sorted(k.keys()) == sorted(layers), list(k.keys())
    ours = {"kernel": "kernel", "bias": "bias", "gamma": "gamma", "beta": "beta",
            "moving_mean": "running_mean", "moving_variance": "running_var"}
    features, hidden = 12, [16, 8]
    widths = [features] + hidden + [3]
    for layer in layers:
        names = load_attributes(k[layer], "weight_names")
        i = int(layer.rsplit("_", 1)[1])
        if layer.startswith("dense"):
            want = [f"{layer}/kernel:0", f"{layer}/bias:0"]
            shapes = [(widths[i], widths[i + 1]), (widths[i + 1],)]
        else:
            want = [f"{layer}/{w}:0" for w in ("gamma", "beta", "moving_mean", "moving_variance")]
            shapes = [(hidden[i],)] * 4
        assert names == want, (layer, names)
        for name, shape in zip(names, shapes):
            d = k[layer][name]  # h5py resolves "<layer>/<weight>:0" inside the layer group
            assert d.name == f"/{layer}/{name}", d.name
            assert d.dtype == np.dtype("<f4") and d.shape == shape, (name, d.dtype, d.shape)
            src = r["weights"][layer][ours[name.split("/")[1][:-2]]][:]
            assert d[()].tobytes() == src.tobytes(), f"{name} differs from the results file"
    print(f"{len(layers)} layers, weights bitwise equal to {cell_id}")


def csv(results, out_dir):
    import pandas as pd
    f = h5py.File(results, "r")
    s = summary_frame(f)
    # pandas' default float parser can be one ulp off; "round_trip" reads %.17g exactly.
    summary = pd.read_csv(os.path.join(out_dir, "summary.csv"), keep_default_na=False,
                          na_values=["NaN"], float_precision="round_trip")
    curves = pd.read_csv(os.path.join(out_dir, "curves.csv"), float_precision="round_trip")
    assert list(summary.columns) == list(s.columns), (list(summary.columns), list(s.columns))
    assert len(summary) == len(s) == 4, len(summary)
    for c in s.columns:
        assert list(summary[c]) == list(s[c]), f"summary column {c}: {list(summary[c])}"
    runs = list(f["runs"])
    epochs = {rid: len(f["runs"][rid]["curves"]["epoch"]) for rid in runs}
    assert len(curves) == sum(epochs.values()) == len(runs) * 3, (len(curves), epochs)
    metrics = list(f["runs"][runs[0]]["curves"])
    assert list(curves.columns) == ["run_id", "name"] + metrics, list(curves.columns)
    for rid in runs:
        part = curves[curves.run_id == rid]
        assert len(part) == epochs[rid]
        assert set(part.name) == {f["runs"][rid].attrs["cell_name"]}, set(part.name)
        for m in metrics:  # bitwise: %.17g round-trips
            a, b = part[m].to_numpy(np.float64), f["runs"][rid]["curves"][m][:]  # epoch: int
            assert a.tobytes() == b.tobytes(), f"{rid} {m}: {a} vs {b}"
    print(f"summary {len(summary)} rows, curves {len(curves)} rows = {len(runs)} runs x 3 epochs")


def doc_example(marker, doc, *replacements):
    """Runs the fenced Python block after `<!-- tested: MARKER -->` in the doc, with each
    OLD=NEW replacement applied."""
    text = open(doc).read()
    start = text.index(f"<!-- tested: {marker} -->")
    start = text.index("```python\n", start) + len("```python\n")
    code = text[start:text.index("```", start)]
    for r in replacements:
        old, new = r.split("=", 1)
        assert old in code, f"{old!r} not in the {marker} example"
        code = code.replace(old, new)
    exec(compile(code, f"{doc}:{marker}", "exec"), {})


{"pngs": pngs, "plot_numbers": plot_numbers, "cell": cell, "keras": keras, "csv": csv,
 "doc": doc_example}[sys.argv[1]](*sys.argv[2:])
PY

# --- a. a tiny sweep ------------------------------------------------------------------------------
"$reglab" run "$tmp/sweep.yaml" --jobs 2 -q > "$tmp/run.log" 2>&1
rc=$?
if [[ $rc == 0 && -f "$tmp/sweep.h5" ]]; then
  ok "a. tiny sweep (2 arms x 2 seeds) trains"
else
  not_ok "a. tiny sweep (2 arms x 2 seeds) trains" "exit code $rc" "$(tail -n 15 "$tmp/run.log")"
fi

# --- b. plots -----------------------------------------------------------------------------------
$py tools/plot.py "$tmp/sweep.h5" --out "$tmp/plots" > "$tmp/plot.log" 2>&1
rc=$?
if [[ $rc == 0 && $(grep -c '\.png$' "$tmp/plot.log") == 4 ]]; then
  ok "b. plot.py on the sweep exits 0 and prints 4 paths"
else
  not_ok "b. plot.py on the sweep exits 0 and prints 4 paths" "exit code $rc" "$(cat "$tmp/plot.log")"
fi
check "b. the 4 PNGs are valid, non-blank images" $py "$tmp/check.py" pngs "$tmp/plots"
check "b. plot.py's arms and best-validation gap agree with /summary" \
  $py "$tmp/check.py" plot_numbers "$tmp/sweep.h5"
cell_file=$(find "$tmp/sweep.cells" -name '*.h5' | head -n 1)
if $py tools/plot.py "$cell_file" --out "$tmp/plots1" > "$tmp/plot1.log" 2>&1 &&
  $py "$tmp/check.py" pngs "$tmp/plots1" >> "$tmp/plot1.log" 2>&1; then
  ok "b. plot.py on a single-run file writes 4 valid PNGs"
else
  not_ok "b. plot.py on a single-run file writes 4 valid PNGs" "$(cat "$tmp/plot1.log")"
fi
$py tools/plot.py "$tmp/sweep.yaml" --out "$tmp/plots2" > "$tmp/plot2.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -q "is not an HDF5 file" "$tmp/plot2.log" && [[ ! -e "$tmp/plots2" ]]; then
  ok "b. plot.py on a non-reglab file exits 2 with a message"
else
  not_ok "b. plot.py on a non-reglab file exits 2 with a message" "exit code $rc" "$(cat "$tmp/plot2.log")"
fi

# --- c. Keras export ----------------------------------------------------------------------------
bn=$($py "$tmp/check.py" cell "$tmp/sweep.h5" batch_norm 2>&1)
"$reglab" export "$tmp/sweep.h5" --keras "$tmp/keras.h5" --cell "$bn" > "$tmp/k.log" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -qF "wrote $tmp/keras.h5 (run $bn: regularizers=batch_norm, seed=" "$tmp/k.log"; then
  ok "c. export --keras --cell exits 0"
else
  not_ok "c. export --keras --cell exits 0" "exit code $rc" "$(cat "$tmp/k.log")"
fi
check "c. Keras layout: layer_names, weight_names, shapes, values bitwise" \
  $py "$tmp/check.py" keras "$tmp/sweep.h5" "$tmp/keras.h5" "$bn"
"$reglab" export "$tmp/sweep.h5" --keras "$tmp/keras2.h5" > "$tmp/k2.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -q "holds 4 runs; choose one for --keras with --cell" "$tmp/k2.log" &&
  [[ ! -e "$tmp/keras2.h5" ]]; then
  ok "c. export --keras without --cell on a sweep exits 2"
else
  not_ok "c. export --keras without --cell on a sweep exits 2" "exit code $rc" "$(cat "$tmp/k2.log")"
fi
"$reglab" export "$tmp/sweep.h5" --keras "$tmp/keras.h5" --cell "$bn" > "$tmp/k3.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -q "exists; refusing to overwrite" "$tmp/k3.log"; then
  ok "c. an existing export is not replaced without --overwrite"
else
  not_ok "c. an existing export is not replaced without --overwrite" "exit code $rc" "$(cat "$tmp/k3.log")"
fi

# --- d. CSV export ------------------------------------------------------------------------------
"$reglab" export "$tmp/sweep.h5" --csv "$tmp/csv" > "$tmp/csv.log" 2>&1
rc=$?
if [[ $rc == 0 && -f "$tmp/csv/summary.csv" && -f "$tmp/csv/curves.csv" ]]; then
  ok "d. export --csv writes summary.csv and curves.csv"
else
  not_ok "d. export --csv writes summary.csv and curves.csv" "exit code $rc" "$(cat "$tmp/csv.log")"
fi
check "d. pandas reads the CSVs: runs x epochs rows, values equal to the results file" \
  $py "$tmp/check.py" csv "$tmp/sweep.h5" "$tmp/csv"

# --- e. the Python examples of docs/analysis.md ---------------------------------------------------
check "e. docs/analysis.md h5py + pandas example runs" $py "$tmp/check.py" doc python \
  "$root/docs/analysis.md" "\"results/quickstart.h5\"=\"$tmp/sweep.h5\""
check "e. docs/analysis.md CSV example runs" $py "$tmp/check.py" doc python-csv \
  "$root/docs/analysis.md" "\"results/csv/=\"$tmp/csv/"

echo "$passed passed, $failed failed"
((failed == 0))
