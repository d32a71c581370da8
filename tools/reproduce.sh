#!/usr/bin/env bash
# Runs the published-comparison studies in experiments/ and checks their claims.
#
# Usage: bash tools/reproduce.sh [--tier smoke|medium|full] [--jobs N] [--mnist DIR] [--cifar10 DIR]
#                               [NAME...]
#
#   --tier T     smoke (default): scaled to minutes on Fashion-MNIST; medium: at most an hour on 2
#                cores (studies that have one); full: the papers' setups
#   --jobs N     sweep cells run at once (default 2)
#   --mnist DIR  folder of the MNIST IDX files, passed as data.path=DIR to every configuration
#                of the tier that reads MNIST itself or through an included file (the full tier
#                of the 2014 dropout studies, of wan2013 and of the batch-norm study); without it
#                those configurations fail with a data error
#   --cifar10 DIR  folder of the CIFAR-10 binary files, passed as data.path=DIR to every
#                configuration of the tier that reads CIFAR-10 itself or through an included
#                file (srivastava2014-cifar10 full.yaml, zhang2017-random-labels full-cifar10.yaml)
#   NAME...      study folders under experiments/ (default: all of them)
#
# For each study it runs `build/reglab run experiments/NAME/T.yaml --jobs N` and every
# experiments/NAME/T-*.yaml (results under results/experiments/NAME/T/, as each file's `output`
# says; finished cells are kept, so a rerun only runs what is missing), then
# `/usr/bin/python3 experiments/NAME/check.py --tier T`. It prints each study's wall time and
# verdict and ends with `N passed, M failed`, after one line per claim that a study's check.py
# reports as REPRODUCED, DIFFERS (an honest disagreement with the paper: not a failure) or SANITY.
# A study without a configuration of the tier is skipped. A run whose cells diverged (reglab's
# exit code 3) still goes to check.py, whose SANITY check says whether the divergence breaks the
# study (srivastava2014-table9's medium tier chooses a learning rate per method on validation,
# and a setting with a diverged cell is never chosen). Exit code: 0 all passed, 1 a study
# failed (a run, or a claim check.py counts as failed), 2 bad usage.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2
tier=smoke
jobs=2
mnist=""
cifar10=""
studies=()
usage() { sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --tier) [ $# -ge 2 ] || usage; tier=$2; shift 2 ;;
    --tier=*) tier=${1#--tier=}; shift ;;
    --jobs|-j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    --mnist) [ $# -ge 2 ] || usage; mnist=$2; shift 2 ;;
    --mnist=*) mnist=${1#--mnist=}; shift ;;
    --cifar10) [ $# -ge 2 ] || usage; cifar10=$2; shift 2 ;;
    --cifar10=*) cifar10=${1#--cifar10=}; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "reproduce: unknown option $1" >&2; usage ;;
    *) studies+=("${1%/}"); shift ;;
  esac
done
case "$tier" in smoke|medium|full) ;; *) echo "reproduce: --tier must be smoke, medium or full" >&2; exit 2 ;; esac
case "$jobs" in
  ''|*[!0-9]*|0) echo "reproduce: --jobs must be a positive integer" >&2; exit 2 ;;
esac

reglab=build/reglab
python=/usr/bin/python3
if [ ! -x "$reglab" ]; then
  echo "reproduce: $reglab not found: build first (bash tools/setup.sh --no-run)" >&2
  exit 2
