#!/usr/bin/env bash
# Builds reglab's libFuzzer targets (tests/fuzz, docs/fuzzing.md) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, fuzzes each for SECONDS seconds, one process at a time, starting
# from a copy of its seed corpus (the repository's corpus never grows), then replays the saved
# inputs that once failed (tests/fuzz/regressions/<target>-<name>) through their target.
# Prints executions, speed, coverage and findings per target. Exit code: 0 no finding, 1 a
# finding, 2 no clang or a failed build.
#
#   bash tools/fuzz.sh          60 seconds per target
#   bash tools/fuzz.sh 300      5 minutes per target
#
# Needs clang and libFuzzer (Debian: clang-14 libclang-rt-14-dev). Environment: BUILD_DIR
# (default build-fuzz); JOBS (default 2) compile jobs, under the shared lock
# /tmp/reglab-build.lock. A failing input is kept in BUILD_DIR/artifacts/<target>/; reproduce it
# with BUILD_DIR/<target> FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash tools/fuzz.sh [SECONDS]   (seconds per target, default 60)" >&2
  exit 2
fi
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-2}
targets=(fuzz_config fuzz_idx)

if command -v clang++ > /dev/null; then
  cc=clang cxx=clang++
elif command -v clang++-14 > /dev/null; then
  cc=clang-14 cxx=clang++-14
else
  echo "fuzz: clang not found; install it: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi

# Warnings are the gcc build's business (REGLAB_WERROR there); clang warns on other things.
CC=$cc CXX=$cxx cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGLAB_FUZZ=ON \
  -DREGLAB_BUILD_TESTS=OFF -DREGLAB_WERROR=OFF > /dev/null
flock /tmp/reglab-build.lock cmake --build "$build" --target "${targets[@]}" -j "$jobs" > "$build/fuzz-build.log" 2>&1 ||
  { tail -50 "$build/fuzz-build.log"; echo "fuzz: build failed ($build/fuzz-build.log)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/reglab-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work  # fuzz_config's scratch folder lives here
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:handle_abort=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
common=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1)

final_stat() {  # final_stat NAME LOG: one of libFuzzer's final statistics
  sed -n "s/^stat::$1: *//p" "$2" | tail -1
}

coverage() {  # coverage LOG: edges, features and corpus size from libFuzzer's last status line
  { grep -E '^#[0-9]+' "$1" || true; } | tail -1 |
    sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*corp: \([0-9]*\).*/\1 edges, \2 features, corpus \3/p'
}

failed=0
summary=()
for t in "${targets[@]}"; do
  bin=$PWD/$build/$t
  artifacts=$PWD/$build/artifacts/$t
  # The target's seed corpus (tests/fuzz/corpus/SEEDS) and its own libFuzzer options.
  case $t in
    fuzz_config) seeds=config args=(-max_len=4096 "-dict=$PWD/tests/fuzz/config.dict") ;;
    fuzz_idx) seeds=idx args=(-max_len=4096) ;;
  esac
  mkdir -p "$artifacts" "$work/$t/corpus"
  cp -r "tests/fuzz/corpus/$seeds/." "$work/$t/corpus/"
  log=$work/$t/fuzz.log
  echo "== $t: fuzzing for $seconds s"
  status=0
  # Run from the scratch folder: relative includes that do not resolve beside the input are
  # looked up in the working folder.
  (cd "$work/$t" && "$bin" "${common[@]}" "${args[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$artifacts/" corpus > "$log" 2>&1) || status=$?
  runs=$(final_stat number_of_executed_units "$log")
  speed=$(final_stat average_exec_per_sec "$log")
  rss=$(final_stat peak_rss_mb "$log")
  cov=$(coverage "$log")
  findings=0
  if [ "$status" -ne 0 ]; then
    findings=1
    echo "-- end of the log:"
    tail -40 "$log"
    echo "$t: FINDING (exit $status); the input: $(ls -t "$artifacts" | head -1 | sed "s|^|$artifacts/|")"
    echo "  reproduce: $bin FILE; minimise: $bin -minimize_crash=1 -runs=10000 FILE"
  fi

  # Inputs that once failed.
  regressions=(tests/fuzz/regressions/"$t"-*)
  replayed=0
  if [ -e "${regressions[0]}" ]; then
    replayed=${#regressions[@]}
    if ! "$bin" "${common[@]}" "${regressions[@]}" > "$work/$t/replay.log" 2>&1; then
      findings=$((findings + 1))
      tail -40 "$work/$t/replay.log"
      echo "$t: a saved regression input fails again (tests/fuzz/regressions/$t-*)"
    fi
  fi
  [ "$findings" -eq 0 ] || failed=1
  summary+=("$t: ${runs:-?} executions (${speed:-?} exec/s, peak RSS ${rss:-?} MB), ${cov:-coverage ?}; $replayed regression inputs replayed; findings: $findings")
done

echo "== fuzz summary ($seconds s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
