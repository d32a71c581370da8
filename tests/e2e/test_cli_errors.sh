#!/usr/bin/env bash
# Bad input is rejected before any work: for each bad configuration, override or command line,
# reglab exits with code 2, prints a message naming the file (or the override) and the line where
# there is one, and leaves no results file and no temporary file behind. An existing results file
# is not touched without --overwrite. One valid run (2 epochs of synthetic data) must succeed.
# Usage: bash tests/e2e/test_cli_errors.sh PATH_TO_REGLAB   (from the repository root)
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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out"

passed=0
failed=0

# Writes a valid configuration to $tmp/NAME.yaml with output $out/NAME.h5; sed expressions given
# after NAME edit it (line numbers below refer to this template).
write_config() {
  local name=$1
  shift
  cat > "$tmp/$name.yaml" <<YAML
name: $name
seed: 1
data: {dataset: synthetic, train_samples: 300, test_samples: 100, features: 16, classes: 3}
model: {name: mlp, hidden: [8]}
optimizer: {name: sgd, learning_rate: 0.1}
train: {epochs: 2, batch_size: 32}
regularizers:
  - {name: dropout, rate: 0.5}
output: $out/$name.h5
YAML
  local expr
  for expr in "$@"; do
    sed -i -e "$expr" "$tmp/$name.yaml"
  done
}

# Files reglab must not have left behind: results files and temporaries, anywhere under $tmp.
leftovers() {
  find "$tmp" \( -name '*.h5' -o -name '*.tmp.*' \) -print | grep -v -F -x -f "$tmp/allowed" || true
}
: > "$tmp/allowed"

