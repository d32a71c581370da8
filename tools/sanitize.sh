#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer and UndefinedBehaviorSanitizer
# (-fno-sanitize-recover=all: the first finding fails the run) and runs it through ctest. The
# example plugin is built once, by the main build (tools/test.sh), not here.
# Environment: BUILD_DIR (default build-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGLAB_SANITIZE=ON -DREGLAB_EXAMPLE_PLUGIN=OFF \
  -DREGLAB_WERROR="${REGLAB_WERROR:-OFF}" > /dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)" "$@"
