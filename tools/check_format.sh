#!/usr/bin/env bash
# Fails if any C++ file differs from .clang-format (Google base, 100 columns).
# Usage: bash tools/check_format.sh        (run from anywhere; needs clang-format)
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp')
if ! clang-format --dry-run --Werror $files; then
  echo "format check: files above differ from .clang-format; run: clang-format -i \$(git ls-files '*.cpp' '*.hpp')"
  exit 1
fi
echo "format check: $(echo "$files" | wc -w) files clean"
