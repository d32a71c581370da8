#!/usr/bin/python3
"""Measuring code shared by reglab's benchmarks against PyTorch (keras_mlp.py, suite.py,
agree_cnn.py).

Each framework runs in its own child process, so that its peak memory can be measured alone.

Timing. reglab's per-epoch `seconds` curve covers the training loop plus evaluation (loss and
accuracy) of the train and test sets at the evaluation batch size. The PyTorch worker times the
same two things per epoch: the training loop alone (`train_seconds`) and training plus a
torch.no_grad() evaluation of the train and test sets (`epoch_seconds`). Data loading is outside
every timed region.

Memory. Peak RSS is the child's ru_maxrss, taken from os.wait4 on that child: the kernel
accounting getrusage(RUSAGE_CHILDREN) reports, but per child, so repeats and the order of the
frameworks cannot mix their peaks (RUSAGE_CHILDREN keeps the maximum over every child ever waited
for). The PyTorch worker keeps one float32 copy of the data set (about 220 MB for Fashion-MNIST;
reglab keeps the uint8 images and scales each batch), plus the Python interpreter and libtorch
(about 230 MB before any data).

Threads. A thread count N means: reglab `threads=N` (its OpenBLAS threads); PyTorch
torch.set_num_threads(N) (its OpenMP intra-op pool) with OMP_NUM_THREADS=N and
OPENBLAS_NUM_THREADS=N in the worker's environment and openblas_set_num_threads(N), because
Debian's PyTorch calls the same OpenBLAS (through libblas.so.3), whose own thread pool
torch.set_num_threads does not resize. Inter-op threads are 1.

Kernels. pin_blas_core sets OPENBLAS_CORETYPE to the core reglab picks for itself (SkylakeX on an
AVX-512 CPU, Haswell on AVX2 + FMA, a user's value kept); every child inherits it. run_torch can
give PyTorch another core (threaded_env's core: a value, or AUTO_CORE for OpenBLAS's own
detection); the worker reports the core OpenBLAS loaded (openblas_get_corename).

The PyTorch worker is this file run as a script: `common.py --torch-worker SPEC_JSON`, where the
spec describes the network (see torch_worker), and it prints one JSON object.
"""

import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / "build" / "reglab"
DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
FULL_TRAIN = 60000
TEST_SAMPLES = 10000
EVAL_BATCH = 1000


# ---------------------------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------------------------

AVX512_FLAGS = ("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd")
AUTO_CORE = "auto"  # a PyTorch core setting: OPENBLAS_CORETYPE unset, OpenBLAS's own detection


def cpu_flags():
    """The CPU feature flags of /proc/cpuinfo (an empty set where it cannot be read)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def reglab_blas_core(environ=None, flags=None):
    """The OpenBLAS core reglab runs with: a user-set OPENBLAS_CORETYPE is kept; else SkylakeX on
    an AVX-512 CPU (avx512f, bw, vl, dq and cd), Haswell on AVX2 + FMA; else None (OpenBLAS's
    own detection). The rule of reglab's start-up (framework/core/blas.cpp), mirrored here."""
    environ = os.environ if environ is None else environ
    if environ.get("OPENBLAS_CORETYPE"):
        return environ["OPENBLAS_CORETYPE"]
    flags = cpu_flags() if flags is None else flags
    if all(f in flags for f in AVX512_FLAGS):
        return "SkylakeX"
    if "avx2" in flags and "fma" in flags:
        return "Haswell"
    return None


def pin_blas_core():
    """Sets OPENBLAS_CORETYPE to reglab's pick (reglab_blas_core) for every child that does not
    choose its own: reglab, the GEMM helper and, by default, PyTorch (which loads the same
    OpenBLAS through libblas.so.3). A value set by the user is kept. Returns the core, or None
    when there is nothing to pin (OpenBLAS detects)."""
    core = reglab_blas_core()
    if core is not None and os.environ.get("OPENBLAS_CORETYPE") != core:
        os.environ["OPENBLAS_CORETYPE"] = core
        print(f"OPENBLAS_CORETYPE was unset: using {core}, reglab's pick", file=sys.stderr)
    return core


def torch_core_candidates(all_cores):
    """The OPENBLAS_CORETYPE settings PyTorch runs at: reglab's pick only, or (all_cores) also
    Haswell (where the CPU has AVX2 and FMA) and AUTO_CORE (unset: OpenBLAS's own detection),
    without duplicates."""
    pick = reglab_blas_core() or AUTO_CORE
    if not all_cores:
        return [pick]
    flags = cpu_flags()
    haswell = ["Haswell"] if "avx2" in flags and "fma" in flags else []
    return list(dict.fromkeys([pick, *haswell, AUTO_CORE]))


