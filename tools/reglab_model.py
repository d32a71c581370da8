#!/usr/bin/python3
"""Rebuild a stored run's network in numpy from its results file alone, and evaluate it.

    import sys; sys.path.insert(0, "tools")     # or PYTHONPATH=tools
    import reglab_model
    m = reglab_model.load_model("results/lenet.h5")      # run_id= when the file holds several
    print(m.describe())                                  # the layers in execution order
    logits = m.predict(x)        # x: (n, c*h*w) or (n, c, h, w), pixels on the [0, 1] scale

    /usr/bin/python3 tools/reglab_model.py RESULTS.h5 [--run ID] --describe
    /usr/bin/python3 tools/reglab_model.py RESULTS.h5 [--run ID] --evaluate-cifar10 DIR
    /usr/bin/python3 tools/reglab_model.py RESULTS.h5 [--run ID] --evaluate-idx IMAGES LABELS

What is read (schema: README, section *Results files*):
- the run's `model` attribute (JSON): input shape, classes and the configured layer stack with
  each layer's kind, name and options;
- its `network` attribute: one line per layer in execution order, including the layers that
  regularizers insert (batch_norm_i after each hidden weight layer, dropout_i and the other noise
  layers after a hidden layer's activation, dropout_input before the first layer);
- its `input_pipeline` attribute: `standardize per_channel: mean [...], sd [...]` is applied by
  `predict` (in float32, a channel whose sd is below 1e-6 divided by 1, as reglab does);
  augmentation is training-only and ignored;
- the weights: dense kernel (inputs, units) and bias; conv2d kernel (out, in, kh, kw) and bias;
  batch_norm gamma, beta, running_mean, running_var.

The network is evaluated as reglab evaluates it (eval mode): batch norm with its running
statistics, y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta, eps from the
batch_norm line of `network`; dropout, gaussian_dropout, uout and kl_sparsity layers are the
identity, except dropout with `scaling: weight` (the 2014 paper's convention), which multiplies by
its retention probability p = 1 - rate in float32, the factor its `network` line gives
("rate 0.5, scaling weight (eval x 0.5)"). Layer semantics: conv2d padding `same` is TensorFlow's SAME (total padding
max((ceil(H/s) - 1) * s + k - H, 0), the smaller half before), `valid` none, a number that many
zeros on every side; max_pool and avg_pool take windows of `size` every `stride` without padding
(floor mode); flatten is channel-major (NCHW); maxout takes the maximum over groups of `pieces`
consecutive channels (units). Values are float32 between layers; convolutions are float32
matrix products (im2col, as in reglab), dense layers accumulate in float64, batch norm and
average pooling compute in float64 and round to float32. Summation orders differ from reglab's,
so logits can differ in the last bits (accuracies agree up to samples whose two best logits are
that close).

A layer the reader does not know (a plugin's layer type, or a layer a plugin regularizer inserts)
raises UnsupportedLayerError naming it; a file or run the reader cannot use raises
reglab_results.ResultsFileError or ValueError. The command line prints these and exits with 2.
Needs numpy and h5py.
"""
import argparse
import gzip
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reglab_results as rr  # noqa: E402  (the file checks and text decoding are shared)

MIN_CHANNEL_SD = 1e-6  # reglab: data::kMinChannelSd
COLUMN_VALUES = 1 << 23  # largest im2col slice of a convolution, in float32 values (32 MiB)


class UnsupportedLayerError(ValueError):
    """The run's network has a layer this reader cannot evaluate; the message names it."""


# ----------------------------------------------------------------------------------------------
# Layers: each maps a float32 (n, c, h, w) array to the next one (vectors are (n, units, 1, 1)).


class Layer:
    """A layer in eval mode: __call__ maps a float32 (n, c, h, w) batch to the next one; text()
    is its line in describe()."""
    name = ""
    kind = ""

    def __call__(self, x):
        raise NotImplementedError

    def text(self):
        return self.kind


