#!/usr/bin/env bash
# End-to-end: a short reglab run on a Fashion-MNIST subset reaches test accuracy above 0.75, and
# the results file opens in h5py (Debian's /usr/bin/python3) at the documented paths.
# Usage: bash tests/e2e/test_fashion_mnist.sh PATH_TO_REGLAB   (from the repository root)
set -euo pipefail
reglab=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/run.yaml" <<YAML
name: e2e-fashion
seed: 3
data: {dataset: fashion-mnist, train_size: 6000, validation_size: 1000}
model: {name: mlp, hidden: [128], activation: relu}
optimizer: {name: adam, learning_rate: 0.001}
train: {epochs: 3, batch_size: 32}
regularizers:
  - {name: dropout, rate: 0.3}
  - {name: batch_norm}
output: $tmp/out/run.h5
YAML
"$reglab" run "$tmp/run.yaml" -q
/usr/bin/python3 "$(dirname "$0")/../storage/check_schema.py" "$tmp/out/run.h5"
/usr/bin/python3 - "$tmp/out/run.h5" <<'PY'
import sys
import h5py, numpy as np, pandas as pd
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format"] == "reglab", f.attrs["format"]
assert isinstance(f.attrs["config"], str)
(run_id,) = list(f["runs"])
run = f["runs"][run_id]
for key in ["name", "config", "seed", "status", "git_commit", "compiler", "cxx_flags",
            "library_versions", "openblas_config", "blas_threads", "openblas_coretype", "host",
            "cpu_model", "start_utc", "end_utc", "data_sha256"]:
    assert key in run.attrs, f"missing run attribute {key}"
assert run.attrs["status"] == "complete"
assert run.attrs["blas_threads"] == "1"
assert "train-images-idx3-ubyte" in run.attrs["data_sha256"]
curves = pd.DataFrame({k: run["curves"][k][:] for k in run["curves"]})
assert len(curves) == 3 and list(curves["epoch"]) == [1.0, 2.0, 3.0]
acc = curves["test_accuracy"].iloc[-1]
assert acc > 0.75, f"test accuracy {acc} <= 0.75"
w = run["weights"]
assert w["dense_0/kernel"].shape == (784, 128) and w["dense_0/kernel"].dtype == np.float32
assert w["dense_1/kernel"].shape == (128, 10)
for p in ["gamma", "beta", "running_mean", "running_var"]:
    assert w["batch_norm_0"][p].shape == (128,), p
assert w["dense_0/kernel"].attrs["storage_order"] == "row-major (C)"
print(f"e2e fashion-mnist: test accuracy {acc:.4f} after 3 epochs; h5py and pandas read the file")
PY
