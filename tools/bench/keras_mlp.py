#!/usr/bin/python3
"""Benchmark reglab against PyTorch on the classic Keras dropout MLP (configs/keras-mlp.yaml).

Network: 784 -> Dense(128, relu) -> Dropout(0.5) -> Dense(10), Glorot-uniform kernels, zero
biases, Adam lr 1e-3, softmax cross-entropy, batch 32, full Fashion-MNIST (60,000 train, no
validation, 10,000 test). Both frameworks run at the same thread count.

Timing. reglab's per-epoch `seconds` curve covers the training loop plus evaluation of the train
and test sets (loss and accuracy, eval batch 1000). The PyTorch side times the same two things:
the training loop alone ("train only") and training plus a torch.no_grad() evaluation of the
train and test sets at batch 1000 ("train+eval"). The speed ratio compares like with like
(reglab `seconds` against PyTorch train+eval). Data loading is outside every timed region.

Memory. Each framework runs in its own child process (the PyTorch half re-runs this script with
--torch-worker). Peak RSS is the child's ru_maxrss, taken from os.wait4 on that child: the same
kernel accounting getrusage(RUSAGE_CHILDREN) reports, but per child, so repeats and the order of
the two frameworks cannot mix their peaks (RUSAGE_CHILDREN keeps the maximum over every child
ever waited for).

Usage (Debian's interpreter, which has python3-torch, h5py and numpy):
    /usr/bin/python3 tools/bench/keras_mlp.py [--threads 1] [--epochs 10] [--repeats 1]
                                              [--json results/bench-keras-mlp.json]
"""

import argparse
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
DEFAULT_CONFIG = REPO / "configs" / "keras-mlp.yaml"
DEFAULT_BINARY = REPO / "build" / "reglab"
DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
TRAIN_SAMPLES = 60000
BATCH = 32
EVAL_BATCH = 1000
LR = 1e-3
SEED = 1


# ---------------------------------------------------------------------------------------------
# Child processes with per-child resource usage
# ---------------------------------------------------------------------------------------------

