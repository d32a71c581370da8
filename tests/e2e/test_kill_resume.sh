#!/usr/bin/env bash
# Kill-and-resume torture on real Fashion-MNIST subsets.
#  a. A sweep of 8 cells (2 arms x 4 seeds, 6 epochs) run with --jobs 2 is killed with SIGKILL
#     (the whole process group) at 10 seeded random moments and resumed with the same command
#     after each kill, then left to finish. After every kill: every cell file opens with h5py and
#     holds one complete run, the merged file is absent or valid, and no cell file that was
#     complete before has changed since (inode, mtime, SHA-256: finished cells are never rerun or
#     rewritten). At the end the merged file equals an uninterrupted run's (same cells, summary
#     and curves except the wall-clock `seconds`, weights bitwise).
#  b. A single run (10 epochs, dropout, SGD with momentum) keeps a checkpoint at <output>.ckpt
#     (train.checkpoint_every, default 1 epoch). It is killed 3 to 5 times at random moments after
#     its first checkpoint appears (while training and during start-up) and rerun with the same
#     command each time; every rerun that gets past loading the data says "resuming",
#     and the final file equals an uninterrupted run's bitwise (curves except seconds, weights)
#     with no checkpoint left. A checkpoint made by another configuration is refused (exit 2, the
#     message names the checkpoint file, which is kept); --overwrite discards it.
#  c. SIGTERM to a sweep's main process: exit 130, its cells stopped, rerun completes with the same
#     numbers; SIGTERM to a single run after a checkpoint: no results file, the rerun resumes.
# Each check prints "ok - NAME" or "not ok - NAME"; the script ends with "N passed, M failed" and
# exits 1 if any check failed.
# Usage: bash tests/e2e/test_kill_resume.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB" >&2
  exit 2