# expect_error NAME PATTERN... -- ARGS...: reglab ARGS must exit 2, print every (grep -E) PATTERN
# on stderr, and write no file.
expect_error() {
  local name=$1
  shift
  local patterns=()
  while [[ $1 != "--" ]]; do
    patterns+=("$1")
    shift
  done
  shift
  local code=0
  "$reglab" "$@" > "$tmp/stdout" 2> "$tmp/stderr" || code=$?
  local problems=()
  [[ $code -eq 2 ]] || problems+=("exit code $code, expected 2")
  local p
  for p in "${patterns[@]}"; do
    grep -q -E -e "$p" "$tmp/stderr" || problems+=("stderr lacks /$p/")
  done
  local left
  left=$(leftovers)
  [[ -z $left ]] || problems+=("left files behind: $left")
  if [[ ${#problems[@]} -eq 0 ]]; then
    echo "ok - $name"
    passed=$((passed + 1))
  else
    echo "not ok - $name"
    for p in "${problems[@]}"; do echo "#   $p"; done
    sed 's/^/#   stderr: /' "$tmp/stderr"
    failed=$((failed + 1))
  fi
  find "$tmp" \( -name '*.h5' -o -name '*.tmp.*' \) -print | grep -v -F -x -f "$tmp/allowed" |
    xargs -r rm -f
}

# Escapes a path for use in an extended regular expression.
re() { printf '%s' "$1" | sed 's/[][\\.*^$(){}+?|]/\\&/g'; }

# 1. YAML syntax error: an unclosed flow map on line 6.
write_config syntax 's/^train: {epochs: 2, batch_size: 32}$/train: {epochs: 2, batch_size: 32/'
# yaml-cpp notices it at the next line.
expect_error "YAML syntax error" "$(re "$tmp/syntax.yaml"):(6|7):[0-9]+" "YAML syntax error" \
  -- run "$tmp/syntax.yaml"

# 2. Unknown top-level key on line 10.
write_config unknown_key '$a epochz: 3'
expect_error "unknown top-level key" "$(re "$tmp/unknown_key.yaml"):10:[0-9]+" "epochz" \
  "known keys" -- run "$tmp/unknown_key.yaml"

# 3. Unknown regularizer on line 8.
write_config unknown_reg 's/name: dropout/name: dropconnect/'
expect_error "unknown regularizer" "$(re "$tmp/unknown_reg.yaml"):8:[0-9]+" \
  "regularizers\[0\]\.name" "dropconnect" "max_norm" -- run "$tmp/unknown_reg.yaml"

# 4. Dropout rate out of range on line 8.
write_config bad_rate 's/rate: 0.5/rate: 1.5/'
expect_error "bad dropout rate" "$(re "$tmp/bad_rate.yaml"):8:[0-9]+" "regularizers\[0\]\.rate" \
  "1\.5" -- run "$tmp/bad_rate.yaml"

# 5. A string where a number is expected, on line 5.
write_config string_number 's/learning_rate: 0.1/learning_rate: fast/'
expect_error "string for a number" "$(re "$tmp/string_number.yaml"):5:[0-9]+" \
  "optimizer\.learning_rate" "fast" -- run "$tmp/string_number.yaml"

# 6. No output key.
write_config missing_output '/^output:/d'
expect_error "missing output" "$(re "$tmp/missing_output.yaml")" "output" -- \
  run "$tmp/missing_output.yaml"

# 7. Unknown dataset on line 3.
write_config unknown_dataset 's/dataset: synthetic/dataset: svhn/'
expect_error "unknown dataset" "$(re "$tmp/unknown_dataset.yaml"):3:[0-9]+" "data\.dataset" \
  "svhn" "cifar10" -- run "$tmp/unknown_dataset.yaml"

# 8. Unknown key of the dataset on line 3.
write_config dataset_key 's/train_samples:/train_samplez:/'
expect_error "unknown dataset key" "$(re "$tmp/dataset_key.yaml"):3:[0-9]+" \
  "data\.train_samplez" "train_samples" -- run "$tmp/dataset_key.yaml"

# 9. An override with a bad value names the override.
write_config override_value
expect_error "bad override value" "command-line override 'optimizer\.learning_rate=-1'" \
  "optimizer\.learning_rate" -- run "$tmp/override_value.yaml" optimizer.learning_rate=-1

# 10. An override without '='.
write_config override_syntax
expect_error "override without '='" "command-line override 'train\.epochs'" "KEY\.PATH=VALUE" \
  -- run "$tmp/override_syntax.yaml" train.epochs

# 11. An override indexing past the end of a list.
write_config override_index
expect_error "override index out of range" "command-line override 'regularizers\[3\]\.rate=0\.1'" \
  -- run "$tmp/override_index.yaml" 'regularizers[3].rate=0.1'

# 12. A configuration file that does not exist.
expect_error "missing config file" "$(re "$tmp/no_such.yaml")" -- run "$tmp/no_such.yaml"

# 13. An unknown command.
expect_error "unknown command" "unknown command 'frobnicate'" -- frobnicate

# 14. An unknown option.
write_config unknown_option
expect_error "unknown option" "frobnicate" -- run "$tmp/unknown_option.yaml" --frobnicate

# 15. `run` without a configuration.
expect_error "run without config" "CONFIG" -- run

# 16. Epochs 0 on line 6.
write_config epochs_zero 's/epochs: 2/epochs: 0/'
expect_error "epochs 0" "$(re "$tmp/epochs_zero.yaml"):6:[0-9]+" "train\.epochs" -- \
  run "$tmp/epochs_zero.yaml"

# 17. A valid run writes its results file (and nothing else) and exits 0.
write_config valid
code=0
"$reglab" run "$tmp/valid.yaml" -q > "$tmp/stdout" 2> "$tmp/stderr" || code=$?
temporaries=$(find "$tmp" -name '*.tmp.*' -print)
if [[ $code -eq 0 && -s "$out/valid.h5" && -z $temporaries ]] &&
   grep -q "valid.h5" "$tmp/stdout"; then
  echo "ok - valid run"
  passed=$((passed + 1))
else
  echo "not ok - valid run"
  echo "#   exit code $code; files: $(find "$tmp" -name '*.h5' -o -name '*.tmp.*' | tr '\n' ' ')"
  sed 's/^/#   stderr: /' "$tmp/stderr"
  failed=$((failed + 1))
fi
echo "$out/valid.h5" >> "$tmp/allowed"

# 18. The existing results file is refused without --overwrite and left byte for byte unchanged.
if [[ -f "$out/valid.h5" ]]; then
  before=$(sha256sum < "$out/valid.h5")
  cp -p "$out/valid.h5" "$tmp/valid.copy"
  expect_error "existing output without --overwrite" "$(re "$out/valid.h5")" "exists" "--overwrite" \
    -- run "$tmp/valid.yaml" -q
  after=$(sha256sum < "$out/valid.h5")
  if [[ $before == "$after" ]] && cmp -s "$out/valid.h5" "$tmp/valid.copy"; then
    echo "ok - existing output unchanged"
    passed=$((passed + 1))
  else
    echo "not ok - existing output unchanged"
    failed=$((failed + 1))
  fi
  # Even when the run itself is also invalid (checked first or not), the file stays.
  expect_error "existing output with a bad override" "command-line override" -- \
    run "$tmp/valid.yaml" -q optimizer.learning_rate=abc
  [[ $(sha256sum < "$out/valid.h5") == "$before" ]] || {
    echo "not ok - existing output unchanged after a bad override"
    failed=$((failed + 1))
  }
else
  echo "not ok - existing output without --overwrite (no file from the valid run)"
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
