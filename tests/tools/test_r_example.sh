#!/usr/bin/env bash
# The R example of docs/analysis.md (tools/analysis_example.R, hdf5r) end to end: checks that the
# doc shows the script line for line, trains a tiny sweep (synthetic data, 2 regularizer arms x 3
# learning rates x 2 seeds, 4 epochs; the largest learning rate diverges), runs the script on it
# and checks its run line against h5py (id, status, epochs, metrics, kernel dimensions reversed),
# its per-arm table against `reglab report`'s labels and means of the complete cells computed
# with h5py, and that it refuses a run file. Each check prints "ok - NAME" or "not ok - NAME";
# the script ends with "N passed, N failed" and exits 1 if any check failed, or if R with hdf5r
# is not installed (Debian's r-cran-hdf5r, installed by tools/setup.sh).
# Usage: bash tests/tools/test_r_example.sh PATH_TO_REGLAB
set -uo pipefail
reglab=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
script=$root/tools/analysis_example.R
source "$root/tests/e2e/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! version=$(Rscript -e 'cat(format(packageVersion("hdf5r")))' 2>&1); then
  not_ok "R with hdf5r is installed" \
    "Rscript or the R package hdf5r is missing: install r-cran-hdf5r (tools/setup.sh does)" \
    "$version"
  finish
  exit 1
fi
ok "R with hdf5r is installed (hdf5r $version)"

check "docs/analysis.md shows tools/analysis_example.R line for line" $py - "$root" << 'PY'
import sys
root = sys.argv[1]
doc = open(f"{root}/docs/analysis.md").read()
start = doc.index("```r\n", doc.index("<!-- tested: r -->")) + len("```r\n")
block, script = doc[start:doc.index("```", start)], open(f"{root}/tools/analysis_example.R").read()
if block != script:
    import difflib
    sys.exit("".join(difflib.unified_diff(script.splitlines(True), block.splitlines(True),
                                          "tools/analysis_example.R", "docs/analysis.md")))
PY

cat > "$tmp/sweep.yaml" << YAML
name: r-example
data: {dataset: synthetic, train_samples: 600, test_samples: 300, features: 32, classes: 4,
       noise: 0.45, validation_size: 100}
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, learning_rate: 0.1}
train: {epochs: 4, batch_size: 50}
grid:
  regularizers: [[], [{name: dropout, rate: 0.3}]]
  optimizer.learning_rate: [0.1, 3.0e-2, 1.0e+30]   # the last diverges
seeds: 2
output: $tmp/sweep.h5
YAML
"$reglab" run "$tmp/sweep.yaml" --jobs 2 -q > "$tmp/run.log" 2>&1
expect_rc "reglab trains the sweep (exit 3: 4 cells diverge)" 3 $? "$tmp/run.log"
"$reglab" report "$tmp/sweep.h5" --format csv > "$tmp/report.csv" 2> "$tmp/report.log"
expect_rc "reglab report --format csv" 0 $? "$tmp/report.log"

Rscript "$script" "$tmp/sweep.h5" > "$tmp/r.out" 2> "$tmp/r.err"
expect_rc "Rscript tools/analysis_example.R SWEEP exits 0" 0 $? "$tmp/r.err"

check "its numbers equal h5py's (run line, arm labels, n, means to 6 decimals)" \
  $py - "$tmp/sweep.h5" "$tmp/report.csv" "$tmp/r.out" << 'PY'
import sys
import h5py, numpy as np, pandas as pd
path, report, out = sys.argv[1:]
lines = open(out).read().splitlines()
with h5py.File(path, "r") as f:
    s = f["summary"][:]
    cell = s["cell_id"][0].decode()
    run = f["runs"][cell]
    metrics = sorted(run["curves"])
    inputs, units = run["weights/dense_0/kernel"].shape
    want = (f"run {cell} ({run.attrs['status']}): {len(run['curves/epoch'])} epochs of "
            f"{', '.join(metrics)}; dense_0/kernel {units} x {inputs}")
assert (inputs, units) == (32, 16) and lines[0] == want, f"{lines[0]!r}\n  vs {want!r}"
# Arms: reglab report's labels, in its order; means over the complete cells, from h5py.
labels = list(pd.read_csv(report).drop_duplicates("arm").arm)
names = s.dtype.names
factors = names[names.index("name") + 1:names.index("seed")]
keys = [tuple(row[k] for k in factors) for row in s]
arm_keys = list(dict.fromkeys(keys))
assert len(arm_keys) == len(labels) == 6 and len(lines) == 2 + 6, lines
assert lines[1].split() == ["arm", "n", "final_test_accuracy", "gap_final"], lines[1]
for line, label, key in zip(lines[2:], labels, arm_keys):
    rows = [r for r, k in zip(s, keys) if k == key and r["status"] == b"complete"]
    n, acc, gap = line[len(label):].split()
    assert line.startswith(label + " "), f"{line!r} does not start with {label!r}"
    assert int(n) == len(rows) == (0 if label.endswith("=1e+30") else 2), line
    for text, col in ((acc, "final_test_accuracy"), (gap, "gap_final")):
        if not rows:
            assert text == "NaN", line
            continue
        mean = np.mean([r[col] for r in rows])
        assert abs(float(text) - mean) <= 5e-7, f"{line}: {col} {text} vs {mean}"
print(f"{len(labels)} arms checked")
PY

$py "$root/tools/reglab_results.py" "$tmp/sweep.h5" > "$tmp/py.out" 2>&1
check "its table is the one python3 tools/reglab_results.py prints" \
  diff <(tail -n +2 "$tmp/r.out") <(tail -n +2 "$tmp/py.out")

cell_file=$(ls "$tmp"/sweep.cells/*.h5 | head -n 1)
Rscript "$script" "$cell_file" > "$tmp/refused.out" 2>&1
rc=$?
name="a run file (no /summary) is refused with its name"
if ((rc != 0)) && grep -qF "$cell_file: no /summary" "$tmp/refused.out"; then
  ok "$name"
else
  not_ok "$name" "exit code $rc" "$(cat "$tmp/refused.out")"
fi
finish
