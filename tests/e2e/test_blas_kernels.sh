#!/usr/bin/env bash
# OpenBLAS's kernels: chosen by the CPU's features, checked, refused when wrong, recorded.
#  a. OPENBLAS_CORETYPE unset: reglab runs the core it prefers here (SkylakeX with AVX-512,
#     Haswell with AVX2 and FMA) and records it with its check and fingerprint.
#  b. A value set by the user is kept and recorded.
#  c. Kernels that compute wrong products (a cblas_sgemm that is off by 1 with the named cores,
#     loaded in front of OpenBLAS) are refused: reglab says so, falls back to the next core,
#     completes the run, and records what it refused. The run's numbers equal a run pinned to the
#     fallback core.
#  d. When every core is wrong, reglab exits 1 and writes nothing.
#  e. One core gives one fingerprint; the preferred and the fallback core's are printed.
#  f. `reglab verify` of a run written on the fallback core, rerun on the preferred one, reports
#     the mismatch (exit 5) and names blas_core and blas_fingerprint.
# Usage: bash tests/e2e/test_blas_kernels.sh PATH_TO_REGLAB PATH_TO_BROKEN_SGEMM_SO
set -uo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB PATH_TO_BROKEN_SGEMM_SO" >&2
  exit 2
fi
reglab=$(realpath "$1")
broken=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A sanitized reglab must accept a library preloaded in front of its runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
passed=0 failed=0
check() {  # check NAME COMMAND...: runs the command, prints ok / not ok
  local name=$1
  shift
  if "$@" > "$tmp/check.log" 2>&1; then
    echo "ok - $name"
    passed=$((passed + 1))
  else
    echo "not ok - $name"
    sed 's/^/    /' "$tmp/check.log"
    failed=$((failed + 1))
  fi
}

cat > "$tmp/run.yaml" <<YAML
name: kernels
seed: 3
data: {dataset: synthetic, train_samples: 600, test_samples: 200, features: 30, classes: 4, noise: 0.3, seed: 1}
model: {name: mlp, hidden: [520, 16]}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 150}
regularizers: [{name: dropout, rate: 0.3}, {name: batch_norm}]
output: $tmp/out.h5
YAML

preferred=$(/usr/bin/python3 - <<'PY'
flags = set()
for line in open("/proc/cpuinfo"):
    if line.startswith("flags"):
        flags = set(line.split(":", 1)[1].split())
        break
if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"} <= flags:
    print("SkylakeX")
elif {"avx2", "fma"} <= flags:
    print("Haswell")
else:
    print("")
PY
)
if [[ "$preferred" == SkylakeX ]]; then fallback=Haswell; else fallback=Prescott; fi

attrs() {  # attrs FILE: prints KEY=VALUE for the run's BLAS attributes
  /usr/bin/python3 - "$1" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    (rid,) = list(f["runs"])
    a = f["runs"][rid].attrs
    for k in ("openblas_coretype", "blas_core", "blas_check", "blas_fingerprint", "blas_refused"):
        print(f"{k}={a[k]}")
PY
}

# a. The preferred core, recorded.
case_a() {
  [[ -n "$preferred" ]] || { echo "no preferred core on this CPU"; return 0; }
  env -u OPENBLAS_CORETYPE -u REGLAB_KEEP_BLAS_CORE "$reglab" run "$tmp/run.yaml" -q \
    output="$tmp/a.h5" || return 1
  attrs "$tmp/a.h5" > "$tmp/a.txt"
  cat "$tmp/a.txt"
  grep -qx "openblas_coretype=$preferred" "$tmp/a.txt" &&
    grep -qx "blas_core=$preferred" "$tmp/a.txt" &&
    grep -q "^blas_check=passed: max relative error" "$tmp/a.txt" &&
    grep -qE "^blas_fingerprint=[0-9a-f]{16}$" "$tmp/a.txt" &&
    grep -qx "blas_refused=none" "$tmp/a.txt"
}
check "a. OPENBLAS_CORETYPE unset: the preferred core ($preferred) runs and is recorded" case_a

# b. The user's value is kept.
case_b() {
  OPENBLAS_CORETYPE=$fallback "$reglab" run "$tmp/run.yaml" -q output="$tmp/b.h5" || return 1
  attrs "$tmp/b.h5" > "$tmp/b.txt"
  grep -qx "openblas_coretype=$fallback" "$tmp/b.txt" && grep -qx "blas_core=$fallback" "$tmp/b.txt"
}
check "b. OPENBLAS_CORETYPE=$fallback set by the user is kept" case_b