fi
reglab=$(realpath "$1")
py=/usr/bin/python3
tmp=$(mktemp -d)
bg_pgid=""
cleanup() {
  # Only the process group this script started, if still alive.
  if [[ -n "$bg_pgid" ]]; then kill -9 -- "-$bg_pgid" 2> /dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$(dirname "$0")/lib.sh"
now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# start_bg LOG ARGS...: starts reglab ARGS in a new process group (setsid: its pid is the group
# id), output to LOG; sets bg_pid and bg_pgid.
start_bg() {
  local log=$1
  shift
  setsid "$reglab" "$@" > "$log" 2>&1 < /dev/null &
  bg_pid=$!
  bg_pgid=$bg_pid
}
# kill_bg: SIGKILL to the whole group, then waits until none of its processes is left.
kill_bg() {
  kill -9 -- "-$bg_pgid" 2> /dev/null
  wait "$bg_pid" 2> /dev/null
  local _
  for _ in $(seq 200); do
    pgrep -g "$bg_pgid" > /dev/null || break
    sleep 0.05
  done
  bg_pgid=""
}
# wait_bg: waits for the background reglab to end by itself; returns its exit code.
wait_bg() {
  wait "$bg_pid"
  local rc=$?
  bg_pgid=""
  return $rc
}

# measured_run LOG CKPT_PATTERN ARGS...: runs reglab ARGS to the end; sets t_total (seconds) and
# t_first (seconds until a file matching CKPT_PATTERN, a shell glob, first existed: the start-up
# plus the first epoch); returns reglab's exit code.
measured_run() {
  local log=$1 pattern=$2 t0 pid
  shift 2
  t0=$(now)
  t_first=""
  "$reglab" "$@" > "$log" 2>&1 < /dev/null &
  pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    # shellcheck disable=SC2086  # the pattern is a glob
    if [[ -z "$t_first" ]] && compgen -G $pattern > /dev/null; then t_first=$(elapsed "$t0"); fi
    sleep 0.02
  done
  wait "$pid"
  local rc=$?
  t_total=$(elapsed "$t0")
  [[ -n "$t_first" ]] || t_first=$t_total
  return $rc
}

cat > "$tmp/check.py" << 'PY'
"""Checks of results files: python3 check.py COMMAND ARGS... (exit 1 with a message on failure)."""
import glob
import hashlib
import os
import sys

import h5py


def same_array(x, y):
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def load_runs(f):
    runs = {}
    for rid, run in f["runs"].items():
        curves = {k: run["curves"][k][:] for k in run["curves"] if k != "seconds"}
        weights = {}
        run["weights"].visititems(
            lambda n, o: weights.__setitem__(n, o[:]) if isinstance(o, h5py.Dataset) else None)
        runs[rid] = (curves, weights, run.attrs["status"], int(run.attrs["seed"]))
    return runs


def compare_runs(ra, rb):
    assert list(ra) == list(rb), f"runs differ: {list(ra)} vs {list(rb)}"
    for rid in ra:
        ca, wa, st_a, seed_a = ra[rid]
        cb, wb, st_b, seed_b = rb[rid]
        assert (st_a, seed_a) == (st_b, seed_b), f"{rid}: status/seed {st_a, seed_a} {st_b, seed_b}"
        assert ca.keys() == cb.keys() and len(ca) >= 9, f"{rid}: curves {sorted(ca)} {sorted(cb)}"
        assert wa.keys() == wb.keys() and len(wa) >= 4, f"{rid}: weights {sorted(wa)} {sorted(wb)}"
        for k in ca:
            assert same_array(ca[k], cb[k]), f"{rid}: curve {k} differs: {ca[k]} vs {cb[k]}"
        for k in wa:
            assert same_array(wa[k], wb[k]), f"{rid}: weight {k} differs"


def same_sweep(a, b, cells):
    """Same cell set, summary (all columns but seconds), curves (but seconds), weights: bitwise."""
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    sa, sb = fa["summary"][:], fb["summary"][:]
    assert sa.dtype.names == sb.dtype.names, f"summary columns: {sa.dtype.names} {sb.dtype.names}"
    assert len(sa) == len(sb) == int(cells), f"summary rows: {len(sa)} and {len(sb)}"
    for col in sa.dtype.names:
        if col == "seconds":
            continue
        x, y = sa[col], sb[col]
        if x.dtype == object:
            assert list(x) == list(y), f"summary column {col}: {list(x)} vs {list(y)}"
        else:
            assert same_array(x, y), f"summary column {col}: {x} vs {y}"
    assert [s.decode() for s in sa["status"]] == ["complete"] * int(cells), list(sa["status"])
    compare_runs(load_runs(fa), load_runs(fb))
    print(f"{len(sa)} cells: summary, curves and weights bitwise identical")


def same_cells(a, b):
    """Every run of sweep file b is bitwise the run of the same id in sweep file a."""
    ra, rb = load_runs(h5py.File(a, "r")), load_runs(h5py.File(b, "r"))
    assert rb and set(rb) <= set(ra), f"runs {sorted(rb)} not all in {sorted(ra)}"
    compare_runs({k: ra[k] for k in rb}, rb)
    print(f"{len(rb)} cells bitwise identical to the same cells of {a}")


def same_run(a, b):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    ra, rb = load_runs(fa), load_runs(fb)
    assert len(ra) == 1, f"{a}: {len(ra)} runs"
    compare_runs(ra, rb)
    (rid,) = ra
    n = len(fa["runs"][rid]["curves"]["epoch"])
    print(f"run {rid}: {n} epochs, curves and weights bitwise identical")


def intact(cell_dir, merged, cells):
    """Every cell file is a complete one-run file named after its run; the merged file is absent or
    a valid sweep file with one summary row per cell."""
    files = sorted(glob.glob(os.path.join(cell_dir, "*.h5")))
    for p in files:
        with h5py.File(p, "r") as f:
            assert f.attrs["format"] == "reglab", p
            (rid,) = list(f["runs"])
            assert p.endswith(f"/{rid}.h5"), f"{p} holds {rid}"
            run = f["runs"][rid]
            assert run.attrs["status"] == "complete", f"{p}: status {run.attrs['status']}"
            assert len(run["curves/epoch"]) == len(run["curves/test_accuracy"]) > 0, p
            run["weights/dense_0/kernel"][:]
    if os.path.exists(merged):
        with h5py.File(merged, "r") as f:
            assert f.attrs["kind"] == "sweep", merged
            assert len(f["summary"]) == int(cells), f"{merged}: {len(f['summary'])} rows"
            for rid in f["runs"]:
                f["runs"][rid]["weights/dense_0/kernel"][:]
    print(f"{len(files)} cell files intact" + (", merged file valid" if os.path.exists(merged) else ""))


def intact_run(path):
    """A single-run results file is absent or complete."""
    if not os.path.exists(path):
        print("no results file")
        return
    with h5py.File(path, "r") as f:
        (rid,) = list(f["runs"])
        assert f["runs"][rid].attrs["status"] == "complete"
        f["runs"][rid]["weights/dense_0/kernel"][:]
    print("results file intact")


def checkpoint_ok(path):
    """A checkpoint is absent or whole: magic "RLCKPT01" and a SHA-256 of everything before its
    last 32 bytes (train/checkpoint.hpp)."""
    if not os.path.exists(path):
        print("no checkpoint")
        return
    data = open(path, "rb").read()
    assert data[:8] == b"RLCKPT01", f"{path}: magic {data[:8]!r}"
    assert hashlib.sha256(data[:-32]).digest() == data[-32:], f"{path}: torn (checksum)"
    print(f"checkpoint whole ({len(data)} bytes)")


def resumed(path):
    """How many runs of a file were resumed from a checkpoint (attribute resumed_from_epoch)."""
    with h5py.File(path, "r") as f:
        epochs = [str(r.attrs.get("resumed_from_epoch", "0")) for r in f["runs"].values()]
    n = sum(e not in ("0", "") for e in epochs)
    print(f"{n} of {len(epochs)} runs resumed from a checkpoint (after epochs {', '.join(epochs)})")


COMMANDS = {"same_sweep": same_sweep, "same_cells": same_cells, "same_run": same_run, "intact": intact,
            "intact_run": intact_run, "checkpoint_ok": checkpoint_ok, "resumed": resumed}
COMMANDS[sys.argv[1]](*sys.argv[2:])
PY

# fingerprints DIR: "file inode mtime sha256" of every cell file, sorted.
fingerprints() {
  local f
  for f in "$1"/*.h5; do
    [[ -e "$f" ]] || continue
    printf '%s %s\n' "$(stat -c '%n %i %Y.%y' "$f")" "$(sha256sum < "$f" | cut -c1-64)"
  done | sort
}

# ================================================================================================
# a. Sweep: 10 SIGKILLs of the process group, resumed each time.
# ================================================================================================
cells=8
cat > "$tmp/sweep.yaml" << YAML
name: kill-resume
data: {dataset: fashion-mnist, train_size: 2000, validation_size: 500}
model: {name: mlp, hidden: [128]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 6, batch_size: 32}
grid:
  regularizers: [[], [{name: dropout, rate: 0.3}]]
seeds: 4
output: $tmp/ref.h5
YAML

measured_run "$tmp/ref.log" "$tmp/ref.cells/*.ckpt" run "$tmp/sweep.yaml" --jobs 2
rc=$?
t_ref=$t_total
t_ref_first=$t_first
if [[ $rc == 0 ]]; then
  ok "a. uninterrupted sweep of $cells cells exits 0 ($t_ref s, first checkpoint after $t_ref_first s)"
else
  not_ok "a. uninterrupted sweep exits 0" "exit code $rc" "$(tail -n 15 "$tmp/ref.log")"
fi

# Seeded delays spread over the uninterrupted run time. Each attempt first pays the start-up
# (T0: until the first checkpoint of the reference run), so a delay is 0.5 to 1.5 times T0 (some
# kills land during the start-up) plus 0 to 20% of the reference time: the 10 attempts together
# advance about as far as one uninterrupted run (a killed cell resumes from its last checkpoint),
# so most kills interrupt work and cells finish between kills.
mapfile -t delays < <($py -c "
import random
r = random.Random(1)
for _ in range(10): print(f'{r.uniform(0.5, 1.5) * $t_ref_first + r.uniform(0, 0.2) * $t_ref:.2f}')")

out="$tmp/torture.h5"
celldir="$tmp/torture.cells"
: > "$tmp/finished.txt"  # fingerprints of every cell file seen complete after a kill
interrupted=0
torn_problems=()
rerun_problems=()
resume_problems=()
i=0
for delay in "${delays[@]}"; do
  i=$((i + 1))
  present=$(find "$celldir" -maxdepth 1 -name '*.h5' 2> /dev/null | wc -l)
  start_bg "$tmp/kill$i.log" run "$tmp/sweep.yaml" output="$out" --jobs 2
  sleep "$delay"
  if kill -0 "$bg_pid" 2> /dev/null; then
    interrupted=$((interrupted + 1))
    state=interrupted
    kill_bg
  else
    state="had already finished"
    wait_bg
  fi
  # The rerun counted the cells that were complete before it started as complete.
  counted=$(grep -m1 -o '([0-9]* complete, ' "$tmp/kill$i.log")
  if [[ -n "$counted" && "$counted" != "($present complete, " ]]; then
    resume_problems+=("attempt $i: $present cell files before it, but: $(grep -m1 'complete, ' "$tmp/kill$i.log")")
  fi
  if ! msg=$($py "$tmp/check.py" intact "$celldir" "$out" "$cells" 2>&1); then
    torn_problems+=("after kill $i: $msg")
  fi
  # Cells complete before this attempt are byte for byte the same files.
  fingerprints "$celldir" > "$tmp/now.txt"
  if [[ -s "$tmp/finished.txt" ]]; then
    changed=$(comm -23 "$tmp/finished.txt" "$tmp/now.txt")
    [[ -z "$changed" ]] || rerun_problems+=("after kill $i, changed or gone: $changed")
  fi
  sort -u "$tmp/finished.txt" "$tmp/now.txt" -o "$tmp/finished.txt"
  echo "# kill $i after ${delay} s: $state; $(wc -l < "$tmp/now.txt") of $cells cells complete," \
    "$(find "$celldir" -name '*.ckpt' 2> /dev/null | wc -l) checkpoints," \
    "stale temporary files: $(find "$tmp" -maxdepth 2 -name '*.tmp.*' -printf '%f ' 2> /dev/null)"
done
if ((interrupted >= 3)); then
  ok "a. $interrupted of 10 kills interrupted the sweep"
else
  not_ok "a. at least 3 of 10 kills interrupted the sweep" "only $interrupted (reference run $t_ref s)"
fi
if [[ ${#torn_problems[@]} -eq 0 ]]; then
  ok "a. no torn cell or merged file after any kill"
else
  not_ok "a. no torn cell or merged file after any kill" "${torn_problems[@]}"
fi

"$reglab" run "$tmp/sweep.yaml" output="$out" --jobs 2 > "$tmp/final.log" 2>&1
rc=$?
if [[ $rc == 0 ]]; then
  ok "a. the final rerun exits 0 ($(grep -m1 -o '([0-9]* complete, [0-9]* to run' "$tmp/final.log"))"
else
  not_ok "a. the final rerun exits 0" "exit code $rc" "$(tail -n 15 "$tmp/final.log")"
fi
fingerprints "$celldir" > "$tmp/now.txt"
changed=$(comm -23 "$tmp/finished.txt" "$tmp/now.txt")
[[ -z "$changed" ]] || rerun_problems+=("after the final run, changed or gone: $changed")
if [[ ${#rerun_problems[@]} -eq 0 ]]; then
  ok "a. no finished cell was rerun or rewritten ($(wc -l < "$tmp/finished.txt") fingerprints tracked)"
else
  not_ok "a. no finished cell was rerun or rewritten" "${rerun_problems[@]}"
fi
if [[ ${#resume_problems[@]} -eq 0 ]]; then
  ok "a. every rerun counted the finished cells as complete"
else
  not_ok "a. every rerun counted the finished cells as complete" "${resume_problems[@]}"
fi
check "a. the resumed sweep file equals the uninterrupted one (curves but seconds, weights bitwise)" \
  $py "$tmp/check.py" same_sweep "$tmp/ref.h5" "$out" "$cells"
echo "# $($py "$tmp/check.py" resumed "$out" 2>&1)"
leftover=$(find "$celldir" -name '*.ckpt' | wc -l)
if [[ $leftover == 0 ]]; then
  ok "a. no checkpoint is left in the cell folder"
else
  not_ok "a. no checkpoint is left in the cell folder" "$(find "$celldir" -name '*.ckpt')"
fi

# ================================================================================================
# b. Single run with checkpoints: killed after its first checkpoint, resumed each time.
# ================================================================================================
cat > "$tmp/single.yaml" << YAML
name: kill-resume-single
seed: 5
data: {dataset: fashion-mnist, train_size: 3000, validation_size: 500}
model: {name: mlp, hidden: [256, 128]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 10, batch_size: 32}
regularizers:
  - {name: dropout, rate: 0.5, input_rate: 0.2}
output: $tmp/single_ref.h5
YAML

measured_run "$tmp/single_ref.log" "$tmp/single_ref.h5.ckpt" run "$tmp/single.yaml"
rc=$?
t_single=$t_total
t_single_first=$t_first
if [[ $rc == 0 && ! -e "$tmp/single_ref.h5.ckpt" ]]; then
  ok "b. uninterrupted run exits 0 and leaves no checkpoint ($t_single s, first checkpoint after $t_single_first s)"
else
  not_ok "b. uninterrupted run exits 0 and leaves no checkpoint" "exit code $rc" \
    "$(ls -d "$tmp"/single_ref*)" "$(tail -n 5 "$tmp/single_ref.log")"
fi

sout="$tmp/single.h5"
ckpt="$sout.ckpt"
# Up to 8 attempts, until 5 kills interrupted it or an attempt finished by itself. The kill
# moments follow the run's own progress, not the clock, so they land in the same phases however
# loaded the machine is. The first and the even attempts are killed while training: after the
# first checkpoint appears (the first attempt) or the attempt says it resumes, J more epochs
# (J = 1 or 2) and then a random fraction of the last epoch's duration. The other attempts are
# killed during their start-up (loading the data, reading the checkpoint): at a random moment
# before they say they resume, within the reference run's start-up time.
mapfile -t plans < <($py -c "
import random
r = random.Random(2)
for k in range(1, 9):
    if k == 1 or k % 2 == 0: print('train', r.choice([1, 2]), f'{r.uniform(0, 1):.2f}')
    else: print('start', f'{r.uniform(0.1, 1.0) * $t_single_first:.2f}', '0')")
epoch_lines() { grep -c ' epoch [0-9]*/[0-9]*' "$1" 2> /dev/null; }
kills=0
appeared=1
problems=()
for k in 1 2 3 4 5 6 7 8; do
  [[ -e "$sout" ]] || ((kills >= 5)) && break
  last_log="$tmp/single$k.log"
  had_ckpt=0
  [[ -e "$ckpt" ]] && had_ckpt=1
  read -r phase a b <<< "${plans[k - 1]}"
  start_bg "$last_log" run "$tmp/single.yaml" output="$sout"
  t_start=$(now)
  if [[ $phase == train ]]; then
    # Wait for the trigger, then for $a more epochs, then $b of the last epoch's duration.
    for _ in $(seq 3000); do
      if [[ $k == 1 ]]; then [[ -e "$ckpt" ]] && break; else grep -q resuming "$last_log" && break; fi
      kill -0 "$bg_pid" 2> /dev/null || break
      sleep 0.01
    done
    [[ $k != 1 || -e "$ckpt" ]] || appeared=0
    n0=$(epoch_lines "$last_log")
    t_last=$(now)
    t_epoch=0
    for _ in $(seq 6000); do
      n=$(epoch_lines "$last_log")
      if ((n > n0)); then
        t_epoch=$(elapsed "$t_last")
        t_last=$(now)
        n0=$n
        a=$((a - 1))
        ((a <= 0)) && break
      fi
      kill -0 "$bg_pid" 2> /dev/null || break
      sleep 0.01
    done
    delay=$(awk -v f="$b" -v e="$t_epoch" 'BEGIN { printf "%.2f", f * e }')
    sleep "$delay"
    when="training ($(epoch_lines "$last_log") epochs into the attempt + $delay s)"
  else
    # Killed at $a seconds, or as soon as it says it resumes if that comes first.
    for _ in $(seq 3000); do
      grep -q resuming "$last_log" && break
      awk -v t0="$t_start" -v now="$EPOCHREALTIME" -v a="$a" 'BEGIN { exit !(now - t0 >= a) }' && break
      kill -0 "$bg_pid" 2> /dev/null || break
      sleep 0.01
    done
    when="start-up ($(elapsed "$t_start") s)"
  fi
  if kill -0 "$bg_pid" 2> /dev/null; then
    kill_bg
    kills=$((kills + 1))
  else
    wait_bg || problems+=("attempt $k ended by itself with exit code $?: $(tail -n 3 "$last_log")")
  fi
  # An attempt that found a checkpoint and got past loading the data says it resumes.
  if ((had_ckpt)) && grep -q "^reglab: run " "$last_log" && ! grep -q "resuming" "$last_log"; then
    problems+=("attempt $k: no 'resuming' line: $(head -n 2 "$last_log")")
  fi
  msg=$($py "$tmp/check.py" checkpoint_ok "$ckpt" 2>&1) || problems+=("after kill $k: $msg")
  msg=$($py "$tmp/check.py" intact_run "$sout" 2>&1) || problems+=("after kill $k: $msg")
  resumed=$(grep -o 'resuming.*after epoch [0-9]*' "$last_log" | grep -o '[0-9]*$')
  echo "# single run, attempt $k (resumed after epoch ${resumed:-0}) killed in $when;" \
    "last: $(grep -o 'epoch [0-9]*/[0-9]*\|status complete' "$last_log" | tail -n 1)"
done
if ((appeared)); then
  ok "b. the first checkpoint appears at $ckpt"
else
  not_ok "b. the first checkpoint appears at <output>.ckpt" "no $ckpt while the run trained" \
    "$(tail -n 5 "$tmp/single1.log")"
fi
if ((kills >= 3)); then
  ok "b. $kills kills interrupted the run"
else
  not_ok "b. at least 3 kills interrupted the run" "$kills (reference run $t_single s)"
fi
if [[ ${#problems[@]} -eq 0 ]]; then
  ok "b. each rerun resumed; checkpoints and results never torn"
else
  not_ok "b. each rerun resumed; checkpoints and results never torn" "${problems[@]}"
fi
if [[ -e "$sout" ]]; then
  # The last attempt finished by itself: its log is the final run's.
  cp "$last_log" "$tmp/single_final.log"
  rc=0
else
  "$reglab" run "$tmp/single.yaml" output="$sout" > "$tmp/single_final.log" 2>&1
  rc=$?
fi
if [[ $rc == 0 ]] && grep -q "resuming" "$tmp/single_final.log" && [[ ! -e "$ckpt" && -f "$sout" ]]; then
  ok "b. the final rerun resumes ($(grep -m1 -o 'resuming.*' "$tmp/single_final.log" | cut -c1-120)), exits 0, removes the checkpoint"
else
  not_ok "b. the final rerun resumes, exits 0 and removes the checkpoint" "exit code $rc" \
    "checkpoint: $(ls "$ckpt" 2>&1)" "$(grep -v ' epoch ' "$tmp/single_final.log" | tail -n 8)"
fi
check "b. the resumed run equals the uninterrupted one (curves but seconds, weights bitwise)" \
  $py "$tmp/check.py" same_run "$tmp/single_ref.h5" "$sout"
echo "# $($py "$tmp/check.py" resumed "$sout" 2>&1)"

# A checkpoint of another configuration: refused (exit 2, names it, keeps it), then discarded by
# --overwrite, which gives the changed configuration's own uninterrupted result.
cout="$tmp/changed.h5"
start_bg "$tmp/changed1.log" run "$tmp/single.yaml" output="$cout"
for _ in $(seq 1200); do
  [[ -e "$cout.ckpt" ]] || ! kill -0 "$bg_pid" 2> /dev/null && break
  sleep 0.025
done
kill_bg
if [[ -e "$cout.ckpt" ]]; then
  before=$(sha256sum < "$cout.ckpt")
  "$reglab" run "$tmp/single.yaml" output="$cout" train.epochs=4 \
    > "$tmp/changed2.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -qF "$cout.ckpt" "$tmp/changed2.log" && [[ ! -e "$cout" ]] &&
    [[ "$(sha256sum < "$cout.ckpt")" == "$before" ]]; then
    ok "b. a checkpoint of another configuration is refused (exit 2, names $(basename "$cout").ckpt, kept)"
  else
    not_ok "b. a checkpoint of another configuration is refused (exit 2, names it, kept)" \
      "exit code $rc; results file: $(ls "$cout" 2>&1)" "$(grep -v ' epoch ' "$tmp/changed2.log" | tail -n 5)"
  fi
  "$reglab" run "$tmp/single.yaml" output="$cout" train.epochs=4 --overwrite \
    > "$tmp/changed3.log" 2>&1
  rc=$?
  if [[ $rc == 0 && ! -e "$cout.ckpt" ]] && ! grep -q "resuming" "$tmp/changed3.log"; then
    ok "b. --overwrite discards the other configuration's checkpoint and trains from scratch"
  else
    not_ok "b. --overwrite discards the other configuration's checkpoint" "exit code $rc" \
      "$(grep -v ' epoch ' "$tmp/changed3.log" | tail -n 5)"
  fi
  "$reglab" run "$tmp/single.yaml" output="$tmp/changed_ref.h5" train.epochs=4 \
    > "$tmp/changed_ref.log" 2>&1
  check "b. the --overwrite run equals an uninterrupted run of the changed configuration" \
    $py "$tmp/check.py" same_run "$tmp/changed_ref.h5" "$cout"
else
  not_ok "b. a checkpoint of another configuration is refused" \
    "no checkpoint appeared at $cout.ckpt" "$(tail -n 5 "$tmp/changed1.log")"
fi

# ================================================================================================
# c. SIGTERM (what `kill PID` and schedulers send): a sweep stops its cells and exits 130 with a
#    hint to rerun; a single run dies, keeping its checkpoint. Both resume to the same numbers.
# ================================================================================================
tout="$tmp/term.h5"
start_bg "$tmp/term1.log" run "$tmp/sweep.yaml" output="$tout" seeds=2 --jobs 2
for _ in $(seq 1200); do
  [[ -n "$(find "$tmp/term.cells" -name '*.ckpt' 2> /dev/null)" ]] && break
  kill -0 "$bg_pid" 2> /dev/null || break
  sleep 0.025
done
kill -TERM "$bg_pid" 2> /dev/null
wait "$bg_pid"
rc=$?
left=""
for _ in $(seq 300); do
  left=$(pgrep -g "$bg_pgid")
  [[ -z "$left" ]] && break
  sleep 0.05
done
kill -9 -- "-$bg_pgid" 2> /dev/null
bg_pgid=""
if [[ $rc == 130 ]] && grep -q "rerun the same command to resume" "$tmp/term1.log" && [[ -z "$left" ]]; then
  ok "c. SIGTERM to a sweep: exit 130, 'rerun the same command to resume', no cell process left"
else
  not_ok "c. SIGTERM to a sweep: exit 130, 'rerun the same command to resume', no cell process left" \
    "exit code $rc; processes left: $left" "$(tail -n 4 "$tmp/term1.log")"
fi
check "c. no torn file after SIGTERM" $py "$tmp/check.py" intact "$tmp/term.cells" "$tout" 4
"$reglab" run "$tmp/sweep.yaml" output="$tout" seeds=2 --jobs 2 > "$tmp/term2.log" 2>&1
rc=$?
if [[ $rc == 0 ]]; then
  ok "c. the sweep rerun after SIGTERM exits 0"
else
  not_ok "c. the sweep rerun after SIGTERM exits 0" "exit code $rc" "$(tail -n 5 "$tmp/term2.log")"
fi
check "c. its cells equal the uninterrupted sweep's (bitwise)" $py "$tmp/check.py" same_cells "$tmp/ref.h5" "$tout"

tsout="$tmp/term_single.h5"
start_bg "$tmp/term3.log" run "$tmp/single.yaml" output="$tsout"
for _ in $(seq 1200); do
  [[ -e "$tsout.ckpt" ]] || ! kill -0 "$bg_pid" 2> /dev/null && break
  sleep 0.025
done
sleep 0.3
kill -TERM "$bg_pid" 2> /dev/null
wait "$bg_pid"
rc=$?
bg_pgid=""
if [[ ($rc == 130 || $rc == 143) && ! -e "$tsout" ]] && $py "$tmp/check.py" checkpoint_ok "$tsout.ckpt" > /dev/null 2>&1 &&
  [[ -e "$tsout.ckpt" ]]; then
  ok "c. SIGTERM to a single run: ends (exit $rc), no results file, its checkpoint whole"
else
  not_ok "c. SIGTERM to a single run: ends, no results file, its checkpoint whole" "exit code $rc" \
    "$(ls -d "$tsout"* 2>&1)" "$(tail -n 3 "$tmp/term3.log" | cut -c1-150)"
fi
"$reglab" run "$tmp/single.yaml" output="$tsout" > "$tmp/term4.log" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -q resuming "$tmp/term4.log"; then
  ok "c. the single run resumes after SIGTERM (exit 0)"
else
  not_ok "c. the single run resumes after SIGTERM" "exit code $rc" "$(grep -v ' epoch ' "$tmp/term4.log" | tail -n 4)"
fi
check "c. and equals the uninterrupted run (bitwise)" $py "$tmp/check.py" same_run "$tmp/single_ref.h5" "$tsout"

echo "$passed passed, $failed failed"
((failed == 0))
