#!/usr/bin/env bash
# Shared-object plugins end to end (docs/plugins.md): the example DropConnect plugin loaded from a
# sweep's `plugins:` list with --jobs 2, its arm in /summary and in `reglab report`, `reglab list`
# naming its file, `reglab verify` refusing to run without it and identical with it, and a changed
# plugin file making new cell ids and refused on the old sweep folder; bad plugins (missing file,
# not a shared object, missing symbol, another ABI version, a clashing name, a throwing
# registration) refused with exit 2 and nothing written; a plugin that crashes fails its cell
# while the other cells finish.
# Usage: bash tests/e2e/test_plugins.sh REGLAB TEST_PLUGIN_DIR [DROPCONNECT_SO]
set -uo pipefail
reglab=$(realpath "$1")
bad_dir=$(realpath "$2")
dropconnect=${3:-}
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

write_sweep() {  # write_sweep FILE OUTPUT PLUGIN_LINE REGULARIZER_ARM
  cat > "$1" << YAML
name: plugin-sweep
$3
data: {dataset: synthetic, train_samples: 600, test_samples: 300, features: 32, classes: 4, noise: 0.45}
model: {name: mlp, hidden: [48]}
optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
train: {epochs: 3, batch_size: 50}
output: $2
grid:
  regularizers: [[], [{name: dropout, rate: 0.3}], [$4]]
seeds: 2
YAML
}

# --- bad plugins: exit 2, the file named, nothing written --------------------------------------
printf 'not an ELF file\n' > "$tmp/text.so"
printf 'int unrelated(void) { return 1; }\n' > "$tmp/nosym.c"
printf 'int reglab_plugin_abi_version(void) { return 999; }\nvoid reglab_plugin_register(void* r) { (void)r; }\n' > "$tmp/abi.c"
cc -shared -fPIC -o "$tmp/nosym.so" "$tmp/nosym.c" && cc -shared -fPIC -o "$tmp/abi.so" "$tmp/abi.c"
declare -A want=(
  [missing]="no such file"
  [text]="cannot load it as a shared object"
  [nosym]="missing symbol 'reglab_plugin_abi_version'"
  [abi]="built against plugin ABI version 999, this reglab has ABI version"
  [clash]="name 'dropout' is already registered (built-in)"
  [throws]="its registration failed: this plugin refuses to register"
)
declare -A path=(
  [missing]="$tmp/absent.so" [text]="$tmp/text.so" [nosym]="$tmp/nosym.so" [abi]="$tmp/abi.so"
  [clash]="$bad_dir/libclash.so" [throws]="$bad_dir/libthrows.so"
)
for k in missing text nosym abi clash throws; do
  write_sweep "$tmp/bad-$k.yaml" "$tmp/bad-$k/out.h5" "plugins: ['${path[$k]}']" "{name: l2, lambda: 0.001}"
  "$reglab" run "$tmp/bad-$k.yaml" > "$tmp/bad-$k.log" 2>&1
  rc=$?
  if [[ $rc == 2 ]] && grep -qF "${want[$k]}" "$tmp/bad-$k.log" && grep -qF "${path[$k]}" "$tmp/bad-$k.log" \
    && [[ ! -e "$tmp/bad-$k" ]]; then
    ok "bad plugin ($k): exit 2, names the file, writes nothing"
  else
    not_ok "bad plugin ($k): exit 2, names the file, writes nothing" "exit $rc" "$(cat "$tmp/bad-$k.log")"
  fi
done
"$reglab" list --plugin "$bad_dir/libclash.so" > "$tmp/list-clash.log" 2>&1
expect_rc "a clashing plugin is refused by reglab list too" 2 $? "$tmp/list-clash.log"
"$reglab" run "$tmp/bad-missing.yaml" --plugin "$tmp/absent2.so" > "$tmp/cli-missing.log" 2>&1
expect_rc "--plugin with a missing file: exit 2" 2 $? "$tmp/cli-missing.log"
write_sweep "$tmp/bad-type.yaml" "$tmp/bad-type/out.h5" "plugins: libx.so" "{name: l2, lambda: 0.001}"
"$reglab" run "$tmp/bad-type.yaml" > "$tmp/bad-type.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -qE 'bad-type.yaml:2:[0-9]+: plugins: expected a list' "$tmp/bad-type.log"; then
  ok "plugins: that is not a list names file, line and key"
else
  not_ok "plugins: that is not a list names file, line and key" "exit $rc" "$(cat "$tmp/bad-type.log")"
fi

