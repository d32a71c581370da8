#!/usr/bin/env bash
# Faults around the results files, on small Fashion-MNIST and synthetic runs:
#  a. Unwritable output location (a directory reglab may not write to; as root, where permission
#     bits are not enforced, the directory is made immutable with chattr +i, or the run is made
#     as user nobody, else the check is skipped) and an output whose parent is a regular file:
#     exit 2 with a message naming the path, nothing written, for a single run and a sweep. A
#     sweep whose merge destination becomes unwritable keeps its finished cells, and a rerun
#     after fixing the permissions completes without rerunning them.
#  b. Full output location (a 300 KiB tmpfs; root only, skipped if mount fails): a run whose
#     checkpoint or results file does not fit fails with "No space left on device", non-zero exit,
#     no torn or temporary file; a sweep whose cells partly fit keeps the finished cells and
#     completes without rerunning them once there is room.
#  c. Two sweeps on the same output at once: the second refuses quickly ("in use by another
#     reglab process", exit 2) and the first completes correctly; a lock left by a SIGKILLed
#     sweep does not block the next run.
#  d. A reader (h5py) holding the merged file and a cell file open while the sweep runs its
#     missing cells and merges again: nothing blocks or breaks, the open handles still read the
#     old content, a fresh open reads the new one.
# Each check prints "ok - NAME", "not ok - NAME" or "SKIP - NAME (why)"; the script ends with
# "N passed, M failed" and exits 1 if any check failed.
# Usage: bash tests/e2e/test_faults.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB" >&2
  exit 2
