#!/usr/bin/env bash
# End-to-end: a small convolutional network on a tiny CIFAR-10 folder written here in the binary
# format (5 training files of 60 records and a test file of 100; each class a colour and a stripe
# pattern plus noise, from a fixed numpy seed), trained with batch norm, spatial dropout on
# conv2d_1, random crops and flips and per-channel standardization. Checks:
#  - the run exits 0; conv2d_1/kernel is (16, 8, 3, 3) with its layout attribute; the `model`
#    attribute is JSON listing the layer stack with its shapes; `network` has the inserted layers;
#  - tools/reglab_model.py rebuilds the network from the file alone: --describe lists it in
#    execution order, --evaluate-cifar10 gives the stored final test accuracy within 1 sample
#    (1/100), predict's mean cross-entropy is the stored test_loss (within 1e-4), and it refuses
#    (exit 2, naming the layer) a layer kind it does not know;
#  - `reglab verify` reruns the run and finds it identical;
#  - `reglab export --keras` writes convolution kernels in Keras' (kh, kw, in, out) layout, i.e.
#    transpose(2, 3, 1, 0) of reglab's, dense kernels and batch norm unchanged;
#  - an MLP with the dropout paper's weight-scaled dropout and dampened SGD: reglab_model.py
#    multiplies by p where reglab does (the stored test loss, within 1e-4), and `reglab export
#    --keras` refuses it (exit 2, naming the layer);
#  - a conv2d kernel larger than the (valid-padded) 32x32 input exits 2 naming the config file,
#    line and layer; data.augment on a dataset without images exits 2 naming data.augment.
# Each check prints "ok - NAME" or "not ok - NAME"; the script ends with "N passed, M failed".
# Usage: bash tests/e2e/test_cnn.sh PATH_TO_REGLAB   (from the repository root)
set -uo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: bash $0 PATH_TO_REGLAB" >&2
  exit 2
fi
reglab=$(realpath "$1")
py=/usr/bin/python3
root=$(cd "$(dirname "$0")/../.." && pwd)
model_tool="$root/tools/reglab_model.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ok, not_ok, check, expect_rc, expect_in, finish
# shellcheck source=../e2e/lib.sh
source "$(dirname "$0")/lib.sh"

data="$tmp/cifar10"
$py "$root/tests/support/write_cifar10.py" "$data" 60 100

# --- a. the run -----------------------------------------------------------------------------------
cat > "$tmp/cnn.yaml" <<YAML
name: e2e-cnn
seed: 5
threads: 1
data:
  dataset: cifar10
  path: $data
  augment: {crop_padding: 2, flip: true}
  standardize: per_channel
  validation_size: 50
model:
  name: sequential
  layers:
    - conv2d: {filters: 8, kernel: 3, padding: same}
    - relu: {}
    - max_pool: {size: 2}
    - conv2d: {filters: 16, kernel: 3, stride: 2}
    - relu: {}
    - global_avg_pool: {}
    - dense: {units: 32}
    - relu: {}
    - dense: {units: classes}
optimizer: {name: adam, learning_rate: 0.01}
train: {epochs: 3, batch_size: 25}
regularizers:
  - {name: batch_norm}
  - {name: dropout, rate: 0.2, layers: [conv2d_1], spatial: true}
output: $tmp/out/cnn.h5
YAML
results="$tmp/out/cnn.h5"
"$reglab" run "$tmp/cnn.yaml" -q > "$tmp/run.log" 2>&1
expect_rc "cnn run exits 0" 0 $? "$tmp/run.log"

check "conv kernel shape and layout, model JSON, network, input pipeline" $py - "$results" <<'PY'
import json, sys
import h5py
import numpy as np

f = h5py.File(sys.argv[1], "r")
(run_id,) = list(f["runs"])
run = f["runs"][run_id]
assert run.attrs["status"] == "complete", run.attrs["status"]
k = run["weights/conv2d_1/kernel"]
assert k.shape == (16, 8, 3, 3) and k.dtype == np.float32, (k.shape, k.dtype)
assert k.attrs["layout"] == "out_channels, in_channels, kh, kw", dict(k.attrs)
assert run["weights/conv2d_0/kernel"].shape == (8, 3, 3, 3)
model = json.loads(run.attrs["model"])
assert model["input"] == [3, 32, 32] and model["classes"] == 10, model
stack = [(l["kind"], l["name"], l["output"]) for l in model["layers"]]
want = [("conv2d", "conv2d_0", [8, 32, 32]), ("relu", "relu_0", [8, 32, 32]),
        ("max_pool", "max_pool_0", [8, 16, 16]), ("conv2d", "conv2d_1", [16, 7, 7]),
        ("relu", "relu_1", [16, 7, 7]), ("global_avg_pool", "global_avg_pool_0", [16, 1, 1]),
        ("dense", "dense_0", [32, 1, 1]), ("relu", "relu_2", [32, 1, 1]),
        ("dense", "dense_1", [10, 1, 1])]
