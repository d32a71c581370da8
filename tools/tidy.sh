#!/usr/bin/env bash
# clang-tidy with the checks in .clang-tidy (bug-prone patterns, needless copies, a few
# readability rules) on the library's sources, every finding an error. With FILE arguments only
# those; by default every framework/*.cpp (about 2 minutes on 2 cores), which covers any
# change. Needs the build dependencies (tools/setup.sh) and clang-tidy.
#
#   bash tools/tidy.sh [FILE.cpp ...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${TIDY_BUILD_DIR:-build-tidy}
# Configure only: clang-tidy needs the compile commands, not the objects.
cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_BUILD_TYPE=Release \
  -DREGLAB_BUILD_TESTS=OFF -DREGLAB_EXAMPLE_PLUGIN=OFF > /dev/null
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files 'framework/*.cpp')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A file's findings are one write of clang-tidy's output; compile errors show up as "error:" too.
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} clang-tidy -p "$build" --quiet {} \
  > "$log" 2> /dev/null || true
if grep -q 'error:' "$log"; then
  grep -E 'error:' -A3 "$log"
  echo "tidy: $(grep -c 'error:' "$log") findings in ${#files[@]} files (.clang-tidy)"
  exit 1
fi
echo "tidy: ${#files[@]} files clean (.clang-tidy)"
