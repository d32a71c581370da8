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

Threads: reglab `threads=N`; PyTorch torch.set_num_threads(N) with its OpenBLAS pool at N
threads too (tools/bench/common.py).

Memory. Each framework runs in its own child process (the PyTorch half runs
tools/bench/common.py --torch-worker). Peak RSS is the child's ru_maxrss, taken from os.wait4 on
that child: the same kernel accounting getrusage(RUSAGE_CHILDREN) reports, but per child, so
repeats and the order of the two frameworks cannot mix their peaks (RUSAGE_CHILDREN keeps the
maximum over every child ever waited for).

Usage (Debian's interpreter, which has python3-torch, h5py and numpy):
    /usr/bin/python3 tools/bench/keras_mlp.py [--threads 1] [--epochs 10] [--repeats 1]
                                              [--json results/bench-keras-mlp.json]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (tools/bench/common.py: the shared measuring code)

REPO = common.REPO
DEFAULT_CONFIG = REPO / "configs" / "keras-mlp.yaml"
DEFAULT_BINARY = common.DEFAULT_BINARY
TRAIN_SAMPLES = common.FULL_TRAIN
BATCH = 32
LR = 1e-3
SEED = 1


def spec(threads, epochs):
    """The PyTorch twin of configs/keras-mlp.yaml."""
    return common.torch_spec([128], BATCH, {"name": "adam", "lr": LR}, epochs, threads,
                             dropout=0.5, seed=SEED)


def summarise(name, threads, results, key):
    return common.summarise(name, threads, results, key, TRAIN_SAMPLES)


def print_table(rows, ratio, ratio_train):
    for line in common.format_table(common.ROW_HEADER, [common.row_cells(r) for r in rows]):
        print(line)
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

    if args.torch_worker:  # kept for old command lines; the workers now run common.py
        common.torch_worker(spec(args.threads, args.epochs))
        return

    common.pin_blas_core()

    reglab_results, torch_results = [], []
    with tempfile.TemporaryDirectory(prefix="reglab-bench-") as tmpdir:
        for rep in range(args.repeats):  # interleaved so both see similar machine load
            if not args.torch_only:
                print(f"[repeat {rep + 1}/{args.repeats}] reglab ...", file=sys.stderr, flush=True)
                reglab_results.append(common.run_reglab(
                    args.reglab, args.config, args.threads, args.epochs,
                    Path(tmpdir) / f"reglab-r{rep}.h5"))
            print(f"[repeat {rep + 1}/{args.repeats}] PyTorch ...", file=sys.stderr, flush=True)
            torch_results.append(common.run_torch(spec(args.threads, args.epochs)))

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
            **common.machine_info(),
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