assert stack == want, stack
assert model["layers"][3]["options"] == {"filters": 16, "kernel": 3, "stride": 2,
                                         "padding": "valid"}, model["layers"][3]
names = [line.split(":")[0] for line in run.attrs["network"].splitlines()]
assert names == ["conv2d_0", "batch_norm_0", "relu_0", "max_pool_0", "conv2d_1", "batch_norm_1",
                 "relu_1", "global_avg_pool_0", "dropout_1", "dense_0", "batch_norm_2", "relu_2",
                 "dense_1"], names
for i, units in enumerate((8, 16, 32)):
    assert run[f"weights/batch_norm_{i}/running_var"].shape == (units,)
assert "spatial=true" in run.attrs["regularizers"], run.attrs["regularizers"]
assert "standardize per_channel: mean [" in run.attrs["input_pipeline"], run.attrs["input_pipeline"]
assert "crop_padding 2, flip" in run.attrs["input_pipeline"], run.attrs["input_pipeline"]
assert len(run["curves/test_accuracy"]) == 3
PY

# --- b. tools/reglab_model.py -------------------------------------------------------------------
$py "$model_tool" "$results" --describe > "$tmp/describe.log" 2>&1
expect_rc "reglab_model.py --describe exits 0" 0 $? "$tmp/describe.log"
check "--describe lists the layers in execution order with their shapes" \
  $py - "$tmp/describe.log" <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1]).read().splitlines() if l.startswith("  ")]
got = [(l[0], l[-1]) for l in lines]
want = [("conv2d_0", "8x32x32"), ("batch_norm_0", "8x32x32"), ("relu_0", "8x32x32"),
        ("max_pool_0", "8x16x16"), ("conv2d_1", "16x7x7"), ("batch_norm_1", "16x7x7"),
        ("relu_1", "16x7x7"), ("global_avg_pool_0", "16x1x1"), ("dropout_1", "16x1x1"),
        ("dense_0", "32x1x1"), ("batch_norm_2", "32x1x1"), ("relu_2", "32x1x1"),
        ("dense_1", "10x1x1")]
assert got == want, got
PY

$py "$model_tool" "$results" --evaluate-cifar10 "$data" > "$tmp/evaluate.log" 2>&1
expect_rc "reglab_model.py --evaluate-cifar10 exits 0" 0 $? "$tmp/evaluate.log"
check "rebuilt network's test accuracy = stored final test_accuracy (within 1/100)" \
  $py - "$results" "$tmp/evaluate.log" <<'PY'
import re, sys
import h5py
f = h5py.File(sys.argv[1], "r")
stored = float(next(iter(f["runs"].values()))["curves/test_accuracy"][-1])
text = open(sys.argv[2]).read()
m = re.search(r"test accuracy ([0-9.]+) \((\d+)/(\d+)\)", text)
assert m, text
accuracy, n = float(m.group(1)), int(m.group(3))
assert n == 100, text
assert abs(accuracy - stored) <= 1 / n + 1e-9, f"rebuilt {accuracy}, stored {stored}"
assert stored > 0.3, f"the classes were not learnt: test accuracy {stored}"
print(f"rebuilt {accuracy:.2f}, stored {stored:.2f}")
PY

check "Python API: same logits for (n, 3072) and (n, 3, 32, 32); test loss = stored" \
  $py - "$root/tools" "$results" "$data" <<'PY'
import sys
import h5py
import numpy as np
sys.path.insert(0, sys.argv[1])
import reglab_model
m = reglab_model.load_model(sys.argv[2])
images, labels = reglab_model.read_cifar10_test(sys.argv[3])
x = images.astype(np.float32) / np.float32(255)
flat, planes = m.predict(x), m.predict(x.reshape(-1, 3, 32, 32))
assert flat.shape == (100, 10) and flat.dtype == np.float32, (flat.shape, flat.dtype)
assert np.array_equal(flat, planes)
assert abs(m.accuracy(x, labels) - m.stored_test_accuracy) <= 0.01 + 1e-9
run = h5py.File(sys.argv[2], "r")["runs"][m.run_id]
z = flat.astype(np.float64)
z -= z.max(axis=1, keepdims=True)
loss = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels])
stored = run["curves/test_loss"][-1]
assert abs(loss - stored) <= 1e-4, f"mean test cross-entropy {loss}, stored test_loss {stored}"
PY