fi
reglab=$(realpath "$1")
py=/usr/bin/python3
tmp=$(mktemp -d)
chmod 0755 "$tmp"
bg_pgid=""
reader_pid=""
immutable=()
mounts=()
cleanup() {
  if [[ -n "$bg_pgid" ]]; then kill -9 -- "-$bg_pgid" 2> /dev/null; fi
  if [[ -n "$reader_pid" ]]; then kill -9 "$reader_pid" 2> /dev/null; fi
  local d
  for d in "${immutable[@]}"; do chattr -i "$d" 2> /dev/null; done
  for d in "${mounts[@]}"; do umount "$d" 2> /dev/null; done
  chmod -R u+w "$tmp" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$(dirname "$0")/lib.sh"
skip() { echo "SKIP - $1 ($2)"; }
# fingerprints DIR: "file inode mtime sha256" of every cell file, sorted.
fingerprints() {
  local f
  for f in "$1"/*.h5; do
    [[ -e "$f" ]] || continue
    printf '%s %s\n' "$(stat -c '%n %i %Y.%y' "$f")" "$(sha256sum < "$f" | cut -c1-64)"
  done | sort
}
temporaries() { find "$@" -name '*.tmp.*' 2> /dev/null; }
# kept DIR BEFORE_FILE: how many fingerprints of BEFORE_FILE are still those of DIR's cell files.
kept() { fingerprints "$1" | comm -12 - "$2" | wc -l; }
crash_re='AddressSanitizer|runtime error:|terminate called|Segmentation|core dumped|Aborted|internal error'

cat > "$tmp/check.py" << 'PY'
"""Checks of results files: python3 check.py COMMAND ARGS... (exit 1 with a message on failure)."""
import glob
import os
import sys

import h5py


def intact(cell_dir, merged, cells, want_complete=None):
    """Every cell file is one complete run named after it; the merged file is absent or valid with
    one summary row per cell; with want_complete, that many cell files and summary rows complete."""
    files = sorted(glob.glob(os.path.join(cell_dir, "*.h5")))
    for p in files:
        with h5py.File(p, "r") as f:
            (rid,) = list(f["runs"])
            assert p.endswith(f"/{rid}.h5"), f"{p} holds {rid}"
            assert f["runs"][rid].attrs["status"] == "complete", p
            f["runs"][rid]["weights/dense_0/kernel"][:]
    if want_complete is not None:
        assert len(files) == int(want_complete), f"{len(files)} cell files, expected {want_complete}"
    if os.path.exists(merged):
        with h5py.File(merged, "r") as f:
            status = [s.decode() for s in f["summary"]["status"]]
            assert len(status) == int(cells), f"{merged}: {len(status)} rows"
            if want_complete is not None:
                assert status.count("complete") == int(want_complete), status
                assert len(f["runs"]) == int(want_complete), list(f["runs"])
    elif want_complete is not None:
        raise AssertionError(f"no merged file {merged}")
    print(f"{len(files)} cell files intact" + (", merged file valid" if os.path.exists(merged) else ""))


def run_file(path):
    """A complete single-run file."""
    with h5py.File(path, "r") as f:
        (rid,) = list(f["runs"])
        assert f["runs"][rid].attrs["status"] == "complete"
        print(f"{path}: run {rid}, {len(f['runs'][rid]['curves/epoch'])} epochs")


def reader(merged, cell, ready, go, result):
    """Holds `merged` and `cell` open (read mode) from before the rerun until after it: writes the
    content seen through the open handles before and after, and through fresh opens after."""
    import hashlib
    fm = h5py.File(merged, "r")
    fc = h5py.File(cell, "r")

    def seen(fm, fc):
        (rid,) = list(fc["runs"])
        kernel = fc["runs"][rid]["weights/dense_0/kernel"][:]
        status = [s.decode() for s in fm["summary"]["status"]]
        return (sorted(fm["runs"]), status.count("complete"), fm.attrs["created_utc"],
                hashlib.sha256(kernel.tobytes()).hexdigest())

    before = seen(fm, fc)
    open(ready, "w").close()
    while not os.path.exists(go):
        import time
        time.sleep(0.05)
    held = seen(fm, fc)
    with h5py.File(merged, "r") as gm, h5py.File(cell, "r") as gc:
        fresh = seen(gm, gc)
    with open(result, "w") as out:
        out.write(repr((before, held, fresh)))


def reader_verdict(result, cells_before, cells_after):
    before, held, fresh = eval(open(result).read())
    assert held == before, f"the open handles changed: {before} -> {held}"
    assert before[1] == int(cells_before), f"before: {before[1]} complete, expected {cells_before}"
    assert fresh[1] == int(cells_after), f"fresh open: {fresh[1]} complete, expected {cells_after}"
    assert fresh[3] == before[3], "the cell file's weights changed"
    print(f"open handles: {before[1]} complete cells (unchanged); fresh open: {fresh[1]}")


COMMANDS = {"intact": intact, "run_file": run_file, "reader": reader,
            "reader_verdict": reader_verdict}
COMMANDS[sys.argv[1]](*sys.argv[2:])
PY

# Fast configurations: a single run and a 6-cell sweep (3 seeds x 2 arms) on Fashion-MNIST.
cat > "$tmp/run.yaml" << YAML
name: faults-run
data: {dataset: fashion-mnist, train_size: 1000, validation_size: 200}
model: {name: mlp, hidden: [256]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 50}
output: $tmp/unused.h5
YAML
cat > "$tmp/sweep.yaml" << YAML
name: faults-sweep
data: {dataset: fashion-mnist, train_size: 1000, validation_size: 200}
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 50}
grid:
  regularizers: [[], [{name: dropout, rate: 0.3}]]
seeds: 3
output: $tmp/unused-sweep.h5
YAML
cells=6

# ================================================================================================
# a. Unwritable output location
# ================================================================================================
# make_unwritable DIR: prints the method ("chmod", "chattr") or fails.
make_unwritable() {
  if [[ $(id -u) != 0 ]]; then
    chmod 0555 "$1" && echo chmod
  elif chattr +i "$1" 2> /dev/null; then
    immutable+=("$1")
    echo chattr
  else
    return 1
  fi
}
make_writable() {
  if [[ $(id -u) != 0 ]]; then chmod 0755 "$1"; else chattr -i "$1"; fi
}

mkdir -p "$tmp/ro"
if method=$(make_unwritable "$tmp/ro"); then
  "$reglab" run "$tmp/run.yaml" output="$tmp/ro/run.h5" > "$tmp/a1.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -qF "$tmp/ro/run.h5" "$tmp/a1.log" && [[ -z "$(ls -A "$tmp/ro")" ]]; then
    ok "a. run into an unwritable directory ($method): exit 2, names the path, writes nothing"
  else
    not_ok "a. run into an unwritable directory ($method): exit 2, names the path" "exit code $rc" \
      "$(tail -n 5 "$tmp/a1.log")" "$(ls -A "$tmp/ro")"
  fi
  "$reglab" run "$tmp/sweep.yaml" output="$tmp/ro/sweep.h5" --jobs 2 > "$tmp/a2.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -qF "$tmp/ro/sweep" "$tmp/a2.log" && [[ -z "$(ls -A "$tmp/ro")" ]]; then
    ok "a. sweep into an unwritable directory ($method): exit 2, names the path, writes nothing"
  else
    not_ok "a. sweep into an unwritable directory ($method): exit 2, names the path" \
      "exit code $rc" "$(tail -n 5 "$tmp/a2.log")" "$(ls -A "$tmp/ro")"
  fi
  make_writable "$tmp/ro"
else
  skip "a. run and sweep into an unwritable directory" "running as root without chattr support"
fi

# An output whose parent is a regular file.
echo "not a directory" > "$tmp/plain"
for o in "$tmp/plain/run.h5" "$tmp/plain/sub/run.h5"; do
  "$reglab" run "$tmp/run.yaml" output="$o" > "$tmp/a3.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -qF "$o" "$tmp/a3.log" && [[ "$(cat "$tmp/plain")" == "not a directory" ]]; then
    ok "a. run with output ${o#"$tmp"/} (parent is a file): exit 2, names the path"
  else
    not_ok "a. run with output ${o#"$tmp"/} (parent is a file): exit 2, names the path" \
      "exit code $rc" "$(tail -n 5 "$tmp/a3.log")"
  fi
done
"$reglab" run "$tmp/sweep.yaml" output="$tmp/plain/sweep.h5" --jobs 2 > "$tmp/a4.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -qF "$tmp/plain/sweep" "$tmp/a4.log"; then
  ok "a. sweep with output under a regular file: exit 2, names the path"
else
  not_ok "a. sweep with output under a regular file: exit 2, names the path" "exit code $rc" \
    "$(tail -n 5 "$tmp/a4.log")"
fi

# A sweep whose merge destination is unwritable while its cell folder is writable: two cells are
# run first (--cell, as a cluster task would), then the folder holding the merged file is made
# unwritable and the sweep rerun.
mkdir -p "$tmp/m"
so="$tmp/m/sweep.h5"
sc="$tmp/m/sweep.cells"
ids=$("$reglab" status "$tmp/sweep.yaml" output="$so" | awk 'NR > 1 && $2 == "missing" { print $1 }' | head -n 2)
for id in $ids; do
  "$reglab" run "$tmp/sweep.yaml" output="$so" --cell "$id" -q > "$tmp/a5.log" 2>&1 ||
    not_ok "a. --cell $id runs" "$(tail -n 5 "$tmp/a5.log")"
done
fingerprints "$sc" > "$tmp/a_before.txt"
if [[ $(wc -l < "$tmp/a_before.txt") != 2 ]]; then
  not_ok "a. two cells finished before the merge destination is made unwritable" "$(cat "$tmp/a_before.txt")"
elif method=$(make_unwritable "$tmp/m"); then
  "$reglab" run "$tmp/sweep.yaml" output="$so" --jobs 2 > "$tmp/a6.log" 2>&1
  rc=$?
  kept=$(kept "$sc" "$tmp/a_before.txt")
  if [[ $rc == 2 ]] && grep -qF "$so" "$tmp/a6.log" && [[ $kept == 2 && ! -e "$so" ]] &&
    [[ -z "$(temporaries "$tmp/m")" ]]; then
    ok "a. merge destination unwritable ($method): exit 2 naming $(basename "$so"), finished cells kept"
  else
    not_ok "a. merge destination unwritable ($method): exit 2 naming the path, finished cells kept" \
      "exit code $rc, $kept of 2 finished cells unchanged, temporaries: $(temporaries "$tmp/m")" \
      "$(grep -v '^ ' "$tmp/a6.log" | tail -n 6)"
  fi
  check "a. cell files intact after the failed merge" $py "$tmp/check.py" intact "$sc" "$so" "$cells"
  make_writable "$tmp/m"
  fingerprints "$sc" > "$tmp/a_mid.txt"
  done_mid=$(wc -l < "$tmp/a_mid.txt")
  "$reglab" run "$tmp/sweep.yaml" output="$so" --jobs 2 > "$tmp/a7.log" 2>&1
  rc=$?
  kept=$(kept "$sc" "$tmp/a_mid.txt")
  if [[ $rc == 0 && $kept == "$done_mid" ]] && grep -q "($done_mid complete, " "$tmp/a7.log"; then
    ok "a. after fixing the permissions the rerun completes without rerunning the $done_mid finished cells"
  else
    not_ok "a. after fixing the permissions the rerun completes without rerunning finished cells" \
      "exit code $rc, $kept of $done_mid finished cells unchanged" "$(grep -v '^ ' "$tmp/a7.log" | tail -n 6)"
  fi
  check "a. the completed sweep file is valid" $py "$tmp/check.py" intact "$sc" "$so" "$cells" "$cells"
else
  skip "a. merge destination unwritable" "running as root without chattr support"
fi

# ================================================================================================
# b. Full output location
# ================================================================================================
full="$tmp/full"
mkdir -p "$full"
if [[ $(id -u) == 0 ]] && mount -t tmpfs -o size=300k tmpfs "$full" 2> /dev/null; then
  mounts+=("$full")
  # The checkpoint (weights and momentum of a 784-256-10 network, ~1.6 MB) does not fit.
  "$reglab" run "$tmp/run.yaml" output="$full/run.h5" > "$tmp/b1.log" 2>&1
  rc=$?
  if [[ $rc != 0 ]] && grep -q "No space left on device" "$tmp/b1.log" &&
    [[ -z "$(ls -A "$full")" ]] && ! grep -qE "$crash_re" "$tmp/b1.log"; then
    ok "b. checkpoint does not fit: exit $rc, 'No space left on device', nothing left behind"
  else
    not_ok "b. checkpoint does not fit: non-zero exit, 'No space left on device', nothing left" \
      "exit code $rc; left: $(ls -A "$full")" "$(grep -v ' epoch ' "$tmp/b1.log" | tail -n 5)"
  fi
  # Without checkpoints, the results file (~0.8 MB of weights) does not fit.
  "$reglab" run "$tmp/run.yaml" output="$full/run.h5" train.checkpoint_every=0 > "$tmp/b2.log" 2>&1
  rc=$?
  if [[ $rc != 0 ]] && grep -q "No space left on device" "$tmp/b2.log" && grep -qF "$full/run.h5" "$tmp/b2.log" &&
    [[ -z "$(ls -A "$full")" ]]; then
    ok "b. results file does not fit: exit $rc, names the path, 'No space left on device', nothing left"
  else
    not_ok "b. results file does not fit: non-zero exit, names the path, nothing left" \
      "exit code $rc; left: $(ls -A "$full")" "$(grep -v ' epoch ' "$tmp/b2.log" | tail -n 5)"
  fi
  # Exports: Keras weights (~0.8 MB) into the empty tmpfs, CSV into the tmpfs filled up.
  "$reglab" run "$tmp/run.yaml" output="$tmp/big.h5" train.checkpoint_every=0 -q > "$tmp/b5.log" 2>&1
  "$reglab" export "$tmp/big.h5" --keras "$full/weights.h5" > "$tmp/b6.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -q "No space left on device" "$tmp/b6.log" &&
    grep -qF "$full/weights.h5" "$tmp/b6.log" && [[ -z "$(ls -A "$full")" ]]; then
    ok "b. export --keras to a full disk: exit 2, names the path, 'No space left on device', nothing left"
  else
    not_ok "b. export --keras to a full disk: exit 2, names the path, nothing left" "exit code $rc" \
      "left: $(ls -A "$full")" "$(tail -n 3 "$tmp/b6.log")"
  fi
  dd if=/dev/zero of="$full/fill" bs=4k 2> /dev/null
  "$reglab" export "$tmp/big.h5" --csv "$full/csv" > "$tmp/b7.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -q "No space left on device" "$tmp/b7.log" &&
    [[ -z "$(find "$full" -type f ! -name fill)" ]]; then
    ok "b. export --csv to a full disk: exit 2, 'No space left on device', no file left"
  else
    not_ok "b. export --csv to a full disk: exit 2, no file left" "exit code $rc" \
      "left: $(find "$full" -type f ! -name fill)" "$(tail -n 3 "$tmp/b7.log")"
  fi
  rm -rf "$full/fill" "$full/csv"
  # A sweep of 6 cells, one at a time: each cell file is ~70 KB and its checkpoint ~110 KB (twice
  # that while a newer one replaces it), so the first cells fit and a later one runs out of space
  # (and keeps its last checkpoint, so it resumes when rerun).
  fo="$full/sweep.h5"
  fc="$full/sweep.cells"
  "$reglab" run "$tmp/sweep.yaml" output="$fo" --jobs 1 > "$tmp/b3.log" 2>&1
  rc=$?
  done_full=$(find "$fc" -name '*.h5' 2> /dev/null | wc -l)
  if [[ $rc != 0 ]] && ((done_full >= 1 && done_full < cells)) && [[ -z "$(temporaries "$full")" ]] &&
    grep -rq "No space left on device" "$tmp/b3.log" "$fc" 2> /dev/null; then
    ok "b. sweep on a full disk: exit $rc, $done_full of $cells cells finished, 'No space left on device', no temporary files"
  else
    not_ok "b. sweep on a full disk: non-zero exit, some cells finished, no temporary files" \
      "exit code $rc, $done_full cell files, temporaries: $(temporaries "$full")" \
      "$(grep -v '^ ' "$tmp/b3.log" | tail -n 8)" "$(df -k "$full" | tail -n 1)"
  fi
  check "b. the cell files that fit are intact" $py "$tmp/check.py" intact "$fc" "$fo" "$cells"
  fingerprints "$fc" > "$tmp/b_before.txt"
  done_full=$(wc -l < "$tmp/b_before.txt")
  if mount -o remount,size=20m "$full" 2> /dev/null; then
    "$reglab" run "$tmp/sweep.yaml" output="$fo" --jobs 2 > "$tmp/b4.log" 2>&1
    rc=$?
    kept=$(kept "$fc" "$tmp/b_before.txt")
    if [[ $rc == 0 && $kept == "$done_full" ]] && grep -q "($done_full complete, " "$tmp/b4.log"; then
      ok "b. with room again the sweep completes without rerunning the $done_full finished cells"
    else
      not_ok "b. with room again the sweep completes without rerunning the finished cells" \
        "exit code $rc, $kept of $done_full unchanged" "$(grep -v '^ ' "$tmp/b4.log" | tail -n 8)"
    fi
    check "b. the completed sweep file is valid" $py "$tmp/check.py" intact "$fc" "$fo" "$cells" "$cells"
  else
    skip "b. sweep completes once there is room" "cannot remount the tmpfs"
  fi
  umount "$full" && mounts=()
else
  skip "b. full output location" "needs root and a tmpfs mount"
fi

# ================================================================================================
# c. Two sweeps on the same output at the same time
# ================================================================================================
co="$tmp/c/sweep.h5"
setsid "$reglab" run "$tmp/sweep.yaml" output="$co" --jobs 2 > "$tmp/c1.log" 2>&1 < /dev/null &
bg_pid=$!
bg_pgid=$bg_pid
for _ in $(seq 400); do
  grep -q "to run" "$tmp/c1.log" 2> /dev/null && break
  sleep 0.025
done
start=$EPOCHREALTIME
timeout 60 "$reglab" run "$tmp/sweep.yaml" output="$co" --jobs 2 > "$tmp/c2.log" 2>&1
rc=$?
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
first_running=0
kill -0 "$bg_pid" 2> /dev/null && first_running=1
if [[ $rc == 2 ]] && grep -q "in use by another reglab process" "$tmp/c2.log" &&
  ! grep -q "start " "$tmp/c2.log" && awk -v t="$took" 'BEGIN { exit !(t < 10) }'; then
  ok "c. a second sweep on the same output refuses in $took s (exit 2, 'in use by another reglab process')"
else
  not_ok "c. a second sweep on the same output refuses quickly (exit 2, 'in use by another reglab process')" \
    "exit code $rc after $took s (first sweep still running: $first_running)" "$(grep -v '^ ' "$tmp/c2.log" | tail -n 6)"
fi
wait "$bg_pid"
rc=$?
bg_pgid=""
if [[ $rc == 0 ]]; then
  ok "c. the first sweep completes (exit 0)"
else
  not_ok "c. the first sweep completes" "exit code $rc" "$(tail -n 8 "$tmp/c1.log")"
fi
check "c. its file is valid with all $cells cells complete" \
  $py "$tmp/check.py" intact "$tmp/c/sweep.cells" "$co" "$cells" "$cells"
# A SIGKILLed sweep's lock does not outlive it.
co2="$tmp/c/killed.h5"
setsid "$reglab" run "$tmp/sweep.yaml" output="$co2" --jobs 2 > "$tmp/c3.log" 2>&1 < /dev/null &
bg_pid=$!
bg_pgid=$bg_pid
for _ in $(seq 400); do
  grep -q "to run" "$tmp/c3.log" 2> /dev/null && break
  sleep 0.025
done
sleep 0.5
kill -9 -- "-$bg_pgid" 2> /dev/null
wait "$bg_pid" 2> /dev/null
for _ in $(seq 100); do
  pgrep -g "$bg_pgid" > /dev/null || break
  sleep 0.05
done
bg_pgid=""
timeout 120 "$reglab" run "$tmp/sweep.yaml" output="$co2" --jobs 2 > "$tmp/c4.log" 2>&1
rc=$?
if [[ $rc == 0 ]] && ! grep -q "in use" "$tmp/c4.log"; then
  ok "c. after SIGKILL of a sweep the next run is not locked out (exit 0)"
else
  not_ok "c. after SIGKILL of a sweep the next run is not locked out" "exit code $rc" "$(tail -n 5 "$tmp/c4.log")"
fi

# ================================================================================================
# d. A reader holds the merged file and a cell file open while the sweep runs and merges again
# ================================================================================================
do_="$tmp/d/sweep.h5"
dc="$tmp/d/sweep.cells"
ids=$("$reglab" status "$tmp/sweep.yaml" output="$do_" | awk 'NR > 1 && $2 == "missing" { print $1 }' | head -n 2)
for id in $ids; do
  "$reglab" run "$tmp/sweep.yaml" output="$do_" --cell "$id" -q > "$tmp/d1.log" 2>&1
done
"$reglab" merge "$tmp/sweep.yaml" output="$do_" > "$tmp/d2.log" 2>&1  # exit 4: cells missing
held=("$dc"/*.h5)
cell=${held[0]}
$py "$tmp/check.py" reader "$do_" "$cell" "$tmp/d.ready" "$tmp/d.go" "$tmp/d.result" > "$tmp/d.reader.log" 2>&1 &
reader_pid=$!
for _ in $(seq 400); do
  [[ -e "$tmp/d.ready" ]] || ! kill -0 "$reader_pid" 2> /dev/null && break
  sleep 0.025
done
if [[ -e "$tmp/d.ready" ]]; then
  inode_before=$(stat -c %i "$cell")
  timeout 120 "$reglab" run "$tmp/sweep.yaml" output="$do_" --jobs 2 > "$tmp/d3.log" 2>&1
  rc=$?
  timeout 60 "$reglab" merge "$tmp/sweep.yaml" output="$do_" > "$tmp/d4.log" 2>&1
  rc2=$?
  if [[ $rc == 0 && $rc2 == 0 && "$(stat -c %i "$cell")" == "$inode_before" ]]; then
    ok "d. with a reader holding the files open, the sweep runs (exit 0) and merges again (exit 0) without blocking"
  else
    not_ok "d. with a reader holding the files open, the sweep runs and merges again" \
      "exit codes $rc (run, 124 = timed out) and $rc2 (merge)" "$(tail -n 5 "$tmp/d3.log")" "$(tail -n 5 "$tmp/d4.log")"
  fi
  touch "$tmp/d.go"
  wait "$reader_pid"
  reader_rc=$?
  reader_pid=""
  if [[ $reader_rc == 0 ]]; then
    check "d. the open handles read the old content, a fresh open the new" \
      $py "$tmp/check.py" reader_verdict "$tmp/d.result" 2 "$cells"
  else
    not_ok "d. the reader kept reading" "$(cat "$tmp/d.reader.log")"
  fi
  check "d. the sweep files are intact" $py "$tmp/check.py" intact "$dc" "$do_" "$cells" "$cells"
else
  not_ok "d. the reader opens the files" "$(cat "$tmp/d.reader.log")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