# --- a crashing plugin fails its cell; the others finish ---------------------------------------
mkdir -p "$tmp/crash/plug" && cp "$bad_dir/libcrash.so" "$tmp/crash/plug/"
write_sweep "$tmp/crash/sweep.yaml" "$tmp/crash/out.h5" "plugins: [plug/libcrash.so]" "{name: crash, at_step: 5}"
"$reglab" run "$tmp/crash/sweep.yaml" --jobs 2 > "$tmp/crash.log" 2>&1
rc=$?
expect_rc "a sweep with a crashing plugin cell exits 4 (cells failed)" 4 $rc "$tmp/crash.log"
n_ok=$(ls "$tmp/crash/out.cells"/*.h5 2> /dev/null | wc -l)
n_failed=$(ls "$tmp/crash/out.cells"/*.failed 2> /dev/null | wc -l)
if [[ $n_ok == 4 && $n_failed == 2 ]]; then
  ok "the crashing arm's 2 cells are recorded as failed, the other 4 finished"
else
  not_ok "the crashing arm's 2 cells are recorded as failed, the other 4 finished" \
    "cell files $n_ok, failed markers $n_failed" "$(tail -n 20 "$tmp/crash.log")"
fi

# --- the example plugin: DropConnect from YAML ---------------------------------------------------
if [[ -z "$dropconnect" ]]; then
  echo "# the example plugin was not built (REGLAB_EXAMPLE_PLUGIN=OFF): its checks are skipped"
  finish
  exit $?
fi
mkdir -p "$tmp/dc/plug" && cp "$dropconnect" "$tmp/dc/plug/libdropconnect.so"
write_sweep "$tmp/dc/sweep.yaml" "$tmp/dc/out.h5" "plugins: [plug/libdropconnect.so]" "{name: dropconnect, rate: 0.3}"
(cd "$tmp" && "$reglab" run dc/sweep.yaml --jobs 2 > "$tmp/dc.log" 2>&1)
expect_rc "a sweep loads the plugin from its YAML (relative path) and runs with --jobs 2" 0 $? "$tmp/dc.log"
check "/summary has the dropconnect arm with 2 complete seeds" "$py" - "$tmp/dc/out.h5" << 'PY'
import sys, pandas as pd, h5py
with h5py.File(sys.argv[1], "r") as f:
    s = pd.DataFrame(f["summary"][()])
s = s.apply(lambda c: c.str.decode("utf-8") if c.dtype == object else c)
arm = s[s["regularizers"] == "dropconnect"]
assert len(arm) == 2 and set(arm["status"]) == {"complete"}, s
assert (arm["final_test_accuracy"] > 0.5).all(), arm
PY
"$reglab" report "$tmp/dc/out.h5" > "$tmp/report.log" 2>&1
expect_rc "reglab report reads the sweep" 0 $? "$tmp/report.log"
expect_in "reglab report shows the plugin's arm" "dropconnect vs none:" "$tmp/report.log"
check "the runs record the plugin's path, SHA-256, name and version" "$py" - "$tmp/dc/out.h5" "$tmp/dc/plug/libdropconnect.so" << 'PY'
import sys, hashlib, h5py
sha = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
with h5py.File(sys.argv[1], "r") as f:
    for run in f["runs"].values():
        rec = run.attrs["plugins"]
        rec = rec.decode() if isinstance(rec, bytes) else rec
        assert rec.startswith(sha + " dropconnect 1.0.0 /"), rec
PY
"$reglab" list --plugin "$tmp/dc/plug/libdropconnect.so" > "$tmp/list.log" 2>&1
expect_in "reglab list names the plugin file as the entry's origin" "from plugin $tmp/dc/plug/libdropconnect.so" "$tmp/list.log"
"$reglab" verify "$tmp/dc/out.h5" > "$tmp/verify-none.log" 2>&1
rc=$?
if [[ $rc == 2 ]] && grep -qF "pass its file with --plugin" "$tmp/verify-none.log"; then
  ok "verify without --plugin refuses (a results file never loads code)"
else
  not_ok "verify without --plugin refuses (a results file never loads code)" "exit $rc" "$(cat "$tmp/verify-none.log")"
fi
"$reglab" verify "$tmp/dc/out.h5" --plugin "$tmp/dc/plug/libdropconnect.so" > "$tmp/verify.log" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -qF "verify: 6 of 6 runs identical" "$tmp/verify.log"; then
  ok "verify --plugin reruns every cell bitwise identical"
else
  not_ok "verify --plugin reruns every cell bitwise identical" "exit $rc" "$(tail -n 20 "$tmp/verify.log")"
fi
# A different file (one byte appended: a changed build) is a different plugin.
cp "$tmp/dc/plug/libdropconnect.so" "$tmp/changed.so" && printf '\0' >> "$tmp/changed.so"
"$reglab" verify "$tmp/dc/out.h5" --plugin "$tmp/changed.so" > "$tmp/verify-changed.log" 2>&1
expect_rc "verify refuses a plugin file whose SHA-256 differs from the recorded one" 2 $? "$tmp/verify-changed.log"
before=$("$reglab" status "$tmp/dc/sweep.yaml" | awk 'NR > 1 && /dropconnect/ {print $1}' | sort | tr '\n' ' ')
cp "$tmp/changed.so" "$tmp/dc/plug/libdropconnect.so"
after=$("$reglab" status "$tmp/dc/sweep.yaml" 2> /dev/null | awk 'NR > 1 && /dropconnect/ {print $1}' | sort | tr '\n' ' ')
if [[ -n "$before" && -n "$after" && "$before" != "$after" ]]; then
  ok "a changed plugin file gives new cell ids ($before-> $after)"
else
  not_ok "a changed plugin file gives new cell ids" "before '$before' after '$after'"
fi
(cd "$tmp" && "$reglab" run dc/sweep.yaml > "$tmp/dc-changed.log" 2>&1)
rc=$?
if [[ $rc == 2 ]] && grep -qF "# plugin dropconnect 1.0.0" "$tmp/dc-changed.log"; then
  ok "the old sweep folder refuses the changed plugin and names it"
else
  not_ok "the old sweep folder refuses the changed plugin and names it" "exit $rc" "$(cat "$tmp/dc-changed.log")"
fi
finish