cp "$results" "$tmp/plugin_layer.h5"
$py - "$tmp/plugin_layer.h5" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1], "r+") as f:
    run = next(iter(f["runs"].values()))
    run.attrs["model"] = run.attrs["model"].replace('"kind": "relu", "name": "relu_1"',
                                                    '"kind": "swish", "name": "relu_1"')
PY
$py "$model_tool" "$tmp/plugin_layer.h5" --describe > "$tmp/plugin_layer.log" 2>&1
expect_rc "reglab_model.py refuses an unknown layer kind with exit 2" 2 $? "$tmp/plugin_layer.log"
expect_in "the refusal names the layer and its kind" "layer relu_1 has kind 'swish'" \
  "$tmp/plugin_layer.log"

# --- c. verify ----------------------------------------------------------------------------------
"$reglab" verify "$results" > "$tmp/verify.log" 2>&1
expect_rc "reglab verify exits 0" 0 $? "$tmp/verify.log"
expect_in "reglab verify finds the run identical" "identical (curves and weights bitwise)" \
  "$tmp/verify.log"

# --- d. Keras export ----------------------------------------------------------------------------
"$reglab" export "$results" --keras "$tmp/keras.h5" > "$tmp/export.log" 2>&1
expect_rc "reglab export --keras exits 0" 0 $? "$tmp/export.log"
check "Keras file: conv kernels (kh, kw, in, out) = transpose(2, 3, 1, 0) of reglab's" \
  $py - "$results" "$tmp/keras.h5" <<'PY'
import sys
import h5py
import numpy as np
run = next(iter(h5py.File(sys.argv[1], "r")["runs"].values()))
keras = h5py.File(sys.argv[2], "r")
names = [n.decode() for n in keras.attrs["layer_names"]]
assert names == ["conv2d_0", "batch_norm_0", "conv2d_1", "batch_norm_1", "dense_0",
                 "batch_norm_2", "dense_1"], names
for layer, shape in (("conv2d_0", (3, 3, 3, 8)), ("conv2d_1", (3, 3, 8, 16))):
    mine = run[f"weights/{layer}/kernel"][:]
    theirs = keras[f"{layer}/{layer}/kernel:0"][:]
    assert theirs.shape == shape, (layer, theirs.shape)
    assert np.array_equal(theirs, mine.transpose(2, 3, 1, 0)), layer
    assert np.array_equal(keras[f"{layer}/{layer}/bias:0"][:], run[f"weights/{layer}/bias"][:])
for layer in ("dense_0", "dense_1"):
    assert np.array_equal(keras[f"{layer}/{layer}/kernel:0"][:], run[f"weights/{layer}/kernel"][:])
for ours, theirs in (("running_mean", "moving_mean"), ("running_var", "moving_variance")):
    assert np.array_equal(keras[f"batch_norm_1/batch_norm_1/{theirs}:0"][:],
                          run[f"weights/batch_norm_1/{ours}"][:])
PY

# --- e. configuration errors --------------------------------------------------------------------
# Line 9 holds the conv2d entry whose kernel does not fit.
cat > "$tmp/big_kernel.yaml" <<YAML
name: big-kernel
threads: 1
data: {dataset: cifar10, path: $data, validation_size: 50}
optimizer: {name: sgd, learning_rate: 0.1}
train: {epochs: 1}
model:
  name: sequential
  layers:
    - conv2d: {filters: 4, kernel: 40, padding: valid}
    - flatten: {}
    - dense: {units: classes}
output: $tmp/out/big_kernel.h5
YAML
"$reglab" run "$tmp/big_kernel.yaml" -q > "$tmp/big_kernel.log" 2>&1
expect_rc "conv2d kernel 40 on 32x32 (valid) exits 2" 2 $? "$tmp/big_kernel.log"
expect_in "... naming the config file and line" "big_kernel.yaml:9:" "$tmp/big_kernel.log"
expect_in "... and the layer" "conv2d_0" "$tmp/big_kernel.log"
expect_in "... and why" "kernel 40 is larger than the padded input 32x32" "$tmp/big_kernel.log"
if [[ -e "$tmp/out/big_kernel.h5" ]]; then not_ok "no results file for the bad kernel"; else
  ok "no results file for the bad kernel"