class Dense(Layer):
    kind = "dense"

    def __init__(self, name, kernel, bias):
        self.name, self.kernel, self.bias = name, kernel, bias

    def __call__(self, x):
        flat = x.reshape(len(x), -1)
        if flat.shape[1] != self.kernel.shape[0]:
            raise ValueError(f"{self.name}: input has {flat.shape[1]} values, the kernel takes "
                             f"{self.kernel.shape[0]}")
        y = flat.astype(np.float64) @ self.kernel.astype(np.float64) + self.bias
        return y.astype(np.float32).reshape(len(x), -1, 1, 1)

    def text(self):
        return f"dense {self.kernel.shape[0]} -> {self.kernel.shape[1]}"


def _same_padding(size, kernel, stride):
    """(before, after) zeros of TensorFlow's SAME padding along one dimension."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2d(Layer):
    kind = "conv2d"

    def __init__(self, name, kernel, bias, stride, padding):
        if kernel.ndim != 4 or kernel.shape[2] != kernel.shape[3]:
            raise ValueError(f"{name}: kernel of shape {kernel.shape}, expected (out, in, k, k)")
        self.name, self.kernel, self.bias = name, kernel, bias
        self.stride, self.padding = int(stride), padding

    def pads(self, h, w):
        k, s = self.kernel.shape[2], self.stride
        if self.padding == "same":
            return _same_padding(h, k, s), _same_padding(w, k, s)
        p = 0 if self.padding == "valid" else int(self.padding)
        return (p, p), (p, p)

    def __call__(self, x):
        n, c, h, w = x.shape
        out_c, in_c, k, _ = self.kernel.shape
        if c != in_c:
            raise ValueError(f"{self.name}: input has {c} channels, the kernel takes {in_c}")
        (top, bottom), (left, right) = self.pads(h, w)
        xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        s = self.stride
        oh, ow = (xp.shape[2] - k) // s + 1, (xp.shape[3] - k) // s + 1
        if oh < 1 or ow < 1:
            raise ValueError(f"{self.name}: kernel {k} is larger than the padded input "
                             f"{xp.shape[2]}x{xp.shape[3]}")
        # im2col as reglab does it: rows (sample, i, j), columns (channel, u, v), one float32
        # product with the (out, in*k*k) kernel, in slices of at most COLUMN_VALUES values.
        weights = self.kernel.reshape(out_c, -1).T
        out = np.empty((n, out_c, oh, ow), dtype=np.float32)
        step = max(1, COLUMN_VALUES // (oh * ow * in_c * k * k))
        for start in range(0, n, step):
            windows = np.lib.stride_tricks.sliding_window_view(
                xp[start:start + step], (k, k), axis=(2, 3))[:, :, ::s, ::s]
            columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, in_c * k * k)
            y = (columns @ weights).reshape(-1, oh, ow, out_c) + self.bias
            out[start:start + step] = y.transpose(0, 3, 1, 2)
        return out

    def text(self):
        o, i, k, _ = self.kernel.shape
        return (f"conv2d {i} -> {o} channels, kernel {k}, stride {self.stride}, "
                f"padding {self.padding}")


class Pool(Layer):
    def __init__(self, name, kind, size, stride):
        self.name, self.kind, self.size, self.stride = name, kind, int(size), int(stride)

    def __call__(self, x):
        k, s = self.size, self.stride
        if k > x.shape[2] or k > x.shape[3]:
            raise ValueError(f"{self.name}: size {k} is larger than the input "
                             f"{x.shape[2]}x{x.shape[3]}")
        win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        if self.kind == "max_pool":
            return np.ascontiguousarray(win.max(axis=(4, 5)))
        return win.mean(axis=(4, 5), dtype=np.float64).astype(np.float32)

    def text(self):
        return f"{self.kind} size {self.size}, stride {self.stride}"


class GlobalAvgPool(Layer):
    kind = "global_avg_pool"

    def __init__(self, name):
        self.name = name

    def __call__(self, x):
        return x.mean(axis=(2, 3), dtype=np.float64, keepdims=True).astype(np.float32)


class Flatten(Layer):
    kind = "flatten"

    def __init__(self, name):
        self.name = name

    def __call__(self, x):
        return x.reshape(len(x), -1, 1, 1)


class Activation(Layer):
    FUNCTIONS = {
        "relu": lambda x: np.maximum(x, np.float32(0)),
        "tanh": np.tanh,
        "sigmoid": lambda x: (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32),
    }

    def __init__(self, name, kind):
        self.name, self.kind = name, kind

    def __call__(self, x):
        return self.FUNCTIONS[self.kind](x)


class Maxout(Layer):
    kind = "maxout"

    def __init__(self, name, pieces):
        self.name, self.pieces = name, int(pieces)

    def __call__(self, x):
        n, c, h, w = x.shape
        if c % self.pieces:
            raise ValueError(f"{self.name}: {c} channels are not divisible into groups of "
                             f"{self.pieces}")
        return x.reshape(n, c // self.pieces, self.pieces, h, w).max(axis=2)

    def text(self):
        return f"maxout pieces {self.pieces}"


class BatchNorm(Layer):
    kind = "batch_norm"

    def __init__(self, name, gamma, beta, mean, var, eps):
        self.name, self.eps = name, eps
        self.units = len(gamma)
        inv_std = 1.0 / np.sqrt(var.astype(np.float64) + eps)
        shape = (1, -1, 1, 1)
        self.mean = mean.astype(np.float64).reshape(shape)
        self.inv_std = inv_std.reshape(shape)
        self.gamma, self.beta = gamma.reshape(shape), beta.reshape(shape)

    def __call__(self, x):
        if x.shape[1] != self.units:
            raise ValueError(f"{self.name}: input has {x.shape[1]} channels, the layer has "
                             f"{self.units} units")
        x_hat = ((x - self.mean) * self.inv_std).astype(np.float32)
        return self.gamma * x_hat + self.beta

    def text(self):
        return f"batch_norm {self.units} units, eps {self.eps:g} (running statistics)"


class Identity(Layer):
    def __init__(self, name, kind):
        self.name, self.kind = name, kind

    def __call__(self, x):
        return x

    def text(self):
        return f"{self.kind} (identity in eval mode)"


class Scale(Layer):
    """Dropout with weight scaling in eval mode: y = p x, p the float32 retention probability."""

    def __init__(self, name, factor):
        self.name, self.factor = name, np.float32(factor)

    def __call__(self, x):
        return (self.factor * x.astype(np.float32, copy=False)).astype(np.float32)

    def text(self):
        return f"dropout, weight scaling (x {float(self.factor):g} in eval mode)"


# Layers regularizers insert: name pattern and the text of their `network` line.
INSERTED = [
    ("batch_norm", r"batch_norm_\d+(_\d+)?", r"(\d+) units, momentum \S+, eps (\S+)"),
    ("gaussian_dropout", r"gaussian_dropout_(\d+|input)(_\d+)?", r"rate \S+ \(sigma \S+\)"),
    ("dropout", r"dropout_(\d+|input)(_\d+)?", r"rate \S+(, scaling weight \(eval x (\S+)\))?"),
    ("uout", r"uout_(\d+|input)(_\d+)?", r"beta \S+"),
    ("kl_sparsity", r"kl_sparsity_\d+(_\d+)?", r"target \S+, beta \S+"),
]
STACK_KINDS = ("dense", "conv2d", "max_pool", "avg_pool", "global_avg_pool", "flatten", "relu",
               "tanh", "sigmoid", "maxout")


# ----------------------------------------------------------------------------------------------


class Model:
    """A run's network in eval mode. `predict(x)` returns float32 logits (n, classes)."""

    def __init__(self, path, run_id, name, input_shape, classes, layers, pipeline, mean, sd,
                 stored_test_accuracy):
        self.path, self.run_id, self.name = path, run_id, name
        self.input_shape, self.classes, self.layers = tuple(input_shape), classes, layers
        self.input_pipeline = pipeline
        self.mean, self.sd = mean, sd  # float32 per channel, or None
        self.stored_test_accuracy = stored_test_accuracy

    def standardize(self, x):
        """x (n, c, h, w) float32 on the [0, 1] scale, standardized as the run's input pipeline."""
        if self.mean is None:
            return x
        return (x - self.mean.reshape(1, -1, 1, 1)) / self.sd.reshape(1, -1, 1, 1)

    def _inputs(self, x):
        x = np.asarray(x)
        if x.dtype == np.uint8:  # raw pixel bytes: scaled as reglab scales them
            x = x.astype(np.float32) / np.float32(255)
        x = x.astype(np.float32, copy=False)
        c, h, w = self.input_shape
        if x.ndim == 4 and x.shape[1:] == (c, h, w) or x.ndim == 2 and x.shape[1] == c * h * w:
            return x.reshape(len(x), c, h, w)
        raise ValueError(f"inputs of shape {x.shape}; the network takes (n, {c * h * w}) or "
                         f"(n, {c}, {h}, {w})")

    def predict(self, x, batch_size=256):
        """Logits, float32 (n, classes), for x: float32 (n, c*h*w) or (n, c, h, w) on the [0, 1]
        pixel scale (uint8 arrays are taken as raw pixels and divided by 255); the run's
        standardization is applied here."""
        x = self._inputs(x)
        out = np.empty((len(x), self.classes), dtype=np.float32)
        for start in range(0, len(x), batch_size):
            y = self.standardize(x[start:start + batch_size])
            for layer in self.layers:
                y = layer(y)
            out[start:start + batch_size] = y.reshape(len(y), -1)
        return out

    def accuracy(self, x, labels):
        """Fraction of samples whose largest logit (the first, on ties) is the label."""
        labels = np.asarray(labels)
        return float(np.mean(np.argmax(self.predict(x), axis=1) == labels)) if len(labels) else 0.0

    def describe(self):
        c, h, w = self.input_shape
        lines = [f"run {self.run_id} ({self.name}) of {self.path}",
                 f"input {c}x{h}x{w}, {self.classes} classes; input pipeline: "
                 f"{self.input_pipeline}"]
        shape = (1, c, h, w)
        y = np.zeros(shape, dtype=np.float32)
        for layer in self.layers:
            y = layer(y)
            out = "x".join(str(d) for d in y.shape[1:])
            lines.append(f"  {layer.name:<20} {layer.text():<62} -> {out}")
        return "\n".join(lines)