def machine_info():
    """Host facts recorded with every JSON report."""
    return {
        "host": platform.node(), "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def threaded_env(threads, op_threads=None, core=None):
    """The environment of a PyTorch child at `threads` BLAS threads and `op_threads` intra-op
    threads (default: `threads`); core: an OPENBLAS_CORETYPE value, AUTO_CORE to unset it, or
    None to keep this process's."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(op_threads or threads)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    if core == AUTO_CORE:
        env.pop("OPENBLAS_CORETYPE", None)
    elif core is not None:
        env["OPENBLAS_CORETYPE"] = core
    return env


# ---------------------------------------------------------------------------------------------
# Child processes with per-child resource usage
# ---------------------------------------------------------------------------------------------

def run_measured(cmd, env=None, cwd=None):
    """Runs cmd to completion; returns (exit code, stdout, stderr, peak RSS in MiB, wall s)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), usage.ru_maxrss / 1024.0, wall)


# ---------------------------------------------------------------------------------------------
# reglab half
# ---------------------------------------------------------------------------------------------

def run_reglab(binary, config, threads, epochs, output, overrides=()):
    """Runs one reglab training run; returns its per-epoch seconds, accuracy and peak RSS."""
    import h5py

    output = Path(output)
    cmd = [str(binary), "run", str(config), f"output={output}", f"threads={threads}",
           f"train.epochs={epochs}", *overrides, "--overwrite", "-q"]
    code, out, err, rss, wall = run_measured(cmd, cwd=str(REPO))
    if code != 0:
        raise RuntimeError(f"reglab exited with {code}:\n{' '.join(cmd)}\n{out}{err}")
    with h5py.File(output, "r") as f:
        runs = list(f["runs"].keys())
        if len(runs) != 1:
            raise RuntimeError(f"{output}: expected one run, found {runs}")
        run = f["runs"][runs[0]]
        status = run.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else str(status)
        if status != "complete":
            raise RuntimeError(f"{output}: reglab run status {status}")
        curves = run["curves"]
        seconds = [float(s) for s in curves["seconds"][()]]
        train_seconds = None  # reglab does not time its training loop separately
        test_acc = float(curves["test_accuracy"][()][-1])
    output.unlink()
    return {"epoch_seconds": seconds, "train_seconds": train_seconds, "test_accuracy": test_acc,
            "peak_rss_mib": rss, "process_seconds": wall, "run_id": runs[0]}


# ---------------------------------------------------------------------------------------------
# PyTorch half
# ---------------------------------------------------------------------------------------------