fi

cat > "$tmp/augment.yaml" <<YAML
name: augment-synthetic
threads: 1
data:
  dataset: synthetic
  augment: {crop_padding: 2, flip: true}
model: {name: mlp, hidden: [8]}
optimizer: {name: sgd, learning_rate: 0.1}
train: {epochs: 1}
output: $tmp/out/augment.h5
YAML
"$reglab" run "$tmp/augment.yaml" -q > "$tmp/augment.log" 2>&1
expect_rc "data.augment on synthetic (not images) exits 2" 2 $? "$tmp/augment.log"
expect_in "... naming data.augment" "data.augment" "$tmp/augment.log"
expect_in "... and the config file" "augment.yaml:" "$tmp/augment.log"

# --- f. the dropout paper's conventions: weight-scaled dropout, dampened SGD ---------------------
# An MLP on the same folder with `scaling: weight` dropout (plain 0/1 masks in training, outputs
# times p = 1 - rate in eval) and SGD with dampening: reglab_model.py multiplies by p where
# reglab does (its predictions give the stored test loss; the identity would not), and the Keras
# export, whose Dropout has no such factor, is refused.
cat > "$tmp/weight.yaml" <<YAML
name: e2e-weight-scaling
seed: 3
threads: 1
data: {dataset: cifar10, path: $data}
model: {name: mlp, hidden: [32], activation: relu}
optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, initial_momentum: 0.5,
            momentum_ramp_epochs: 2, dampening: true}
train: {epochs: 3, batch_size: 25}
regularizers:
  - {name: dropout, rate: 0.5, input_rate: 0.2, scaling: weight}
output: $tmp/out/weight.h5
YAML
"$reglab" run "$tmp/weight.yaml" -q > "$tmp/weight_run.log" 2>&1
expect_rc "weight-scaled dropout run exits 0" 0 $? "$tmp/weight_run.log"
$py "$model_tool" "$tmp/out/weight.h5" --describe > "$tmp/weight_describe.log" 2>&1
expect_rc "reglab_model.py --describe of the weight-scaled run exits 0" 0 $? \
  "$tmp/weight_describe.log"
expect_in "... showing the eval factor of the input dropout" \
  "dropout, weight scaling (x 0.8 in eval mode)" "$tmp/weight_describe.log"
check "weight scaling: rebuilt predictions give the stored test loss; the identity does not" \
  $py - "$root/tools" "$tmp/out/weight.h5" "$data" <<'PY'
import sys
import h5py
import numpy as np
sys.path.insert(0, sys.argv[1])
import reglab_model
m = reglab_model.load_model(sys.argv[2])
assert [type(l).__name__ for l in m.layers] == ["Scale", "Dense", "Activation", "Scale", "Dense"], \
    [type(l).__name__ for l in m.layers]
run = h5py.File(sys.argv[2], "r")["runs"][m.run_id]
assert "dampening=true" in run.attrs["optimizer"], run.attrs["optimizer"]
assert "scaling=weight" in run.attrs["regularizers"], run.attrs["regularizers"]
images, labels = reglab_model.read_cifar10_test(sys.argv[3])
x = images.astype(np.float32) / np.float32(255)


def loss(model):
    z = model.predict(x).astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels])


stored = run["curves/test_loss"][-1]
assert abs(loss(m) - stored) <= 1e-4, f"mean test cross-entropy {loss(m)}, stored {stored}"
m.layers = [reglab_model.Identity(l.name, "dropout") if isinstance(l, reglab_model.Scale) else l
            for l in m.layers]
assert abs(loss(m) - stored) > 1e-3, "the factor p made no difference: the check cannot fail"
PY
"$reglab" export "$tmp/out/weight.h5" --keras "$tmp/weight_keras.h5" > "$tmp/weight_export.log" 2>&1
expect_rc "reglab export --keras refuses weight-scaled dropout with exit 2" 2 $? \
  "$tmp/weight_export.log"
expect_in "... naming the option and the layer" \
  "dropout \`scaling: weight\` (dropout_input: rate 0.2, scaling weight (eval x 0.8))" \
  "$tmp/weight_export.log"
if [[ -e "$tmp/weight_keras.h5" ]]; then not_ok "no Keras file for weight scaling"; else
  ok "no Keras file for weight scaling"
fi

finish
