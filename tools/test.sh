#!/usr/bin/env bash
# reglab's second command: builds the test suite (if needed) and runs every test through ctest:
# doctest unit tests (one ctest entry per test case) and end-to-end runs on Fashion-MNIST checked
# with h5py. Run tools/setup.sh first on a new machine (it installs the packages).
#
# Environment: BUILD_DIR (default build), REGLAB_WERROR=ON to treat warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DREGLAB_BUILD_TESTS=ON \
  -DREGLAB_WERROR="${REGLAB_WERROR:-OFF}" > /dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