def read_idx_gz(path, header_bytes):
    import numpy as np

    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def load_fashion_mnist():
    """(train images, train labels, test images, test labels): float32 in [0, 1], int64."""
    import numpy as np

    def images(name):
        raw = read_idx_gz(DATA_DIR / name, 16)
        return raw.reshape(-1, 784).astype(np.float32) / np.float32(255.0)

    def labels(name):
        return read_idx_gz(DATA_DIR / name, 8).astype(np.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def torch_spec(hidden, batch, optimizer, epochs, threads, train_samples=FULL_TRAIN,
               dropout=0.0, input_dropout=0.0, batch_norm=None, max_norm=None, seed=1,
               eval_batch=EVAL_BATCH, op_threads=None, arch="mlp"):
    """A PyTorch worker spec.

    arch: "mlp" (Glorot-uniform Linear layers 784-hidden-10 with ReLU) or "lenet" (the network of
    configs/models/lenet5.yaml, He-uniform, see build_lenet; hidden is ignored).
    hidden: hidden widths; dropout / input_dropout: drop probabilities (PyTorch `p`) after every
    hidden activation (lenet: in each hidden block's post-activation slot, as reglab's
    `layers: all`) / on the inputs; batch_norm: None or {"momentum", "eps"} (BatchNorm1d, or
    BatchNorm2d after a convolution, between each hidden weight layer and its ReLU); max_norm:
    None or c (each Linear weight's rows, a unit's incoming weights, renormalised to norm <= c
    after every step; mlp only); optimizer: {"name": "adam", "lr"} or {"name": "sgd", "lr",
    "momentum"}; threads: OpenBLAS threads; op_threads: PyTorch's intra-op (OpenMP) threads,
    default `threads`; train_samples: the first N training images."""
    if arch not in ("mlp", "lenet"):
        raise ValueError(f"unknown arch {arch}")
    if arch == "lenet" and max_norm is not None:
        raise ValueError("max_norm is implemented for arch mlp only")
    return {"arch": arch, "hidden": list(hidden), "batch": batch, "eval_batch": eval_batch,
            "optimizer": optimizer, "epochs": epochs, "threads": threads,
            "op_threads": op_threads or threads,
            "train_samples": train_samples, "dropout": dropout, "input_dropout": input_dropout,
            "batch_norm": batch_norm, "max_norm": max_norm, "seed": seed}


def build_lenet(spec):
    """configs/models/lenet5.yaml in PyTorch, on N x 1 x 28 x 28 inputs:
    conv 32@5x5 pad 2, ReLU, max-pool 2, conv 64@5x5 pad 2, ReLU, max-pool 2, flatten
    (channel-major, as reglab), dense 128, ReLU, dense 10.

    Optional batch norm right after each hidden convolution (BatchNorm2d, per channel) or dense
    layer (BatchNorm1d); optional dropout in each hidden block's post-activation slot, where
    reglab's dropout with `layers: all` puts it: after the pooling of each convolution block
    (before the next weight layer) and after the ReLU of the hidden dense layer. Kernels
    He-uniform as reglab's he_uniform, U(-l, l) with l = sqrt(6 / fan_in) and fan_in = in k k for
    a convolution (kaiming_uniform_ with the ReLU gain: sqrt(2) sqrt(3 / fan_in)); biases zero.
    The convolutions run through PyTorch's default CPU path (oneDNN for these shapes)."""
    from torch import nn

    bn = spec["batch_norm"]
    layers = []
    if spec["input_dropout"] > 0:
        layers.append(nn.Dropout(spec["input_dropout"]))
    channels = 1
    for filters in (32, 64):
        layers.append(nn.Conv2d(channels, filters, 5, padding=2))
        if bn is not None:
            layers.append(nn.BatchNorm2d(filters, momentum=bn["momentum"], eps=bn["eps"]))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        if spec["dropout"] > 0:
            layers.append(nn.Dropout(spec["dropout"]))
        channels = filters
    layers += [nn.Flatten(), nn.Linear(64 * 7 * 7, 128)]
    if bn is not None:
        layers.append(nn.BatchNorm1d(128, momentum=bn["momentum"], eps=bn["eps"]))
    layers.append(nn.ReLU())
    if spec["dropout"] > 0:
        layers.append(nn.Dropout(spec["dropout"]))
    layers.append(nn.Linear(128, 10))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_uniform_(m.weight, a=0.0, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return model


def build_torch_model(spec):
    from torch import nn

    if spec.get("arch", "mlp") == "lenet":
        return build_lenet(spec)
    layers = []
    if spec["input_dropout"] > 0:
        layers.append(nn.Dropout(spec["input_dropout"]))
    width = 784
    for h in spec["hidden"]:
        layers.append(nn.Linear(width, h))
        if spec["batch_norm"] is not None:
            layers.append(nn.BatchNorm1d(h, momentum=spec["batch_norm"]["momentum"],
                                         eps=spec["batch_norm"]["eps"]))
        layers.append(nn.ReLU())
        if spec["dropout"] > 0:
            layers.append(nn.Dropout(spec["dropout"]))
        width = h
    layers.append(nn.Linear(width, 10))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)  # Glorot uniform, limit sqrt(6 / (fan_in + fan_out))
            nn.init.zeros_(m.bias)
    return model


def torch_worker(spec):
    """Trains spec's network in PyTorch and prints the timings as JSON (runs in the child)."""
    import ctypes

    import torch
    from torch import nn

    threads = spec["threads"]
    torch.set_num_threads(spec.get("op_threads") or threads)
    torch.set_num_interop_threads(1)
    try:  # the OpenBLAS Debian's PyTorch calls for its matrix products
        openblas = ctypes.CDLL("libopenblas.so.0")
        openblas.openblas_set_num_threads(threads)
        blas_threads = openblas.openblas_get_num_threads()
        openblas.openblas_get_corename.restype = ctypes.c_char_p
        blas_core = openblas.openblas_get_corename().decode()
    except OSError:
        blas_threads = blas_core = None
    torch.manual_seed(spec["seed"])

    # One float copy of the data set in memory: the arrays load_fashion_mnist returns own their
    # (writable) memory, so from_numpy shares it, and the first n rows are a view.
    xtr, ytr, xte, yte = (torch.from_numpy(a) for a in load_fashion_mnist())
    assert xtr.shape == (FULL_TRAIN, 784) and xte.shape[0] == TEST_SAMPLES
    n = spec["train_samples"]
    xtr, ytr = xtr[:n], ytr[:n]
    if spec.get("arch", "mlp") == "lenet":  # NCHW views of the same rows
        xtr, xte = xtr.view(-1, 1, 28, 28), xte.view(-1, 1, 28, 28)

    model = build_torch_model(spec)
    o = spec["optimizer"]
    if o["name"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=o["lr"])
    elif o["name"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o.get("momentum", 0.0))
    else:
        raise ValueError(f"unknown optimizer {o['name']}")
    linears = [m for m in model if isinstance(m, nn.Linear)]
    max_norm = spec["max_norm"]
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(spec["seed"])
    batch, eval_batch = spec["batch"], spec["eval_batch"]
    # reglab skips a final training batch of one sample (batch statistics need two); so does this
    batches = -(-n // batch)
    if batches > 1 and n % batch == 1:
        batches -= 1

    def evaluate(x, y):
        model.eval()
        loss_sum, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, x.shape[0], eval_batch):
                logits = model(x[i:i + eval_batch])
                yb = y[i:i + eval_batch]
                loss_sum += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
                correct += int((logits.argmax(dim=1) == yb).sum())
        return loss_sum / x.shape[0], correct / x.shape[0]

    train_s, full_s, test_acc = [], [], []
    for _ in range(spec["epochs"]):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        for b in range(batches):
            idx = perm[b * batch:(b + 1) * batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            if max_norm is not None:
                with torch.no_grad():
                    for m in linears:
                        m.weight.renorm_(2, 0, max_norm)
        t1 = time.perf_counter()
        evaluate(xtr, ytr)
        _, acc = evaluate(xte, yte)
        t2 = time.perf_counter()
        train_s.append(t1 - t0)
        full_s.append(t2 - t0)
        test_acc.append(acc)
    result = {"train_seconds": train_s, "epoch_seconds": full_s, "test_accuracy": test_acc[-1],
              "test_accuracy_curve": test_acc, "torch_version": torch.__version__,
              "torch_threads": torch.get_num_threads(), "openblas_threads": blas_threads,
              "openblas_core": blas_core}
    if spec.get("arch", "mlp") == "lenet":
        result["conv_ops"] = conv_ops(model, xtr[:batch], ytr[:batch], loss_fn)
    json.dump(result, sys.stdout)


def conv_ops(model, x, y, loss_fn):
    """The operators PyTorch ran for the convolutions of one training step (after the timed
    epochs): aten::mkldnn_convolution and its backward are oneDNN, aten::thnn_conv2d /
    slow_conv2d the im2col + BLAS path."""
    import torch

    model.train()
    with torch.autograd.profiler.profile() as prof:
        loss_fn(model(x), y).backward()
    return sorted({e.name for e in prof.function_events
                   if "conv" in e.name and e.name not in ("aten::conv2d", "aten::convolution",
                                                          "aten::_convolution")})


def run_torch(spec, core=None):
    """Runs torch_worker(spec) in a child process, with OPENBLAS_CORETYPE `core` (see
    threaded_env); adds its peak RSS and the core setting."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--torch-worker", json.dumps(spec)]
    env = threaded_env(spec["threads"], spec.get("op_threads"), core)
    code, out, err, rss, wall = run_measured(cmd, env=env)
    if code != 0:
        raise RuntimeError(f"PyTorch worker exited with {code}:\n{err}")
    result = json.loads(out)
    result["peak_rss_mib"] = rss
    result["process_seconds"] = wall
    result["openblas_coretype"] = env.get("OPENBLAS_CORETYPE", AUTO_CORE)
    return result


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------

def summarise(name, threads, results, key, train_samples):
    """Median and spread of the epoch times pooled over every repeat."""
    secs = [s for r in results for s in r[key]]
    med = statistics.median(secs)
    accs = [r["test_accuracy"] for r in results]
    return {"framework": name, "threads": threads, "median_seconds": med,
            "min_seconds": min(secs), "max_seconds": max(secs),
            "samples_per_second": train_samples / med,
            "test_accuracy": statistics.mean(accs), "test_accuracy_all": accs,
            "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
            "epoch_seconds_all": [r[key] for r in results]}


def format_table(header, lines, markdown=False):
    """Text lines of an aligned table (first column left-aligned) or a markdown table."""
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return out
    rows = [tuple(header)] + [tuple(line) for line in lines]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = []
    for j, row in enumerate(rows):
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))))
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def row_cells(r):
    """The printed cells of a summarise() row."""
    return (r["framework"], str(r["threads"]), f"{r['median_seconds']:.3f}",
            f"{r['min_seconds']:.3f}-{r['max_seconds']:.3f}", f"{r['samples_per_second']:,.0f}",
            f"{r['test_accuracy']:.4f}", f"{r['peak_rss_mib']:.0f} MiB")


ROW_HEADER = ("framework", "thr", "s/epoch (median)", "min-max", "samples/s", "test acc",
              "peak RSS")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--torch-worker":
        torch_worker(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: common.py --torch-worker SPEC_JSON (started by the benchmarks)")
