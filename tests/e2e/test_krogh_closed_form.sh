#!/usr/bin/env bash
# The krogh1992-weight-decay closed form against reglab: a small teacher_student sweep is
# trained to convergence by full-batch gradient descent, and krogh1992_closed_form, given the
# same sweep file, prints for every cell a test loss equal to reglab's within 1e-4 (relative).
# Sweeps it cannot solve (another dataset, another regularizer) and a missing argument exit 2.
# Usage: bash tests/e2e/test_krogh_closed_form.sh PATH_TO_REGLAB PATH_TO_CLOSED_FORM
set -uo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB PATH_TO_CLOSED_FORM" >&2
  exit 2
fi
reglab=$(realpath "$1")
closed=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/sweep.yaml" <<YAML
name: krogh-e2e
seed: 1
data: {dataset: teacher_student, inputs: 6, train_samples: 4, test_samples: 300, noise: 0.4}
model: {name: linear, init: normal, init_scale: 0.0001}
optimizer: {name: sgd, learning_rate: 1.0}
train: {epochs: 3000, batch_size: 32, eval_every: 3000, checkpoint_every: 0}
regularizers: [{name: l2, lambda: 0.0}]
grid:
  data.seed: [1, 2]
zip:
  data.train_samples: [4, 20, 20]
  regularizers[0].lambda: [0.05, 0.01, 0.0]
output: $tmp/out.h5
YAML
"$reglab" run "$tmp/sweep.yaml" -q > "$tmp/run.log" 2>&1
expect_rc "reglab runs the sweep" 0 $? "$tmp/run.log"
"$closed" "$tmp/sweep.yaml" > "$tmp/cf.csv" 2> "$tmp/cf.log"
expect_rc "closed form of the sweep" 0 $? "$tmp/cf.log"
check "closed form equals reglab's test loss in every cell" /usr/bin/python3 - "$tmp" <<'PY'
import sys, h5py, pandas as pd
tmp = sys.argv[1]
with h5py.File(f"{tmp}/out.h5", "r") as f:
    s = pd.DataFrame(f["summary"][:])
s["cell_id"] = s.cell_id.map(lambda v: v.decode() if isinstance(v, bytes) else v)
cf = pd.read_csv(f"{tmp}/cf.csv")
m = s.merge(cf, on="cell_id")
assert len(m) == 6 == len(cf), (len(m), len(cf))
rel = ((m.final_test_loss - m.test_loss) / m.test_loss).abs()
print(m[["cell_id", "final_test_loss", "test_loss"]])
assert rel.max() < 1e-4, rel.max()
PY

sed 's/dataset: teacher_student, inputs: 6,/dataset: synthetic, features: 6,/; s/, noise: 0.4//' \
  "$tmp/sweep.yaml" > "$tmp/other.yaml"
"$closed" "$tmp/other.yaml" > /dev/null 2> "$tmp/other.log"
expect_rc "another dataset exits 2" 2 $? "$tmp/other.log"
expect_in "the error names data.dataset" "teacher_student" "$tmp/other.log"
sed 's/name: l2, lambda: 0.0/name: dropout, rate: 0.5/; /regularizers\[0\]/d; s/train_samples: \[4, 20, 20\]/train_samples: [4, 20]/' \
  "$tmp/sweep.yaml" > "$tmp/dropout.yaml"
"$closed" "$tmp/dropout.yaml" > /dev/null 2> "$tmp/dropout.log"
expect_rc "another regularizer exits 2" 2 $? "$tmp/dropout.log"
expect_in "the error names the regularizer" "dropout" "$tmp/dropout.log"
"$closed" > /dev/null 2> "$tmp/usage.log"
expect_rc "no argument exits 2" 2 $? "$tmp/usage.log"
finish
