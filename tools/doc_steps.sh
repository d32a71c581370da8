#!/usr/bin/env bash
# Runs the ```bash blocks of a Markdown page in order, as one script (set -euo pipefail), so the
# commands a page tells a user to type are checked by CI: docs/plugins.md's walkthrough.
#
#   bash tools/doc_steps.sh docs/plugins.md      # REGLAB = this clone, WORK = a new temp folder
#
# Prints each block before running it and the page's total time at the end.
set -euo pipefail
page=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
script="$work/steps.sh"
{
  echo 'set -euo pipefail'
  awk '/^```bash$/ {inside = 1; n++; printf "echo \"== %s, block %d\"\n", FILENAME, n; next}
       /^```$/ && inside {inside = 0; next}
       inside {print}' "$repo/$page"
} > "$script"
blocks=$(grep -c '^```bash$' "$repo/$page")
[ "$blocks" -gt 0 ] || { echo "doc_steps: no bash blocks in $page" >&2; exit 2; }
start=$(date +%s)
(cd "$repo" && REGLAB="$repo" WORK="$work/w" bash "$script")
echo "doc_steps: $page: $blocks blocks passed in $(($(date +%s) - start)) s"