# c. Wrong kernels refused, fallback recorded, numbers those of the fallback core.
case_c() {
  [[ -n "$preferred" ]] || { echo "no preferred core on this CPU"; return 0; }
  env -u OPENBLAS_CORETYPE -u REGLAB_KEEP_BLAS_CORE REGLAB_TEST_BROKEN_CORES=$preferred \
    LD_PRELOAD="$broken" "$reglab" run "$tmp/run.yaml" -q output="$tmp/c.h5" 2> "$tmp/c.err" ||
    { cat "$tmp/c.err"; return 1; }
  cat "$tmp/c.err"
  grep -q "OpenBLAS's $preferred kernels failed their check (max relative error" "$tmp/c.err" &&
    grep -q "falling back to $fallback" "$tmp/c.err" || return 1
  attrs "$tmp/c.h5" > "$tmp/c.txt"
  cat "$tmp/c.txt"
  grep -qx "openblas_coretype=$fallback" "$tmp/c.txt" &&
    grep -qE "^blas_refused=$preferred: error [0-9.e+-]+$" "$tmp/c.txt" &&
    grep -q "^blas_check=passed" "$tmp/c.txt" || return 1
  /usr/bin/python3 - "$tmp/b.h5" "$tmp/c.h5" <<'PY'
import sys, h5py
def numbers(path):
    f = h5py.File(path, "r")
    (rid,) = list(f["runs"])
    run = f["runs"][rid]
    out = {"curve " + k: run["curves"][k][:].tobytes() for k in run["curves"] if k != "seconds"}
    run["weights"].visititems(
        lambda n, o: out.__setitem__("weight " + n, o[:].tobytes()) if isinstance(o, h5py.Dataset) else None)
    return out
b, c = numbers(sys.argv[1]), numbers(sys.argv[2])
assert b.keys() == c.keys()
bad = [k for k in b if b[k] != c[k]]
assert not bad, f"differ from the run pinned to the fallback core: {bad}"
print(f"{len(b)} curves and weight arrays equal those of the run pinned to the fallback core")
PY
}
check "c. wrong $preferred kernels are refused, the run falls back to $fallback and records it" case_c

# d. Every core wrong: exit 1, nothing written.
case_d() {
  REGLAB_TEST_BROKEN_CORES='*' LD_PRELOAD="$broken" "$reglab" run "$tmp/run.yaml" -q \
    output="$tmp/d.h5" 2> "$tmp/d.err"
  local code=$?
  cat "$tmp/d.err"
  [[ $code -eq 1 ]] && grep -q "no other kernels are left to try" "$tmp/d.err" && [[ ! -e "$tmp/d.h5" ]]
}
check "d. when every core computes wrong products reglab exits 1 and writes nothing" case_d

# e. Fingerprints: equal for the same core, compared across two names.
case_e() {
  OPENBLAS_CORETYPE=$fallback "$reglab" run "$tmp/run.yaml" -q output="$tmp/e.h5" || return 1
  local fb fe
  fb=$(grep "^blas_fingerprint=" "$tmp/b.txt")
  fe=$(attrs "$tmp/e.h5" | grep "^blas_fingerprint=")
  [[ "$fb" == "$fe" ]] || { echo "same core, fingerprints $fb and $fe"; return 1; }
  if [[ -s "$tmp/a.txt" ]]; then
    local fa
    fa=$(grep "^blas_fingerprint=" "$tmp/a.txt")
    echo "fingerprints: $preferred ${fa#*=}, $fallback ${fb#*=}"
  fi
}
check "e. one core gives one fingerprint" case_e

# f. verify names the kernels when a rerun on other kernels gives other bits.
case_f() {
  [[ -n "$preferred" && -s "$tmp/a.txt" ]] || { echo "no preferred core on this CPU"; return 0; }
  cmp -s <(grep "^blas_fingerprint=" "$tmp/a.txt") <(grep "^blas_fingerprint=" "$tmp/b.txt") &&
    { echo "$preferred and $fallback have one fingerprint here: nothing to tell apart"; return 0; }
  OPENBLAS_CORETYPE=$preferred "$reglab" verify "$tmp/b.h5" > "$tmp/f.txt"
  local code=$?
  cat "$tmp/f.txt"
  [[ $code -eq 5 ]] && grep -q "MISMATCH" "$tmp/f.txt" &&
    grep -q "blas_core differs: stored '$fallback', rerun '$preferred'" "$tmp/f.txt" &&
    grep -q "blas_fingerprint differs" "$tmp/f.txt"
}
check "f. verify on other kernels reports the mismatch and names blas_core and blas_fingerprint" case_f

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