def _options(entry):
    return entry.get("options", {}) or {}


def _stack_layer(entry, weights, where):
    kind, name, o = entry["kind"], entry["name"], _options(entry)

    def param(p):
        key = f"{name}/{p}"
        if key not in weights:
            raise rr.ResultsFileError(f"{where}: no weights/{key} for layer {name}")
        return weights[key]

    if kind == "dense":
        return Dense(name, param("kernel"), param("bias"))
    if kind == "conv2d":
        return Conv2d(name, param("kernel"), param("bias"), o.get("stride", 1),
                      str(o.get("padding", "valid")))
    if kind in ("max_pool", "avg_pool"):
        return Pool(name, kind, o["size"], o.get("stride", o["size"]))
    if kind == "global_avg_pool":
        return GlobalAvgPool(name)
    if kind == "flatten":
        return Flatten(name)
    if kind in Activation.FUNCTIONS:
        return Activation(name, kind)
    if kind == "maxout":
        return Maxout(name, o["pieces"])
    raise UnsupportedLayerError(
        f"{where}: layer {name} has kind '{kind}', which tools/reglab_model.py does not know "
        f"(a plugin's layer type?); it evaluates {', '.join(STACK_KINDS)}")


def _inserted_layer(name, text, weights, where):
    for kind, name_re, text_re in INSERTED:
        if not re.fullmatch(name_re, name):
            continue
        m = re.fullmatch(text_re, text)
        if m is None:
            break
        if kind == "dropout" and m.group(1) is not None:
            return Scale(name, float(m.group(2)))
        if kind != "batch_norm":
            return Identity(name, kind)
        params = {}
        for p in ("gamma", "beta", "running_mean", "running_var"):
            key = f"{name}/{p}"
            if key not in weights:
                raise rr.ResultsFileError(f"{where}: no weights/{key} for layer {name}")
            params[p] = weights[key]
        if len(params["gamma"]) != int(m.group(1)):
            raise rr.ResultsFileError(f"{where}: {name} has {m.group(1)} units in network, "
                                      f"{len(params['gamma'])} gamma values")
        return BatchNorm(name, params["gamma"], params["beta"], params["running_mean"],
                         params["running_var"], float(m.group(2)))
    raise UnsupportedLayerError(
        f"{where}: network layer '{name}: {text}' is not in the model's layer stack and not a "
        "layer of reglab's built-in regularizers (batch_norm, dropout, gaussian_dropout, uout, "
        "kl_sparsity); tools/reglab_model.py cannot evaluate it (inserted by a plugin?)")


