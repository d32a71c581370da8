#!/usr/bin/env bash
# The bad-input corpus (tests/corpus/bad/cases.tsv): broken YAML, wrong types, unknown keys and
# plugins, out-of-range and non-finite values, empty and huge grids, bad includes, truncated and
# corrupted IDX files, foreign, truncated and newer-format HDF5 files given to every command.
# For each case reglab must
#   - exit with code exactly 2 within 60 s,
#   - print every expected substring of the case on stderr (file, line, key path, ...),
#   - show no sign of a crash (sanitizer report, "terminate called", segmentation fault, internal
#     error),
#   - leave every file under the test's folder as it was (no results file, no temporary file, no
#     cell folder, nothing in the working folder) and not create the `output:` location,
#   - leave no /tmp/reglab-verify-* folder behind.
# Prints "PASS name" or "FAIL name" (with the reasons and stderr) per case and ends with
# "N passed, M failed"; exits 1 if any case failed.
# Usage: bash tests/e2e/test_bad_inputs.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB" >&2
  exit 2
fi
reglab=$(realpath "$1")
if [[ ! -x "$reglab" ]]; then
  echo "not an executable: $1" >&2
  exit 2
fi
py=/usr/bin/python3
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

corpus="$tmp/corpus/bad"  # @CORPUS@
setup="$tmp/corpus/setup" # @SETUP@
gen="$tmp/gen"            # @GEN@: files made below, before the cases
out="$tmp/out"            # @OUT@: must never be created
valid="$tmp/valid"        # @VALID@: output of the valid IDX run
work="$tmp/work"          # the working folder of every case
logs="$tmp/logs"          # captured output (not part of the snapshot)
mkdir -p "$gen" "$valid" "$work" "$logs"
cp -r "$root/tests/corpus" "$tmp/corpus"
# Data paths in a configuration are relative to the working folder (includes are relative to the
# including file), so the corpus names its IDX files with @CORPUS@ and this copy makes them
# absolute.
find "$tmp/corpus" -type f -name '*.yaml' -exec sed -i -e "s#@CORPUS@#$corpus#g" \
  -e "s#@SETUP@#$setup#g" -e "s#@GEN@#$gen#g" -e "s#@OUT@#$out#g" -e "s#@VALID@#$valid#g" {} +

passed=0
failed=0
pass() {
  echo "PASS $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL $1"
  failed=$((failed + 1))
  shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/    /'; done
}

# --- setup: valid runs the HDF5 cases are derived from -----------------------------------------
setup_ok=1
for name in setup_run setup_sweep merge_newer merge_foreign run_foreign; do
  if ! (cd "$work" && "$reglab" run "$setup/$name.yaml" -q --jobs 2 > "$logs/setup.out" 2>&1); then
    fail "setup: $name.yaml runs" "$(tail -n 20 "$logs/setup.out")"
    setup_ok=0
  fi
