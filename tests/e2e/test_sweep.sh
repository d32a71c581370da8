#!/usr/bin/env bash
# Sweeps end to end on a real Fashion-MNIST subset (6 cells of ~1 s each): --jobs 1 and --jobs 2
# give the same numbers, a sweep killed with SIGKILL resumes without rerunning finished cells and
# ends with the same file, the summary table reads into pandas, `reglab status` counts cells, a
# failing cell is recorded without stopping the others, and a changed configuration is refused on
# the same output. Each check prints "ok - NAME" or "not ok - NAME"; the script ends with
# "N passed, N failed" and exits 1 if any check failed.
# Usage: bash tests/e2e/test_sweep.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail
reglab=$(realpath "$1")
py=/usr/bin/python3
tmp=$(mktemp -d)
bg_pgid=""
cleanup() {
  # Only the process group this script started (the background sweep of check b), if still alive.
  if [[ -n "$bg_pgid" ]]; then kill -9 -- "-$bg_pgid" 2> /dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# snapshot DIR: "name inode mtime" of every cell file, sorted.
snapshot() {
  local f
  for f in "$1"/*.h5; do [[ -e "$f" ]] && stat -c '%n %i %y' "$f"; done | sort
}

cat > "$tmp/sweep.yaml" << YAML
name: e2e-sweep
data: {dataset: fashion-mnist, train_size: 2000, validation_size: 500}
model: {name: mlp, hidden: [32]}
optimizer: {name: sgd, learning_rate: 0.05}
train: {epochs: 2}
grid:
  regularizers: [[], [{name: dropout, rate: 0.3}]]
seeds: 3
output: $tmp/j1.h5
YAML

cat > "$tmp/check.py" << 'PY'
"""Checks of sweep files: python3 check.py COMMAND ARGS... (exit 1 with a message on failure)."""
import glob, math, sys
import h5py, numpy as np


def load(path):
    f = h5py.File(path, "r")
    summary = f["summary"][:]
    runs = {}
    for rid, run in f["runs"].items():
        curves = {k: run["curves"][k][:] for k in run["curves"] if k != "seconds"}
        weights = {}
        run["weights"].visititems(
            lambda n, o: weights.__setitem__(n, o[:]) if isinstance(o, h5py.Dataset) else None)
        runs[rid] = (curves, weights, run.attrs["status"], int(run.attrs["seed"]))
    return summary, list(f["runs"]), runs


def same_array(x, y):
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def same(a, b):
    """Summary (all columns but seconds), curves (all but seconds) and weights: bitwise."""
    sa, order_a, ra = load(a)
    sb, order_b, rb = load(b)
    assert sa.dtype.names == sb.dtype.names, f"summary columns differ: {sa.dtype.names} {sb.dtype.names}"
    assert len(sa) == len(sb) == 6, f"summary rows: {len(sa)} and {len(sb)}"
    for col in sa.dtype.names:
        if col == "seconds":
            continue
        x, y = sa[col], sb[col]
        if x.dtype == object:
            assert list(x) == list(y), f"summary column {col} differs: {list(x)} {list(y)}"
        else:
            assert same_array(x, y), f"summary column {col} differs: {x} {y}"
    assert order_a == order_b, f"/runs differ: {order_a} {order_b}"
    for rid in order_a:
        ca, wa, st_a, seed_a = ra[rid]
        cb, wb, st_b, seed_b = rb[rid]
        assert (st_a, seed_a) == (st_b, seed_b), f"{rid}: status/seed differ"
        assert ca.keys() == cb.keys() and len(ca) >= 9, f"{rid}: curves {sorted(ca)} {sorted(cb)}"
        assert wa.keys() == wb.keys() and len(wa) >= 4, f"{rid}: weights {sorted(wa)} {sorted(wb)}"
        for k in ca:
            assert same_array(ca[k], cb[k]), f"{rid}: curve {k} differs"
        for k in wa:
            assert same_array(wa[k], wb[k]), f"{rid}: weight {k} differs"
    print(f"{len(order_a)} runs: summary, curves and weights bitwise identical")


def intact(cell_dir, merged):
    """Every cell file opens; the merged file is absent or a valid sweep file."""
    files = glob.glob(cell_dir + "/*.h5")
    for p in files:
        with h5py.File(p, "r") as f:
            (rid,) = list(f["runs"])
            assert p.endswith(f"/{rid}.h5"), f"{p} holds {rid}"
            assert f["runs"][rid].attrs["status"] == "complete"
            f["runs"][rid]["weights/dense_0/kernel"][:]
    try:
        f = h5py.File(merged, "r")
    except FileNotFoundError:
        print(f"{len(files)} cell files intact, no merged file")
        return
    assert len(f["summary"]) == 6
    print(f"{len(files)} cell files intact, merged file valid")


def pandas_summary(path):
    import pandas as pd
    f = h5py.File(path, "r")
    df = pd.DataFrame(f["summary"][:])
    assert len(df) == 6, f"{len(df)} rows"
    want = ["cell_id", "name", "regularizers", "seed", "status", "final_test_accuracy",
            "best_epoch", "gap_final", "gap_best", "seconds"]
    missing = [c for c in want if c not in df.columns]
    assert not missing, f"missing columns {missing}; have {list(df.columns)}"
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].str.decode("utf-8")
    assert list(df.status) == ["complete"] * 6, list(df.status)
    assert list(df.cell_id) == list(f["runs"]), f"{list(df.cell_id)} vs /runs {list(f['runs'])}"
    assert list(df.regularizers) == ["none"] * 3 + ["dropout"] * 3, list(df.regularizers)
    assert list(df.seed) == [1, 2, 3, 1, 2, 3], list(df.seed)
    assert df.name[0] == "regularizers=none, seed=1", df.name[0]
    assert ((df.final_test_accuracy > 0.3) & (df.final_test_accuracy <= 1)).all()
    assert df.best_epoch.isin([1, 2]).all(), list(df.best_epoch)
    for c in ("gap_final", "gap_best", "seconds"):
        assert df[c].map(math.isfinite).all(), f"{c}: {list(df[c])}"
    assert (df.seconds > 0).all()
    print(df[["cell_id", "name", "final_test_accuracy", "gap_final"]].to_string())


def failed_summary(path, sizes):
    """Rows by data.train_size: 70000 failed with a message naming the size, others complete."""
    import pandas as pd
    f = h5py.File(path, "r")
    df = pd.DataFrame(f["summary"][:])
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].str.decode("utf-8")
    assert list(df["data.train_size"]) == [float(s) for s in sizes.split(",")], list(df["data.train_size"])
    for _, row in df.iterrows():
        if row["data.train_size"] == 70000:
            assert row.status == "failed", row.status
            assert "70000" in row.message and "exceeds" in row.message, row.message
            assert math.isnan(row.final_test_accuracy)
            assert row.cell_id not in f["runs"]
        else:
            assert row.status == "complete", (row.status, row.message)
            assert row.cell_id in f["runs"]
    print(df[["name", "status", "message"]].to_string())


{"same": same, "intact": intact, "pandas": pandas_summary, "failed": failed_summary}[sys.argv[1]](
    *sys.argv[2:])
PY

# --- a. --jobs 1 and --jobs 2 give the same numbers ---------------------------------------------
"$reglab" run "$tmp/sweep.yaml" --jobs 1 > "$tmp/j1.log" 2>&1
expect_rc "a. sweep --jobs 1 exits 0" 0 $? "$tmp/j1.log"
"$reglab" run "$tmp/sweep.yaml" output="$tmp/j2.h5" --jobs 2 > "$tmp/j2.log" 2>&1
expect_rc "a. sweep --jobs 2 exits 0" 0 $? "$tmp/j2.log"
check "a. --jobs 1 and --jobs 2: same summary, curves and weights (bitwise)" \
  $py "$tmp/check.py" same "$tmp/j1.h5" "$tmp/j2.h5"
# Cells in batches: one child process runs 4 cells, another 2, sharing one data load each.
"$reglab" run "$tmp/sweep.yaml" output="$tmp/j3.h5" --jobs 2 --cells-per-child 4 > "$tmp/j3.log" 2>&1
expect_rc "a. sweep --cells-per-child 4 exits 0" 0 $? "$tmp/j3.log"
check "a. cells run in batches of 4 equal cells run alone (bitwise)" \
  $py "$tmp/check.py" same "$tmp/j1.h5" "$tmp/j3.h5"

# --- b. resume after SIGKILL of the whole process group -----------------------------------------
cells="$tmp/r.cells"
# Started from a non-interactive shell (no job control), the background process is not a group
# leader, so setsid makes it the leader of a new group in place: its pid is the group id.
setsid "$reglab" run "$tmp/sweep.yaml" output="$tmp/r.h5" --jobs 2 > "$tmp/r1.log" 2>&1 &
bg_pid=$!
sleep 0.2
bg_pgid=$(ps -o pgid= -p "$bg_pid" | tr -d ' ')
if [[ -z "$bg_pgid" || "$bg_pgid" != "$bg_pid" || "$bg_pgid" == "$(ps -o pgid= -p $$ | tr -d ' ')" ]]; then
  not_ok "b. background sweep runs in its own process group" "pid $bg_pid, pgid '$bg_pgid'"
  bg_pgid=""
else
  ok "b. background sweep runs in its own process group"
fi
n=0
for _ in $(seq 600); do
  n=$(find "$cells" -maxdepth 1 -name '*.h5' 2> /dev/null | wc -l)
  if ((n >= 1 && n < 6)) || ! kill -0 "$bg_pid" 2> /dev/null; then break; fi
  sleep 0.1
done
if [[ -n "$bg_pgid" ]]; then kill -9 -- "-$bg_pgid" 2> /dev/null; fi
wait "$bg_pid" 2> /dev/null
if [[ -n "$bg_pgid" ]]; then  # the children die with the group; wait until none is left
  for _ in $(seq 100); do
    pgrep -g "$bg_pgid" > /dev/null || break
    sleep 0.1
  done
fi
bg_pgid=""
snapshot "$cells" > "$tmp/before.txt"
done_before=$(wc -l < "$tmp/before.txt")
if ((done_before >= 1 && done_before < 6)); then
  ok "b. killed with $done_before of 6 cells complete"
else
  not_ok "b. killed with some but not all cells complete" "$done_before cell files" "$(tail -n 15 "$tmp/r1.log")"
fi
check "b. no torn file after SIGKILL" $py "$tmp/check.py" intact "$cells" "$tmp/r.h5"
"$reglab" run "$tmp/sweep.yaml" output="$tmp/r.h5" --jobs 2 > "$tmp/r2.log" 2>&1
expect_rc "b. rerun after SIGKILL exits 0" 0 $? "$tmp/r2.log"
unchanged=$(snapshot "$cells" | grep -cxF -f "$tmp/before.txt")
if [[ "$unchanged" == "$done_before" ]] && grep -q "($done_before complete, $((6 - done_before)) to run" "$tmp/r2.log"; then
  ok "b. the rerun did not rerun the $done_before complete cells"
else
  not_ok "b. the rerun did not rerun the complete cells" "$unchanged of $done_before files unchanged" \
    "$(head -n 3 "$tmp/r2.log")"
fi
check "b. resumed sweep file equals the uninterrupted --jobs 1 file" \
  $py "$tmp/check.py" same "$tmp/j1.h5" "$tmp/r.h5"

# --- c. the summary in pandas -------------------------------------------------------------------
check "c. summary reads into pandas: 6 complete rows, cell_id = /runs" \
  $py "$tmp/check.py" pandas "$tmp/j1.h5"

# --- d. reglab status -----------------------------------------------------------------------------
"$reglab" status "$tmp/sweep.yaml" > "$tmp/status.txt" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -q "6 cells: 6 complete, 0 diverged, 0 failed, 0 missing" "$tmp/status.txt" &&
  [[ $(grep -c ' complete ' "$tmp/status.txt") == 6 ]]; then
  ok "d. status lists 6 complete cells"
else
  not_ok "d. status lists 6 complete cells" "exit code $rc" "$(cat "$tmp/status.txt")"
fi
"$reglab" status "$tmp/sweep.yaml" output="$tmp/fresh/none.h5" > "$tmp/status2.txt" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -q "6 cells: 0 complete, 0 diverged, 0 failed, 6 missing" "$tmp/status2.txt" &&
  [[ $(grep -c ' missing ' "$tmp/status2.txt") == 6 && ! -e "$tmp/fresh" ]]; then
  ok "d. status on a fresh output lists 6 missing cells and writes nothing"
else
  not_ok "d. status on a fresh output lists 6 missing cells and writes nothing" "exit code $rc" \
    "$(cat "$tmp/status2.txt")" "$(ls -R "$tmp/fresh" 2>&1)"
fi

# --- e. a failing cell is recorded and does not stop the others ----------------------------------
# train_size 70000 is a valid value (>= 0) but exceeds the 60000 training images: the DataError
# is raised when the cell's process loads the data.
cat > "$tmp/fail.yaml" << YAML
name: e2e-fail
data: {dataset: fashion-mnist, train_size: 2000, validation_size: 500}
model: {name: mlp, hidden: [32]}
optimizer: {name: sgd, learning_rate: 0.05}
train: {epochs: 2}
grid:
  data.train_size: [1000, 70000, 2000]
output: $tmp/fail.h5
YAML
"$reglab" run "$tmp/fail.yaml" --jobs 2 > "$tmp/f1.log" 2>&1
expect_rc "e. a sweep with a failing cell exits 4" 4 $? "$tmp/f1.log"
check "e. summary: the failing cell is 'failed' with a message naming the size; others complete" \
  $py "$tmp/check.py" failed "$tmp/fail.h5" 1000,70000,2000
"$reglab" status "$tmp/fail.yaml" > "$tmp/status3.txt" 2>&1
if grep -q "3 cells: 2 complete, 0 diverged, 1 failed, 0 missing" "$tmp/status3.txt" &&
  grep -q ' failed .*data.train_size=70000' "$tmp/status3.txt"; then
  ok "e. status shows the failed cell"
else
  not_ok "e. status shows the failed cell" "$(cat "$tmp/status3.txt")"
fi
snapshot "$tmp/fail.cells" > "$tmp/fail_before.txt"
"$reglab" run "$tmp/fail.yaml" --jobs 2 > "$tmp/f2.log" 2>&1
expect_rc "e. the rerun exits 4 again" 4 $? "$tmp/f2.log"
if grep -q "(2 complete, 1 to run" "$tmp/f2.log" && grep -q "start data.train_size=70000" "$tmp/f2.log" &&
  ! grep -q "start data.train_size=[12]000" "$tmp/f2.log" &&
  snapshot "$tmp/fail.cells" | cmp -s - "$tmp/fail_before.txt"; then
  ok "e. the rerun retries only the failed cell"
else
  not_ok "e. the rerun retries only the failed cell" "$(cat "$tmp/f2.log")"
fi

# In one batch of 3, the failing cell stops its process; the cell after it runs in a new one.
"$reglab" run "$tmp/fail.yaml" output="$tmp/fail3.h5" --jobs 1 --cells-per-child 3 > "$tmp/f3.log" 2>&1
expect_rc "e. batched: a sweep with a failing cell exits 4" 4 $? "$tmp/f3.log"
check "e. batched: the failing cell is 'failed', the cells before and after it complete" \
  $py "$tmp/check.py" failed "$tmp/fail3.h5" 1000,70000,2000

# --- f. a changed configuration on the same output is refused ------------------------------------
sed 's/learning_rate: 0.05/learning_rate: 0.1/' "$tmp/sweep.yaml" > "$tmp/changed.yaml"
merged_before=$(stat -c '%i %y' "$tmp/j1.h5")
"$reglab" run "$tmp/changed.yaml" --jobs 2 > "$tmp/c.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -q "different configuration" "$tmp/c.log" &&
  grep -qF -- "- optimizer: {name: sgd, learning_rate: 0.05}" "$tmp/c.log" &&
  grep -qF -- "+ optimizer: {name: sgd, learning_rate: 0.1}" "$tmp/c.log" &&
  [[ $(find "$tmp/j1.cells" -name '*.h5' | wc -l) == 6 && "$(stat -c '%i %y' "$tmp/j1.h5")" == "$merged_before" ]]; then
  ok "f. a changed configuration on the same output is refused (exit 2) with the differing line"
else
  not_ok "f. a changed configuration on the same output is refused (exit 2) with the differing line" \
    "exit code $rc" "$(cat "$tmp/c.log")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