def _pipeline(text, channels, where):
    """(mean, sd) as float32 arrays for `standardize per_channel`, or (None, None)."""
    mean = sd = None
    for step in (s.strip() for s in text.split(";")):
        if step == "none" or step.startswith("augment:"):
            continue  # augmentation happens in training only
        m = re.fullmatch(r"standardize per_channel: mean \[([^\]]*)\], sd \[([^\]]*)\]", step)
        if m is None:
            raise rr.ResultsFileError(f"{where}: input_pipeline step '{step}' is not one this "
                                      "reader knows (augment, standardize per_channel)")
        mean = np.array([float(v) for v in m.group(1).split(",")])
        sd = np.array([float(v) for v in m.group(2).split(",")])
        if len(mean) != channels or len(sd) != channels:
            raise rr.ResultsFileError(f"{where}: input_pipeline has statistics for {len(mean)} "
                                      f"channels, the input has {channels}")
        sd = np.where(sd < MIN_CHANNEL_SD, 1.0, sd)
        mean, sd = mean.astype(np.float32), sd.astype(np.float32)
    return mean, sd


def load_model(path, run_id=None):
    """The network of run `run_id` of the results file at `path` (may be omitted when the file
    holds one run), rebuilt from the file: a Model with .predict(x), .describe() and .layers."""
    with rr._open(path) as f:
        ids = list(f["runs"])
        listed = ", ".join(ids[:20]) + (f", ... ({len(ids)} in all)" if len(ids) > 20 else "")
        if run_id is None and len(ids) != 1:
            raise ValueError(f"{path} holds {len(ids)} runs; pass a run id, one of: {listed}")
        run_id = ids[0] if run_id is None else run_id
        if run_id not in f["runs"]:
            raise ValueError(f"{path} has no run {run_id!r}; its runs: {listed}")
        run = f["runs"][run_id]
        where = f"{path}: /runs/{run_id}"
        attrs = {k: rr._text(run.attrs[k]) for k in ("model", "network", "input_pipeline", "name")
                 if k in run.attrs}
        for k in ("model", "network"):
            if k not in attrs:
                raise rr.ResultsFileError(f"{where} has no '{k}' attribute (written by an older "
                                          "reglab?), so its network cannot be rebuilt")
        weights = {}
        if "weights" in run:
            run["weights"].visititems(lambda n, o: weights.update({n: o[:]})
                                      if hasattr(o, "shape") else None)
        curves = run.get("curves")
        curve = curves["test_accuracy"][:] if curves is not None and "test_accuracy" in curves \
            else []
        config = rr._text(run.attrs.get("config", ""))
    try:
        model = json.loads(attrs["model"])
        input_shape = [int(d) for d in model["input"]]
        classes = int(model["classes"])
        stack = {entry["name"]: entry for entry in model["layers"]}
    except (ValueError, KeyError, TypeError) as e:
        raise rr.ResultsFileError(f"{where}: the model attribute is not the JSON reglab writes "
                                  f"({e})") from None
    if len(input_shape) != 3:
        raise rr.ResultsFileError(f"{where}: model input {input_shape} is not [c, h, w]")

    layers, seen = [], []
    for line in attrs["network"].splitlines():
        if not line.strip():
            continue
        name, sep, text = line.partition(": ")
        if not sep:
            raise rr.ResultsFileError(f"{where}: network line '{line}' is not 'name: description'")
        if name in stack:
            layers.append(_stack_layer(stack[name], weights, where))
            seen.append(name)
        else:
            layers.append(_inserted_layer(name, text, weights, where))
    order = [entry["name"] for entry in model["layers"]]
    if seen != order:
        raise rr.ResultsFileError(f"{where}: the network attribute lists the stack layers "
                                  f"{seen}, the model attribute {order}")
    mean, sd = _pipeline(attrs.get("input_pipeline", "none"), input_shape[0], where)
    result = Model(path, run_id, attrs.get("name", ""), input_shape, classes, layers,
                   attrs.get("input_pipeline", "none"), mean, sd,
                   float(curve[-1]) if len(curve) else None)
    m = re.search(r"input_randomisation:\s*([A-Za-z_]+)", config)
    result.input_randomisation = m.group(1) if m and m.group(1) != "none" else None
    _check_shapes(result, model["layers"], where)
    return result