def run_measured(cmd, env=None, cwd=None):
    """Runs cmd to completion; returns (exit code, stdout text, stderr text, peak RSS in MiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), usage.ru_maxrss / 1024.0)  # KiB -> MiB


# ---------------------------------------------------------------------------------------------
# reglab half
# ---------------------------------------------------------------------------------------------

def run_reglab(binary, config, threads, epochs, tmpdir, repeat):
    import h5py

    output = Path(tmpdir) / f"reglab-r{repeat}.h5"
    cmd = [str(binary), "run", str(config), f"output={output}", f"threads={threads}",
           f"train.epochs={epochs}", "--overwrite", "-q"]
    code, out, err, rss = run_measured(cmd, cwd=str(REPO))
    if code != 0:
        raise RuntimeError(f"reglab exited with {code}:\n{out}{err}")
    with h5py.File(output, "r") as f:
        runs = list(f["runs"].keys())
        if len(runs) != 1:
            raise RuntimeError(f"{output}: expected one run, found {runs}")
        curves = f["runs"][runs[0]]["curves"]
        seconds = [float(s) for s in curves["seconds"][()]]
        test_acc = float(curves["test_accuracy"][()][-1])
    output.unlink()
    return {"epoch_seconds": seconds, "test_accuracy": test_acc, "peak_rss_mib": rss,
            "run_id": runs[0]}


# ---------------------------------------------------------------------------------------------
# PyTorch half (runs inside the --torch-worker child)
# ---------------------------------------------------------------------------------------------

def read_idx_gz(path, header_bytes):
    import numpy as np

    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def load_fashion_mnist():
    import numpy as np

    def images(name):
        raw = read_idx_gz(DATA_DIR / name, 16)
        return (raw.reshape(-1, 784).astype(np.float32) / np.float32(255.0))

    def labels(name):
        return read_idx_gz(DATA_DIR / name, 8).astype(np.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def torch_worker(threads, epochs, seed):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(seed)

    xtr, ytr, xte, yte = (torch.from_numpy(a.copy()) for a in load_fashion_mnist())
    assert xtr.shape == (TRAIN_SAMPLES, 784) and xte.shape[0] == 10000

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)  # Glorot uniform, limit sqrt(6 / (fan_in + fan_out))
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)

    def evaluate(x, y):
        model.eval()
        loss_sum, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, x.shape[0], EVAL_BATCH):
                logits = model(x[i:i + EVAL_BATCH])
                yb = y[i:i + EVAL_BATCH]
                loss_sum += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
                correct += int((logits.argmax(dim=1) == yb).sum())
        return loss_sum / x.shape[0], correct / x.shape[0]

    train_s, full_s, test_acc = [], [], []
    n = xtr.shape[0]
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        t1 = time.perf_counter()
        evaluate(xtr, ytr)
        _, acc = evaluate(xte, yte)
        t2 = time.perf_counter()
        train_s.append(t1 - t0)
        full_s.append(t2 - t0)
        test_acc.append(acc)
    json.dump({"train_seconds": train_s, "epoch_seconds": full_s, "test_accuracy": test_acc[-1],
               "torch_version": torch.__version__, "torch_threads": torch.get_num_threads()},
              sys.stdout)


def run_torch(threads, epochs):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--torch-worker",
           "--threads", str(threads), "--epochs", str(epochs)]
    code, out, err, rss = run_measured(cmd)
    if code != 0:
        raise RuntimeError(f"PyTorch worker exited with {code}:\n{err}")
    result = json.loads(out)
    result["peak_rss_mib"] = rss
    return result


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------

def summarise(name, threads, results, key):
    secs = [s for r in results for s in r[key]]
    med = statistics.median(secs)
    accs = [r["test_accuracy"] for r in results]
    return {"framework": name, "threads": threads, "median_seconds": med,
            "min_seconds": min(secs), "max_seconds": max(secs),
            "samples_per_second": TRAIN_SAMPLES / med,
            "test_accuracy": statistics.mean(accs), "test_accuracy_all": accs,
            "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
            "epoch_seconds_all": [r[key] for r in results]}


def print_table(rows, ratio, ratio_train):
    header = ("framework", "thr", "s/epoch (median)", "min-max", "samples/s", "test acc",
              "peak RSS")
    lines = [header]
    for r in rows:
        lines.append((r["framework"], str(r["threads"]), f"{r['median_seconds']:.3f}",
                      f"{r['min_seconds']:.3f}-{r['max_seconds']:.3f}",
                      f"{r['samples_per_second']:,.0f}", f"{r['test_accuracy']:.4f}",
                      f"{r['peak_rss_mib']:.0f} MiB"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for j, line in enumerate(lines):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))
    if ratio is not None:
        print(f"\nreglab speed / PyTorch speed (both train+eval): {ratio:.2f}x")
        print(f"reglab train+eval vs PyTorch train only:        {ratio_train:.2f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--json", metavar="PATH", help="save the numbers as JSON")
    ap.add_argument("--reglab", default=str(DEFAULT_BINARY), help="reglab binary")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="reglab config")
    ap.add_argument("--torch-only", action="store_true", help="skip the reglab half")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads < 1 or args.epochs < 1 or args.repeats < 1:
        ap.error("--threads, --epochs and --repeats must be >= 1")

    if args.torch_worker:
        torch_worker(args.threads, args.epochs, SEED)
        return

    # reglab pins OpenBLAS to its Haswell kernels when OPENBLAS_CORETYPE is unset on an AVX2 CPU
    # (OpenBLAS 0.3.21 misdetects some recent CPUs); give PyTorch, which loads the same OpenBLAS,
    # the same kernels so both sides run like for like.
    if "OPENBLAS_CORETYPE" not in os.environ and "avx2" in Path("/proc/cpuinfo").read_text():
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"
        print("OPENBLAS_CORETYPE was unset: using Haswell for both frameworks", file=sys.stderr)

    reglab_results, torch_results = [], []
    with tempfile.TemporaryDirectory(prefix="reglab-bench-") as tmpdir:
        for rep in range(args.repeats):  # interleaved so both see similar machine load
            if not args.torch_only:
                print(f"[repeat {rep + 1}/{args.repeats}] reglab ...", file=sys.stderr, flush=True)
                reglab_results.append(run_reglab(args.reglab, args.config, args.threads,
                                                 args.epochs, tmpdir, rep))
            print(f"[repeat {rep + 1}/{args.repeats}] PyTorch ...", file=sys.stderr, flush=True)
            torch_results.append(run_torch(args.threads, args.epochs))

    rows = []
    if reglab_results:
        rows.append(summarise("reglab (train+eval)", args.threads, reglab_results,
                              "epoch_seconds"))
    rows.append(summarise("pytorch (train+eval)", args.threads, torch_results, "epoch_seconds"))
    rows.append(summarise("pytorch (train only)", args.threads, torch_results, "train_seconds"))
    ratio = ratio_train = None
    if reglab_results:
        ratio = rows[1]["median_seconds"] / rows[0]["median_seconds"]
        ratio_train = rows[2]["median_seconds"] / rows[0]["median_seconds"]

    print(f"Keras MLP 784-128-10, dropout 0.5, Adam 1e-3, batch {BATCH}, Fashion-MNIST "
          f"{TRAIN_SAMPLES} train / 10000 test; {args.epochs} epoch(s) x {args.repeats} "
          f"repeat(s); samples/s = {TRAIN_SAMPLES} / median s/epoch\n")
    print_table(rows, ratio, ratio_train)

    if args.json:
        report = {
            "benchmark": "keras-mlp", "config": str(args.config), "threads": args.threads,
            "epochs": args.epochs, "repeats": args.repeats, "batch_size": BATCH,
            "train_samples": TRAIN_SAMPLES, "rows": rows,
            "speed_ratio_reglab_over_pytorch": ratio,
            "speed_ratio_reglab_over_pytorch_train_only": ratio_train,
            "torch_version": torch_results[0].get("torch_version"),
            "reglab_run_id": reglab_results[0]["run_id"] if reglab_results else None,
            "host": platform.node(), "cpu_count": os.cpu_count(),
            "load_average": os.getloadavg(),
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
            "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
