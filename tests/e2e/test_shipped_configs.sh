#!/usr/bin/env bash
# Every configuration reglab ships (configs/, configs/bench/, every study's tiers in
# experiments/) reads, resolves its includes and expands its grid without an error: `reglab
# status` on each must exit 0. Include fragments (configs/models, configs/datasets,
# configs/optimizers, experiments/*/shared-*.yaml) are checked through the configurations that
# include them. Configurations that load a plugin get the given build of it.
#   bash tests/e2e/test_shipped_configs.sh REGLAB DROPCONNECT_PLUGIN
set -euo pipefail
reglab=$1
plugin=$2
cd "$(dirname "$0")/../.."
checked=0
failed=0
for f in configs/*.yaml configs/bench/*.yaml experiments/*/*.yaml; do
  case "$f" in experiments/*/shared-*.yaml) continue ;; esac
  extra=()
  grep -q '^plugins:' "$f" && extra=("plugins=[$plugin]")
  if ! out=$("$reglab" status "$f" "${extra[@]}" 2>&1); then
    echo "test_shipped_configs: $f: $(tail -1 <<< "$out")" >&2
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done
[ "$checked" -ge 30 ] || { echo "test_shipped_configs: only $checked configurations found" >&2; exit 1; }
echo "test_shipped_configs: $checked configurations, $failed failed"
[ "$failed" -eq 0 ]