fi
if [ ${#studies[@]} -eq 0 ]; then
  for d in experiments/*/; do
    [ -f "$d/check.py" ] && studies+=("$(basename "$d")")
  done
fi
for s in "${studies[@]}"; do
  s=${s#experiments/}
  if [ ! -f "experiments/$s/check.py" ]; then
    echo "reproduce: no study experiments/$s (with a check.py)" >&2
    exit 2
  fi
done

# reads_dataset NAME CONFIG: CONFIG, or a file it includes (a *.yaml path on an `include:` line,
# flow style, or on a block list line; relative to CONFIG's folder), sets `dataset: NAME`.
reads_dataset() {
  local name=$1 config=$2 dir inc
  dir=$(dirname "$config")
  grep -Eq "^[[:space:]]*(data:.*[{,][[:space:]]*)?dataset:[[:space:]]*$name([[:space:]]|,|}|$)" \
    "$config" && return 0
  while IFS= read -r inc; do
    [ -f "$dir/$inc" ] && reads_dataset "$name" "$dir/$inc" && return 0
  done < <(grep -E '^[[:space:]]*(include:|-[[:space:]]*[^[:space:]#]+\.yaml[[:space:]]*$)' "$config" |
             grep -oE '[^][[:space:],"#]+\.yaml')
  return 1
}

passed=0
failed=0
failed_names=()
summary=()
summary_claims=()
claims_log=$(mktemp)
trap 'rm -f "$claims_log"' EXIT
total_start=$(date +%s)
for s in "${studies[@]}"; do
  s=${s#experiments/}
  dir=experiments/$s
  configs=()
  [ -f "$dir/$tier.yaml" ] && configs+=("$dir/$tier.yaml")
  for f in "$dir/$tier"-*.yaml; do [ -f "$f" ] && configs+=("$f"); done
  echo "=== $s ($tier tier: ${configs[*]:-no configuration})"
  if [ ${#configs[@]} -eq 0 ]; then
    summary+=("$(printf '%-36s %s %6d s' "$s" "SKIP (no $tier tier)" 0)")
    continue
  fi
  start=$(date +%s)
  ok=1
  for c in "${configs[@]}"; do
    overrides=()
    if [ -n "$mnist" ] && reads_dataset mnist "$c"; then
      overrides+=("data.path=$mnist")
    fi
    if [ -n "$cifar10" ] && reads_dataset cifar10 "$c"; then
      overrides+=("data.path=$cifar10")
    fi
    echo "--- $reglab run $c ${overrides[*]:+${overrides[*]} }--jobs $jobs"
    "$reglab" run "$c" ${overrides[@]+"${overrides[@]}"} --jobs "$jobs"
    rc=$?
    if [ $rc -eq 3 ]; then
      # Diverged cells are a result (a learning rate too large for a method, say): the study's
      # check.py decides whether the run is still sound (its SANITY check) or not.
      echo "reproduce: $c: some cells diverged; check.py judges whether that breaks the study"
    elif [ $rc -ne 0 ]; then
      echo "reproduce: $c: reglab run failed (exit code $rc)" >&2
      ok=0
    fi
  done
  if [ $ok -eq 1 ]; then
    echo "--- $python $dir/check.py --tier $tier"
    "$python" "$dir/check.py" --tier "$tier" > >(tee "$claims_log") || ok=0
    wait
    while IFS= read -r claim; do summary_claims+=("$s: ${claim#"${claim%%[! ]*}"}"); done \
      < <(grep -E '^  (REPRODUCED|DIFFERS|SANITY) ' "$claims_log")
  fi
  secs=$(( $(date +%s) - start ))
  if [ $ok -eq 1 ]; then
    passed=$((passed + 1)); verdict=PASS
  else
    failed=$((failed + 1)); verdict=FAIL; failed_names+=("$s")
  fi
  line=$(printf '%-36s %s %6d s' "$s" "$verdict" "$secs")
  summary+=("$line")
  echo "=== $line"
done

total=$(( $(date +%s) - total_start ))
echo
echo "study                                verdict  wall"
for line in "${summary[@]}"; do echo "$line"; done
printf 'total wall time %d s (%d min %02d s), tier %s, --jobs %s\n' \
  "$total" $((total / 60)) $((total % 60)) "$tier" "$jobs"
if [ ${#summary_claims[@]} -gt 0 ]; then
  echo
  echo "claims (REPRODUCED / DIFFERS: the paper's claim against thresholds fixed before the run;"
  echo "SANITY: holds by construction):"
  for line in "${summary_claims[@]}"; do echo "  $line"; done
fi
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
