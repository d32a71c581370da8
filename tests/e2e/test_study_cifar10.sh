#!/usr/bin/env bash
# End-to-end: the studies' CIFAR-10 configurations run on a tiny CIFAR-10 folder written here in
# the binary format (tests/support/write_cifar10.py: 5 training files of 40 records, a test file
# of 100), shortened to 2 epochs, and their checks read the results. Checks:
#  - experiments/zhang2017-random-labels/full-cifar10.yaml (Table 1's MLP rows) runs its 12
#    cells; check.py --tier full with only that file's results prints the CIFAR-10 table with
#    the paper's figures and judges S5 (SANITY or FAIL, and exit 1 exactly when a check FAILs),
#    C5 and C6 (REPRODUCED or DIFFERS); the other configurations of the tier, not run, are
#    skipped;
#  - tools/reproduce.sh passes --cifar10 DIR as data.path to a configuration whose include
#    reads CIFAR-10 (srivastava2014-cifar10 full.yaml via configs/cifar10-cnn.yaml) and not to
#    one that does not; without --cifar10 that configuration fails with a data error naming it;
#    and --mnist DIR to configurations that read MNIST through a flow-style include
#    (srivastava2014-table9 full-*.yaml via shared-full.yaml) or inline (wan2013 full.yaml).
# Each check prints "ok - NAME" or "not ok - NAME"; the script ends with "N passed, M failed".
# Usage: bash tests/e2e/test_study_cifar10.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB" >&2
  exit 2
fi
reglab=$(realpath "$1")
py=/usr/bin/python3
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$(dirname "$0")/lib.sh"

data="$tmp/cifar10"
$py "$root/tests/support/write_cifar10.py" "$data" 40 100

# --- Zhang et al. 2017, Table 1's MLP rows ------------------------------------------------------
study=experiments/zhang2017-random-labels
"$reglab" run "$study/full-cifar10.yaml" "data.path=$data" train.epochs=2 \
  "output=$tmp/zhang/cifar10.h5" --jobs 2 -q > "$tmp/run.log" 2>&1
expect_rc "zhang full-cifar10.yaml runs on CIFAR-10 files" 0 $? "$tmp/run.log"
"$reglab" status "$tmp/zhang/cifar10.h5" > "$tmp/status.log" 2>&1
expect_in "all 12 cells complete" "12 complete" "$tmp/status.log"
$py "$study/check.py" --tier full --results "$tmp/none.h5" "$tmp/zhang/cifar10.h5" \
  "$tmp/none.h5" "$tmp/none.h5" > "$tmp/check.log" 2>&1
rc=$?
# On this tiny set of ten well-separated clusters a network trained on random labels predicts
# each cluster's most frequent random label, which is the true class for 0-3 clusters, so the
# random-label test accuracy is 0-30 % and S5 may fail: the exit code must say which.
if grep -q "^  FAIL " "$tmp/check.log"; then want=1; else want=0; fi
expect_rc "check.py --tier full reads the CIFAR-10 results alone (exit 1 iff a FAIL)" "$want" \
  "$rc" "$tmp/check.log"
expect_in "the CIFAR-10 table" "CIFAR-10 MLP 1x512 (Table 1)" "$tmp/check.log"
expect_in "the paper's true-label figure beside ours" "- / 50.51" "$tmp/check.log"
check "S5 judged" grep -Eq "^  (SANITY|FAIL)  CIFAR-10: every arm has 3 complete seeds" \
  "$tmp/check.log"
check "C5 judged" grep -Eq "^  (REPRODUCED|DIFFERS)  CIFAR-10: random labels are fitted" \
  "$tmp/check.log"
check "C6 judged" grep -Eq "^  (REPRODUCED|DIFFERS)  CIFAR-10: weight decay changes" \
  "$tmp/check.log"

# --- reproduce.sh --cifar10 ---------------------------------------------------------------------
# A copy of the repository's study and configs folders, so that the results land in $tmp.
mkdir -p "$tmp/repo/tools" "$tmp/repo/build" "$tmp/repo/experiments"
cp -r "$root/configs" "$tmp/repo/"
cp "$root/tools/reproduce.sh" "$tmp/repo/tools/"
cp "$root/experiments/common.py" "$tmp/repo/experiments/"
cp -r "$root/experiments/srivastava2014-cifar10" "$tmp/repo/experiments/"
rm -f "$tmp/repo/experiments/srivastava2014-cifar10/"{smoke,medium}.yaml
ln -s "$reglab" "$tmp/repo/build/reglab"
sed -i 's/^seeds: 3$/seeds: 1/' "$tmp/repo/experiments/srivastava2014-cifar10/full.yaml"
# The included network, narrowed and shortened (same layer names, so the arms' `layers` hold).
sed -i -e 's/filters: [0-9]*/filters: 2/; s/units: 1024/units: 8/; s/epochs: 60/epochs: 1/' \
  -e 's/threads: 2/threads: 1/; s/validation_size: 5000/validation_size: 20/' \
  "$tmp/repo/configs/cifar10-cnn.yaml"
(cd "$tmp/repo" && bash tools/reproduce.sh --tier full srivastava2014-cifar10) \
  > "$tmp/nodata.log" 2>&1
expect_rc "without --cifar10 the CIFAR-10 configuration fails" 1 $? "$tmp/nodata.log"
expect_in "the failing configuration is named" "full.yaml: reglab run failed" "$tmp/nodata.log"
(cd "$tmp/repo" && bash tools/reproduce.sh --tier full --cifar10 "$data" srivastava2014-cifar10) \
  > "$tmp/reproduce.log" 2>&1
expect_in "--cifar10 DIR becomes data.path" "data.path=$data" "$tmp/reproduce.log"
check "the study's cells ran on the tiny folder" \
  test -f "$tmp/repo/results/experiments/srivastava2014-cifar10/full/cifar10.h5"
cp -r "$root/experiments/srivastava2014-table9" "$tmp/repo/experiments/"
(cd "$tmp/repo" && bash tools/reproduce.sh --tier full --mnist "$tmp/no-mnist" \
  srivastava2014-table9) > "$tmp/mnist.log" 2>&1
expect_in "--mnist DIR reaches a configuration through include: [shared-full.yaml]" \
  "full-appendix.yaml data.path=$tmp/no-mnist" "$tmp/mnist.log"
expect_in "... and the other recipe" "full-released.yaml data.path=$tmp/no-mnist" "$tmp/mnist.log"
cp -r "$root/experiments/wan2013-dropconnect" "$tmp/repo/experiments/"
(cd "$tmp/repo" && bash tools/reproduce.sh --tier full --mnist "$tmp/no-mnist" \
  wan2013-dropconnect) > "$tmp/mnist-inline.log" 2>&1
expect_in "--mnist DIR reaches data: {dataset: mnist, ...} written inline" \
  "wan2013-dropconnect/full.yaml data.path=$tmp/no-mnist" "$tmp/mnist-inline.log"
finish