def _check_shapes(model, entries, where):
    """One zero sample through the network: every stack layer's output has the recorded shape."""
    expected = {e["name"]: tuple(int(d) for d in e["output"]) for e in entries if "output" in e}
    y = np.zeros((1, *model.input_shape), dtype=np.float32)
    for layer in model.layers:
        try:
            y = layer(y)
        except ValueError as e:
            raise rr.ResultsFileError(f"{where}: {e}") from None
        want = expected.get(layer.name)
        if want is not None and y.shape[1:] != want:
            raise rr.ResultsFileError(f"{where}: {layer.name} gives {y.shape[1:]}, the model "
                                      f"attribute records {want}")
    if y.size != model.classes:
        raise rr.ResultsFileError(f"{where}: the network gives {y.size} outputs for "
                                  f"{model.classes} classes")


# ----------------------------------------------------------------------------------------------
# Test sets in reglab's file formats.


def _read_bytes(path):
    with open(path, "rb") as fh:
        data = fh.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read_cifar10_test(folder):
    """(images uint8 (n, 3072), labels uint8 (n,)) of `folder`/test_batch.bin."""
    path = os.path.join(folder, "test_batch.bin")
    data = np.frombuffer(_read_bytes(path), dtype=np.uint8)
    if data.size == 0 or data.size % 3073:
        raise ValueError(f"{path}: {data.size} bytes is not a whole number of 3073-byte records")
    records = data.reshape(-1, 3073)
    if records[:, 0].max() > 9:
        raise ValueError(f"{path}: a label byte is outside 0..9")
    return records[:, 1:], records[:, 0].copy()


