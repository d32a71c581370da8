#!/usr/bin/env bash
# `reglab slurm submit` on a real one-node Slurm cluster (tools/slurm-local.sh, started here and
# always stopped on exit). Sweeps on the synthetic dataset:
#   a. a 6-cell grid submitted as an array + merge job: every cell completes, and the merged file's
#      summary, curves (except seconds) and weights are bitwise those of a local `reglab run
#      --jobs 2`; `reglab status` shows each cell's Slurm job; submitting again submits nothing.
#   b. a grid with a cell that fails when it loads its data, all 3 cells in one task
#      (--cells-per-task 3): the task runs the cell after the failed one too, the merge job reports
#      it FAILED and merges the others; a dry run would retry only that cell.
#   c. a slower 6-cell sweep with --max-parallel 1, cancelled (scancel) after two cells: the
#      resubmission runs only the missing cells, leaves the finished cell files alone, and its
#      merge is complete.
#   d. (with a plugin file as second argument) a sweep whose plugin is given with --plugin runs on
#      the cluster bitwise like a local run: the cell files and the merge script load the plugin.
#   e. a 13-cell sweep with --cells-per-task 2 on a cluster whose MaxArraySize is 6: 7 tasks in
#      two arrays (6 + 1) of one script, one merge job after both; the merged file is bitwise that
#      of a local run, and submissions.tsv names each cell's task in its own array.
# Prints timings (submit to merged file; per-cell overhead against a local run), "ok - ..." /
# "not ok - ..." lines and "N passed, N failed"; exits 1 if a check failed.
# Needs root (or passwordless sudo) on Debian 12: installs slurmctld slurmd slurm-client munge.
# Usage: bash tests/slurm/test_slurm.sh PATH_TO_REGLAB [PLUGIN.so]   (from the repository root)
set -uo pipefail
reglab=$(realpath "$1")
plugin=$([[ -n "${2:-}" ]] && realpath "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/reglab-slurm-test.XXXXXX)
export REGLAB_SLURM_DIR=$tmp/cluster
# Array task ids 0..5: a. and c. fit one array of 6 tasks, e. needs two.
export REGLAB_SLURM_MAX_ARRAY_SIZE=6
cleanup() {
  bash "$root/tools/slurm-local.sh" down 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$root/tests/e2e/lib.sh"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
finish() {
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit
}

# A private port pair (slurmctld, slurmd), so that this test never meets another cluster.
REGLAB_SLURM_PORT=$($py - << 'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 40000)
    try:
        for q in (p, p + 1):
            s = socket.socket(); s.bind(("", q)); s.close()
        print(p); break
    except OSError:
        pass
PY
)
export REGLAB_SLURM_PORT
t=$(now)
if ! conf=$(bash "$root/tools/slurm-local.sh" up 2> "$tmp/up.log"); then
  not_ok "the one-node cluster starts (tools/slurm-local.sh up)" "$(tail -n 30 "$tmp/up.log")"
  finish
fi
eval "$conf"
ok "the one-node cluster starts in $(secs "$t" "$(now)") s ($(sinfo -h -o '%c CPUs' | head -1))"

# wait_jobs IDS: until squeue lists none of the jobs (comma-separated), at most 180 s.
wait_jobs() {
  local out
  for _ in $(seq 1800); do
    if out=$(squeue -h -j "$1" -o %i 2>&1); then
      [[ -z "$out" ]] && return 0
    elif grep -q 'Invalid job id' <<< "$out"; then
      return 0
    fi
    sleep 0.1
  done
  echo "jobs $1 still queued after 180 s:"
  squeue
  scancel "${1//,/ }" 2> /dev/null
  return 1
}
# job_ids OUTPUT_FILE: "ARRAY MERGE" from the output of `reglab slurm submit`
job_ids() {
  sed -n 's/^submitted array job \([0-9]*\):.*/\1/p; s/^submitted merge job \([0-9]*\) .*/\1/p' "$1" |
    tr '\n' ' '
}

# A tiny array and a job after it: the cluster runs jobs, and the timings below are those of a
# cluster that has scheduled before (the first array and dependency on a fresh one are slower).
t=$(now)
warm=$(sbatch --parsable --array=0-1 -o /dev/null --wrap true 2>&1) &&
  warm2=$(sbatch --parsable --dependency=afterany:"$warm" -o /dev/null --wrap true 2>&1)
if [[ "$warm" =~ ^[0-9]+$ && "${warm2:-}" =~ ^[0-9]+$ ]] && wait_jobs "$warm,$warm2" > "$tmp/wait.txt"; then
  ok "the cluster runs an array and a dependent job ($(secs "$t" "$(now)") s)"
else
  not_ok "the cluster runs an array and a dependent job" "$warm ${warm2:-}" "$(cat "$tmp/wait.txt")"
fi

work=$tmp/work
mkdir -p "$work"
cd "$work" || exit 1
cat > compare.py << 'PY'
"""python3 compare.py same A.h5 B.h5 | runs A.h5 N | failed A.h5 SIZE: exit 1 on a mismatch."""
import sys
import h5py


def load(path):
    f = h5py.File(path, "r")
    runs = {}
    for rid, run in f["runs"].items():
        curves = {k: run["curves"][k][:] for k in run["curves"] if k != "seconds"}
        weights = {}
        run["weights"].visititems(
            lambda n, o: weights.__setitem__(n, o[:]) if isinstance(o, h5py.Dataset) else None)
        runs[rid] = (curves, weights)
    return f["summary"][:], list(f["runs"]), runs


def bitwise(x, y):
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def same(a, b):
    sa, order_a, ra = load(a)
    sb, order_b, rb = load(b)
    assert sa.dtype.names == sb.dtype.names, "summary columns differ"
    for col in sa.dtype.names:
        if col != "seconds":
            assert list(sa[col]) == list(sb[col]) if sa[col].dtype == object else bitwise(
                sa[col], sb[col]), f"summary column {col} differs"
    assert order_a == order_b and len(order_a) == len(sa), f"/runs differ: {order_a} {order_b}"
    for rid in order_a:
        (ca, wa), (cb, wb) = ra[rid], rb[rid]
        assert ca.keys() == cb.keys() and len(ca) >= 9, f"{rid}: curves {sorted(ca)} {sorted(cb)}"
        assert wa.keys() == wb.keys() and len(wa) >= 4, f"{rid}: weights {sorted(wa)} {sorted(wb)}"
        for k in ca:
            assert bitwise(ca[k], cb[k]), f"{rid}: curve {k} differs"
        for k in wa:
            assert bitwise(wa[k], wb[k]), f"{rid}: weight {k} differs"
    print(f"{len(order_a)} runs: summary, curves and weights bitwise identical")


def runs(path, n):
    s, order, _ = load(path)
    status = [x.decode() for x in s["status"]]
    assert len(order) == int(n) and status == ["complete"] * int(n), (order, status)


def failed(path, size):
    s, order, _ = load(path)
    for row in s:
        bad = row["data.train_size"] == float(size)
        want = "failed" if bad else "complete"
        assert row["status"].decode() == want, (row["name"], row["status"], row["message"])
        assert (row["cell_id"].decode() in order) != bad, row["cell_id"]
        if bad:
            assert b"exceeds" in row["message"], row["message"]
    print(f"{len(order)} runs merged, cell data.train_size={size} failed")


{"same": same, "runs": runs, "failed": failed}[sys.argv[1]](*sys.argv[2:])
PY

data='data: {dataset: synthetic, train_samples: 600, test_samples: 200, features: 32, classes: 4, validation_size: 100}'

# --- a. a grid on the cluster equals the local run --------------------------------------------
cat > grid.yaml << YAML
name: slurm-grid
$data
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 4, batch_size: 32}
grid:
  regularizers: [[], [{name: dropout, rate: 0.2}]]
seeds: 3
output: results/grid.h5
YAML
"$reglab" slurm submit grid.yaml --max-parallel 2 --time 5 --dry-run > dry.txt 2>&1
rc=$?
if [[ $rc == 0 && ! -e results/grid.cells ]] && grep -q -- '^#SBATCH --array=0-5%2$' dry.txt &&
  grep -q -- "^#SBATCH --time=5$" dry.txt && grep -qF "cd '$work'" dry.txt &&
  grep -qF "'$reglab' cells --keep-going \"\${files[@]}\"" dry.txt &&
  grep -qF -- "--dependency=afterany:" dry.txt && [[ $(grep -cE '^[0-9a-f]{12}$' dry.txt) == 6 ]]; then
  ok "a. --dry-run prints the 6-cell list and both scripts and writes nothing"
else
  not_ok "a. --dry-run prints the 6-cell list and both scripts and writes nothing" "exit code $rc" \
    "$(cat dry.txt)"
fi

t0=$(now)
"$reglab" slurm submit grid.yaml --max-parallel 2 > submit_a.txt 2>&1
rc=$?
read -r arr mrg <<< "$(job_ids submit_a.txt)"
if [[ $rc == 0 && -n "$arr" && -n "$mrg" ]]; then
  ok "a. submitted array job $arr and merge job $mrg"
  if wait_jobs "$arr,$mrg" > wait.txt; then
    ok "a. array and merge jobs finished"
  else
    not_ok "a. array and merge jobs finished" "$(cat wait.txt)"
  fi
else
  not_ok "a. reglab slurm submit exits 0 with two job ids" "exit code $rc" "$(cat submit_a.txt)"
fi
t_slurm=$(secs "$t0" "$(date -r results/grid.h5 +%s.%N 2> /dev/null || now)")
out_merge=results/grid.cells/slurm/merge-$mrg.out
states=$(scontrol -o show job "$arr" 2> /dev/null | grep -o 'JobState=[A-Z]*' | sort | uniq -c | tr -s ' ')
if grep -q '6 cells: 6 complete, 0 diverged, 0 failed, 0 missing' "$out_merge" 2> /dev/null &&
  [[ $(ls results/grid.cells/*.h5 | wc -l) == 6 && $(ls results/grid.cells/slurm/"$arr"_*.out | wc -l) == 6 ]] &&
  [[ "$states" == " 6 JobState=COMPLETED" ]]; then
  ok "a. all 6 array tasks COMPLETED and the merge job merged 6 complete cells"
else
  not_ok "a. all 6 array tasks COMPLETED and the merge job merged 6 complete cells" "task states:$states" \
    "$(cat "$out_merge" 2>&1)" "$(tail -n 5 results/grid.cells/slurm/*.out 2>&1)"
fi

t0=$(now)
"$reglab" run grid.yaml output=results/local.h5 --jobs 2 > local.txt 2>&1
rc=$?
t_local=$(secs "$t0" "$(now)")
[[ $rc == 0 ]] || not_ok "a. the local run exits 0" "$(tail -n 20 local.txt)"
check "a. cluster and local (--jobs 2) files: summary, curves and weights bitwise identical" \
  $py compare.py same results/grid.h5 results/local.h5

"$reglab" status grid.yaml > status_a.txt 2>&1
if head -1 status_a.txt | grep -q '^cell  *state  *slurm_job  *name$' &&
  [[ $(grep -cE "^[0-9a-f]{12}  complete   ${arr}_[0-5] " status_a.txt) == 6 ]]; then
  ok "a. reglab status shows each cell's Slurm job (${arr}_0 .. ${arr}_5)"
else
  not_ok "a. reglab status shows each cell's Slurm job" "$(cat status_a.txt)"
fi
"$reglab" slurm submit grid.yaml > again.txt 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -q 'nothing to submit' again.txt && ! grep -q 'submitted' again.txt &&
  [[ -z "$(squeue -h)" ]]; then
  ok "a. submitting the complete sweep again submits nothing"
else
  not_ok "a. submitting the complete sweep again submits nothing" "exit code $rc" "$(cat again.txt)"
fi

# --- b. a failing cell is reported by the merge job -------------------------------------------
# train_size 9999 passes validation (>= 0) but exceeds the 600 - 100 synthetic training samples:
# the cell fails when its task loads the data.
cat > fail.yaml << YAML
name: slurm-fail
$data
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, learning_rate: 0.05}
train: {epochs: 2}
grid:
  data.train_size: [300, 9999, 400]
output: results/fail.h5
YAML
"$reglab" slurm submit fail.yaml --cells-per-task 3 > submit_b.txt 2>&1
rc=$?
read -r arr_b mrg_b <<< "$(job_ids submit_b.txt)"
if [[ $rc == 0 && -n "$arr_b" && -n "$mrg_b" ]] && wait_jobs "$arr_b,$mrg_b" > wait.txt; then
  ok "b. the sweep with a failing cell ran (array $arr_b, merge $mrg_b)"
else
  not_ok "b. the sweep with a failing cell ran" "exit code $rc" "$(cat submit_b.txt wait.txt)"
fi
out_b=results/fail.cells/slurm/merge-$mrg_b.out
if grep -qE '^FAILED  [0-9a-f]{12}  data.train_size=9999: .*exceeds' "$out_b" 2> /dev/null &&
  grep -q '3 cells: 2 complete, 0 diverged, 1 failed, 0 missing' "$out_b" &&
  grep -q 'exceeds' results/fail.cells/slurm/"${arr_b}"_0.out &&
  [[ $(grep -c '^reglab: cell .*, Slurm job ' results/fail.cells/slurm/"${arr_b}"_0.out) == 3 ]]; then
  ok "b. one task ran the 3 cells; the merge job's log says FAILED for the failing cell (the task log has the error)"
else
  not_ok "b. the merge job's log says FAILED for the failing cell" "$(cat "$out_b" 2>&1)" \
    "$(cat results/fail.cells/slurm/"${arr_b}"_0.out 2>&1)"
fi
check "b. the merged file holds the 2 other cells and the failed one's summary row" \
  $py compare.py failed results/fail.h5 9999
"$reglab" slurm submit fail.yaml --dry-run > dry_b.txt 2>&1
if grep -q '3 cells: 2 complete, 1 missing (1 of them failed before), 0 still queued in Slurm; 1 to submit' dry_b.txt &&
  grep -q -- '^#SBATCH --array=0-0$' dry_b.txt; then
  ok "b. a resubmission would retry only the failed cell"
else
  not_ok "b. a resubmission would retry only the failed cell" "$(cat dry_b.txt)"
fi

# --- c. resubmission after scancel runs only the missing cells --------------------------------
cat > slow.yaml << YAML
name: slurm-slow
data: {dataset: synthetic, train_samples: 3000, test_samples: 500, features: 64, classes: 4, validation_size: 300}
model: {name: mlp, hidden: [128]}
optimizer: {name: sgd, learning_rate: 0.05}
train: {epochs: 200}
seeds: 6
output: results/slow.h5
YAML
cells=results/slow.cells
"$reglab" slurm submit slow.yaml --max-parallel 1 > submit_c1.txt 2>&1
rc=$?
read -r arr_c mrg_c <<< "$(job_ids submit_c1.txt)"
[[ $rc == 0 && -n "$arr_c" && -n "$mrg_c" ]] || not_ok "c. first submission" "$(cat submit_c1.txt)"
n=0
for _ in $(seq 1800); do # until two cells are done (at most 180 s)
  n=$(find "$cells" -maxdepth 1 -name '*.h5' 2> /dev/null | wc -l)
  ((n >= 2)) && break
  sleep 0.1
done
"$reglab" slurm submit slow.yaml --dry-run > dry_c.txt 2>&1
scancel "$arr_c"
if grep -q '; 0 to submit$' dry_c.txt && grep -q 'nothing submitted' dry_c.txt; then
  ok "c. while the array runs, a resubmission leaves its cells to it"
else
  not_ok "c. while the array runs, a resubmission leaves its cells to it" "$(cat dry_c.txt)"
fi
wait_jobs "$arr_c,$mrg_c" > wait.txt || not_ok "c. the cancelled array and its merge finish" "$(cat wait.txt)"
for f in "$cells"/*.h5; do [[ -e "$f" ]] && stat -c '%n %i %.9Y' "$f"; done | sort > before.txt
done_before=$(wc -l < before.txt)
if ((done_before >= 2 && done_before < 6)) &&
  grep -q "6 cells: $done_before complete, 0 diverged, 0 failed, $((6 - done_before)) missing" \
    "$cells/slurm/merge-$mrg_c.out" 2> /dev/null; then
  ok "c. scancel after $done_before of 6 cells: the merge job lists $((6 - done_before)) missing"
else
  not_ok "c. scancel after some but not all cells: the merge job lists the missing ones" \
    "$done_before cell files" "$(cat "$cells/slurm/merge-$mrg_c.out" 2>&1)"
fi
check "c. no torn or temporary cell file after scancel" \
  bash -c "! ls '$cells' | grep -q tmp"

"$reglab" slurm submit slow.yaml --max-parallel 2 > submit_c2.txt 2>&1
rc=$?
read -r arr_c2 mrg_c2 <<< "$(job_ids submit_c2.txt)"
list2=$(sed -n 's/^cell list //p' submit_c2.txt)
if [[ $rc == 0 && -n "$arr_c2" && -n "$mrg_c2" ]] && wait_jobs "$arr_c2,$mrg_c2" > wait.txt; then
  ok "c. resubmitted: array $arr_c2, merge $mrg_c2"
else
  not_ok "c. resubmitted" "exit code $rc" "$(cat submit_c2.txt wait.txt)"
fi
len2=$(wc -l < "$list2" 2> /dev/null || echo none)
unchanged=$(for f in "$cells"/*.h5; do stat -c '%n %i %.9Y' "$f"; done | sort | grep -cxF -f before.txt)
if [[ "$len2" == $((6 - done_before)) && "$unchanged" == "$done_before" ]] &&
  [[ $(ls "$cells"/slurm/"$arr_c2"_*.out | wc -l) == $((6 - done_before)) ]]; then
  ok "c. the resubmission ran only the $len2 missing cells; the $done_before finished files are untouched"
else
  not_ok "c. the resubmission ran only the missing cells" "cell list $list2: $len2 lines" \
    "$unchanged of $done_before finished files unchanged"
fi
if grep -q '6 cells: 6 complete, 0 diverged, 0 failed, 0 missing' "$cells/slurm/merge-$mrg_c2.out" 2> /dev/null &&
  $py compare.py runs results/slow.h5 6 > /dev/null 2>&1; then
  ok "c. the final merge is complete (6 of 6 cells)"
else
  not_ok "c. the final merge is complete" "$(cat "$cells/slurm/merge-$mrg_c2.out" 2>&1)"
fi
"$reglab" status slow.yaml > status_c.txt 2>&1
if [[ $(grep -c " ${arr_c}_" status_c.txt) == "$done_before" && $(grep -c " ${arr_c2}_" status_c.txt) == $((6 - done_before)) ]]; then
  ok "c. reglab status shows each cell's latest job"
else
  not_ok "c. reglab status shows each cell's latest job" "$(cat status_c.txt)"
fi

# --- d. a plugin given with --plugin reaches every array task and the merge job ------------------
if [[ -n "$plugin" ]]; then
  cat > plug.yaml << YAML
name: slurm-plugin
$data
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 3, batch_size: 32}
grid:
  regularizers: [[], [{name: dropconnect, rate: 0.3}]]
seeds: 2
output: results/plug.h5
YAML
  "$reglab" slurm submit plug.yaml --plugin "$plugin" > submit_d.txt 2>&1
  rc=$?
  read -r arr_d mrg_d <<< "$(job_ids submit_d.txt)"
  if [[ $rc == 0 && -n "$arr_d" && -n "$mrg_d" ]] && wait_jobs "$arr_d,$mrg_d" > wait.txt &&
    grep -q '4 cells: 4 complete' "results/plug.cells/slurm/merge-$mrg_d.out" 2> /dev/null &&
    grep -qF -- "--plugin '$plugin'" results/plug.cells/slurm/merge-*.sh &&
    [[ $(grep -lxF "plugin: $plugin" results/plug.cells/*.yaml | wc -l) == 4 ]]; then
    ok "d. a sweep with --plugin runs on the cluster: the cell files and the merge load it, 4 of 4 cells complete"
  else
    not_ok "d. a sweep with --plugin runs on the cluster" "exit code $rc" "$(cat submit_d.txt wait.txt)" \
      "$(cat results/plug.cells/slurm/*.out 2>&1 | tail -n 20)"
  fi
  "$reglab" run plug.yaml output=results/plug-local.h5 --plugin "$plugin" --jobs 2 > local_d.txt 2>&1 ||
    not_ok "d. the local run with --plugin exits 0" "$(tail -n 20 local_d.txt)"
  check "d. cluster and local plugin sweeps: summary, curves and weights bitwise identical" \
    $py compare.py same results/plug.h5 results/plug-local.h5
else
  echo "# d. skipped: no plugin given (second argument)"
fi

# --- e. more tasks than MaxArraySize: two arrays, several cells per task, one merge -------------
cat > big.yaml << YAML
name: slurm-big
$data
model: {name: mlp, hidden: [16]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 32}
seeds: 13
output: results/big.h5
YAML
"$reglab" slurm submit big.yaml --cells-per-task 2 --dry-run > dry_e.txt 2>&1
if grep -q '(7 lines)' dry_e.txt && grep -qE '^would run: sbatch --parsable --array=0-5 .*/array-[^ ]*\.sh 0$' dry_e.txt &&
  grep -qE '^ +sbatch --parsable --array=0-0 .*/array-[^ ]*\.sh 6$' dry_e.txt &&
  grep -qF -- '--dependency=afterany:<array job 1>:<array job 2> ' dry_e.txt && [[ ! -e results/big.cells ]]; then
  ok "e. --dry-run: 13 cells in 7 tasks, two arrays (0-5 at offset 0, 0-0 at offset 6), one merge"
else
  not_ok "e. --dry-run: 13 cells in 7 tasks, two arrays" "$(cat dry_e.txt)"
fi
t0=$(now)
"$reglab" slurm submit big.yaml --cells-per-task 2 --max-parallel 2 > submit_e.txt 2>&1
rc=$?
read -r arr_e1 arr_e2 <<< "$(sed -n 's/^submitted array job \([0-9]*\):.*/\1/p' submit_e.txt | tr '\n' ' ')"
mrg_e=$(sed -n 's/^submitted merge job \([0-9]*\) .*/\1/p' submit_e.txt)
if [[ $rc == 0 && -n "$arr_e1" && -n "$arr_e2" && -n "$mrg_e" ]] &&
  grep -qF "(after array jobs $arr_e1,$arr_e2)" submit_e.txt &&
  wait_jobs "$arr_e1,$arr_e2,$mrg_e" > wait.txt; then
  ok "e. submitted arrays $arr_e1 and $arr_e2 and merge job $mrg_e; all finished"
else
  not_ok "e. submitted two arrays and a merge job" "exit code $rc" "$(cat submit_e.txt wait.txt 2>&1)"
fi
t_big=$(secs "$t0" "$(date -r results/big.h5 +%s.%N 2> /dev/null || now)")
slurm_e=results/big.cells/slurm
dep=$(scontrol -o show job "$mrg_e" 2> /dev/null | grep -o 'Dependency=[^ ]*')
if grep -q '13 cells: 13 complete, 0 diverged, 0 failed, 0 missing' "$slurm_e/merge-$mrg_e.out" 2> /dev/null &&
  [[ $(ls "$slurm_e/${arr_e1}"_*.out | wc -l) == 6 && $(ls "$slurm_e/${arr_e2}"_*.out | wc -l) == 1 ]] &&
  [[ $(cat "$slurm_e"/"${arr_e1}"_*.out "$slurm_e"/"${arr_e2}"_*.out | grep -c '^reglab: cell .*, Slurm job ') == 13 ]] &&
  [[ $(grep -c '^reglab: cell .*, Slurm job ' "$slurm_e/${arr_e2}_0.out") == 1 ]]; then
  ok "e. 6 + 1 tasks ran 2 cells each (the last 1); the merge job merged 13 complete cells"
else
  not_ok "e. 6 + 1 tasks ran the 13 cells and the merge job merged them" "$dep" \
    "$(cat "$slurm_e/merge-$mrg_e.out" 2>&1)" "$(tail -n 5 "$slurm_e"/*.out 2>&1)"
fi
tasks_e=$(awk -F'\t' 'NR > 2 { print $5 }' "$slurm_e/submissions.tsv" | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ')
expect_tasks=$(for k in 0 1 2 3 4 5; do printf '%s_%sx2 ' "$arr_e1" "$k"; done; printf '%s_0x1 ' "$arr_e2")
if [[ "$tasks_e" == "$expect_tasks" ]]; then
  ok "e. submissions.tsv: one line per cell, tasks ${arr_e1}_0..5 (2 cells each) and ${arr_e2}_0"
else
  not_ok "e. submissions.tsv names each cell's task in its own array" "got:  $tasks_e" "want: $expect_tasks"
fi
"$reglab" run big.yaml output=results/big-local.h5 --jobs 2 > local_e.txt 2>&1 ||
  not_ok "e. the local run exits 0" "$(tail -n 20 local_e.txt)"
check "e. cluster (2 arrays, 2 cells per task) and local files: summary, curves, weights bitwise identical" \
  $py compare.py same results/big.h5 results/big-local.h5

# --- timings ------------------------------------------------------------------------------------
overhead=$(awk -v s="$t_slurm" -v l="$t_local" 'BEGIN { printf "%.2f", (s - l) * 2 / 6 }')
echo "# timings: 6-cell grid, 2 cells at a time: submit to merged file ${t_slurm} s on Slurm," \
  "${t_local} s for a local reglab run --jobs 2: about ${overhead} s overhead per cell;" \
  "13-cell sweep in two arrays, 2 cells per task: ${t_big} s"
finish