done
if ((setup_ok)) &&
  $py "$tmp/corpus/make_corpus.py" h5 "$gen" "$gen/run.h5" "$gen/setup_sweep.h5" > "$logs/setup.out" 2>&1 &&
  cells=("$gen"/merge_newer.cells/*.h5) &&
  $py "$tmp/corpus/make_corpus.py" bump "${cells[0]}" >> "$logs/setup.out" 2>&1 &&
  cp "$gen/foreign.h5" "$gen/merge_foreign.h5" && cp "$gen/foreign.h5" "$gen/run_foreign.h5"; then
  pass "setup: results files for the HDF5 cases"
else
  fail "setup: results files for the HDF5 cases" "$(cat "$logs/setup.out")"
fi
# The valid IDX set runs, so each idx_* case fails because of its one broken file.
if (cd "$work" && "$reglab" run "$setup/idx_valid.yaml" -q > "$logs/setup.out" 2>&1) &&
  [[ -f "$valid/idx_valid.h5" ]]; then
  pass "setup: the valid IDX set trains"
else
  fail "setup: the valid IDX set trains" "$(cat "$logs/setup.out")"
fi

# Every configuration in the corpus is used by a case (directly or as an included piece).
unused=()
for f in "$root"/tests/corpus/bad/*.yaml; do
  base=$(basename "$f")
  grep -qF -- "$base" "$root/tests/corpus/bad/cases.tsv" ||
    grep -qF -- "$base" "$root"/tests/corpus/bad/*.yaml 2> /dev/null ||
    unused+=("$base")
done
if [[ ${#unused[@]} -eq 0 ]]; then
  pass "every corpus file is used by a case"
else
  fail "every corpus file is used by a case" "unused: ${unused[*]}"
fi

# --- the cases --------------------------------------------------------------------------------
# Every file under $tmp (but the logs) with size, mtime and inode; folders by name and type
# only: their entries are listed, so a file left behind still shows, but a merge that streams into
# a temporary file and removes it when a cell file turns out unreadable changes its folder's
# mtime without leaving anything.
# A sweep's lock file (<cells>/.lock) holds the pid of the last reglab that locked it: rewriting
# it is not writing a result, so it is left out.
snapshot() {
  find "$tmp" -path "$logs" -prune -o -name .lock -prune -o -type d -printf '%p %y\n' \
    -o -printf '%p %y %s %T@ %i\n' | sort
}
verify_dirs() { find /tmp -maxdepth 1 -name 'reglab-verify-*' -print 2> /dev/null | sort; }
crash_re='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|terminate called|Segmentation|core dumped|Aborted|internal error'

subst() {
  local s=$1
  s=${s//@CORPUS@/$corpus}
  s=${s//@SETUP@/$setup}
  s=${s//@GEN@/$gen}
  s=${s//@OUT@/$out}
  printf '%s' "$s"
}

cases=0
while IFS=$'\t' read -r -a fields; do
  [[ ${#fields[@]} -eq 0 || ${fields[0]} == \#* ]] && continue
  name=${fields[0]}
  command=${fields[1]}
  read -r -a args <<< "$(subst "${fields[2]}")"
  expects=("${fields[@]:3}")
  cases=$((cases + 1))

  snapshot > "$logs/before"
  verify_dirs > "$logs/vbefore"
  start=$EPOCHREALTIME
  (cd "$work" && exec timeout -k 5 60 "$reglab" "$command" "${args[@]}") \
    > "$logs/stdout" 2> "$logs/stderr" < /dev/null
  code=$?
  seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')

  problems=()
  if [[ $code -eq 124 || $code -eq 137 ]]; then
    problems+=("timed out after 60 s")
  elif [[ $code -ne 2 ]]; then
    problems+=("exit code $code, expected 2")
  fi
  for e in "${expects[@]}"; do
    e=$(subst "$e")
    grep -qF -- "$e" "$logs/stderr" || problems+=("stderr lacks '$e'")
  done
  if grep -qE "$crash_re" "$logs/stderr" "$logs/stdout"; then
    problems+=("crash report: $(grep -hE "$crash_re" "$logs/stderr" "$logs/stdout" | head -n 2)")
  fi
  [[ -e "$out" ]] && problems+=("created the output location $out: $(find "$out" | head -n 5 | tr '\n' ' ')")
  snapshot > "$logs/after"
  if ! cmp -s "$logs/before" "$logs/after"; then
    problems+=("files changed: $(diff "$logs/before" "$logs/after" | grep '^[<>]' | head -n 6 | tr '\n' ';')")
  fi
  new_dirs=$(verify_dirs | comm -13 "$logs/vbefore" -)
  if [[ -n "$new_dirs" ]]; then
    # Another test may be running `reglab verify` at the same time; its folder goes when it ends.
    for _ in $(seq 120); do
      pgrep -f 'reglab verify' > /dev/null || break
      sleep 0.5
    done
    left=()
    while read -r d; do [[ -e "$d" ]] && left+=("$d"); done <<< "$new_dirs"
    if [[ ${#left[@]} -gt 0 ]]; then
      problems+=("left temporary folders behind: ${left[*]}")
      rm -rf "${left[@]}"
    fi
  fi
  rm -rf "$out"
  if [[ ${#problems[@]} -eq 0 ]]; then
    pass "$name ($seconds s)"
  else
    fail "$name: reglab $command ${fields[2]}" "${problems[@]}" "stderr: $(head -c 1500 "$logs/stderr")"
  fi
done < "$tmp/corpus/bad/cases.tsv"

if ((cases >= 40)); then
  pass "corpus has $cases cases (>= 40)"
else
  fail "corpus has at least 40 cases" "only $cases"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