def read_idx(path):
    """An IDX file of unsigned bytes (gzip or not) as a numpy array of its dimensions."""
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndims = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndims)]
    start = 4 + 4 * ndims
    if len(data) - start != int(np.prod(dims)):
        raise ValueError(f"{path}: {len(data) - start} data bytes for dimensions {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(dims)


def _evaluate(model, images, labels, source):
    if model.input_randomisation:
        print(f"reglab_model: warning: run {model.run_id} was trained with input_randomisation: "
              f"{model.input_randomisation}; its test set was randomised too, these images are "
              "not", file=sys.stderr)
    predicted = np.argmax(model.predict(images), axis=1)
    correct = int(np.sum(predicted == labels))
    print(f"run {model.run_id} ({model.name}): test accuracy {correct / len(labels):.6f} "
          f"({correct}/{len(labels)}) on {source}")
    if model.stored_test_accuracy is not None:
        print(f"stored final test_accuracy {model.stored_test_accuracy:.6f}")


def main(argv):
    parser = argparse.ArgumentParser(
        prog="reglab_model.py",
        description="Rebuild a reglab run's network from its results file and evaluate it.")
    parser.add_argument("results", metavar="RESULTS.h5")
    parser.add_argument("--run", metavar="ID", help="the run id (when the file holds several)")
    parser.add_argument("--describe", action="store_true", help="print the layers")
    parser.add_argument("--evaluate-cifar10", metavar="DIR",
                        help="test accuracy on DIR/test_batch.bin")
    parser.add_argument("--evaluate-idx", nargs=2, metavar=("IMAGES", "LABELS"),
                        help="test accuracy on IDX image and label files")
    args = parser.parse_args(argv[1:])
    if not (args.describe or args.evaluate_cifar10 or args.evaluate_idx):
        parser.error("nothing to do: give --describe, --evaluate-cifar10 or --evaluate-idx")
    try:
        model = load_model(args.results, args.run)
        if args.describe:
            print(model.describe())
        if args.evaluate_cifar10:
            images, labels = read_cifar10_test(args.evaluate_cifar10)
            _evaluate(model, images, labels, os.path.join(args.evaluate_cifar10, "test_batch.bin"))
        if args.evaluate_idx:
            images, labels = (read_idx(p) for p in args.evaluate_idx)
            if labels.ndim != 1 or len(labels) != len(images):
                raise ValueError(f"{args.evaluate_idx[1]}: {labels.shape} labels for "
                                 f"{len(images)} images")
            _evaluate(model, images.reshape(len(images), -1), labels, args.evaluate_idx[0])
    except (OSError, ValueError) as e:
        print(f"reglab_model: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
