#!/usr/bin/python3
"""Agreement of reglab and PyTorch on a LeNet-style CNN with dropout: same network, same
training images, independent seeds; do the mean test accuracies agree?

The network is configs/models/lenet5.yaml (conv 32@5x5 same, ReLU, max-pool 2, conv 64@5x5 same,
ReLU, max-pool 2, flatten, dense 128, ReLU, dense 10; He-uniform kernels, zero biases) with
dropout of rate 0.5 in every hidden block's post-activation slot, where reglab's
`{name: dropout, rate: 0.5}` (`layers: all`) puts it: after max_pool_0, after max_pool_1 (before
the flatten) and after the ReLU of dense_0. PyTorch builds the same stack
(tools/bench/common.py, build_lenet) with nn.Dropout(0.5) in those three places. Both train with
SGD (momentum 0.9, lr 0.05, batch 64) for --epochs epochs on the FIRST --train-samples images of
Fashion-MNIST's training set, and are tested on its 10,000 test images.

Same images, not the same draws. reglab's `data.train_size` draws a random subset per seed, so
the script writes the first N images and labels to IDX files in $TMPDIR/reglab-agree-cnn (kept,
47 MB at most, rewritten only if they differ) and gives them to reglab as an `idx` dataset (with
the original test files); PyTorch slices the same N rows.
(With N = 60000 both use the whole training set and reglab reads the `fashion-mnist` dataset.)
Within that set each framework draws its own initial weights, batch order and dropout masks from
its own seed: the runs are independent samples of "this recipe trained on these images", and the
test is whether the two frameworks' means differ by more than chance.

Test. For each framework the mean and standard error (sample sd / sqrt(seeds)) of the final test
accuracy over --seeds seeds; the frameworks agree when |mean_reglab - mean_pytorch| <= 3 SE_diff,
SE_diff = sqrt(SE_reglab^2 + SE_pytorch^2) (Welch's standard error of the difference; its
degrees of freedom are printed for reference). Exit status 0 on agreement, 1 on disagreement,
2 on a usage or run error.

Threads: reglab `threads=--threads`; PyTorch --threads OpenBLAS threads with one intra-op thread
(its fastest setting on this 2-core host in tools/bench/suite.py's benchmark (e)).

Usage (Debian's interpreter, which has python3-torch, h5py and numpy):
    /usr/bin/python3 tools/bench/agree_cnn.py [--seeds 1,2,3] [--epochs 3] [--train-samples 20000]
        [--threads 2] [--eval-batch 100] [--json results/agree-cnn.json]
About 10 minutes with the defaults on an otherwise idle 2-core machine (12-15 with another
job running).
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (tools/bench/common.py: the shared measuring code)

MODEL = common.REPO / "configs" / "models" / "lenet5.yaml"
DROPOUT = 0.5
LR = 0.05
MOMENTUM = 0.9
BATCH = 64
SUBSET_DIR = Path(tempfile.gettempdir()) / "reglab-agree-cnn"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def write_idx_subset(n):
    """The first n training images and labels as raw IDX files; returns their paths.

    The folder is the same on every call (SUBSET_DIR): reglab mixes the run's arm, a hash of its
    configuration that includes the data files' paths, into its dropout streams, so a fixed path
    makes a rerun draw the same masks and reproduce its accuracies."""
    import numpy as np

    images = common.read_idx_gz(common.DATA_DIR / "train-images-idx3-ubyte.gz", 16)
    labels = common.read_idx_gz(common.DATA_DIR / "train-labels-idx1-ubyte.gz", 8)
    SUBSET_DIR.mkdir(parents=True, exist_ok=True)
    img_path = SUBSET_DIR / f"train-images-first{n}-idx3-ubyte"
    lab_path = SUBSET_DIR / f"train-labels-first{n}-idx1-ubyte"
    # IDX: magic 0x00000803 (uint8, 3 dims) / 0x00000801, then big-endian int32 dimensions
    for path, data in ((img_path, np.array([0x803, n, 28, 28], dtype=">i4").tobytes()
                        + images[:n * 784].tobytes()),
                       (lab_path, np.array([0x801, n], dtype=">i4").tobytes()
                        + labels[:n].tobytes())):
        if not path.is_file() or path.read_bytes() != data:
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(path)
    return img_path, lab_path


def reglab_config(folder, n, epochs, eval_batch):
    """The reglab run as a YAML file in folder (JSON is YAML); returns its path."""
    if n == common.FULL_TRAIN:
        data = {"dataset": "fashion-mnist", "validation_size": 0}
    else:
        img, lab = write_idx_subset(n)
        data = {"dataset": "idx", "train_images": str(img), "train_labels": str(lab),
                "test_images": str(common.DATA_DIR / "t10k-images-idx3-ubyte.gz"),
                "test_labels": str(common.DATA_DIR / "t10k-labels-idx1-ubyte.gz"),
                "classes": 10, "validation_size": 0}
    config = {
        "name": "agree-cnn", "seed": 1, "threads": 1, "include": [str(MODEL)], "data": data,
        "optimizer": {"name": "sgd", "learning_rate": LR, "momentum": MOMENTUM},
        "train": {"epochs": epochs, "batch_size": BATCH, "eval_batch_size": eval_batch,
                  "checkpoint_every": 0},
        "regularizers": [{"name": "dropout", "rate": DROPOUT}],
        "output": str(Path(folder) / "agree-cnn.h5"),
    }
    path = Path(folder) / "agree-cnn.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def run_reglab(binary, config, seed, threads, epochs, folder):
    import h5py

    output = Path(folder) / f"reglab-seed{seed}.h5"
    cmd = [str(binary), "run", str(config), f"seed={seed}", f"threads={threads}",
           f"output={output}", "--overwrite", "-q"]
    code, out, err, rss, wall = common.run_measured(cmd, cwd=str(common.REPO))
    if code != 0:
        raise RuntimeError(f"reglab exited with {code}:\n{' '.join(cmd)}\n{out}{err}")
    with h5py.File(output, "r") as f:
        (run_id,) = list(f["runs"].keys())
        run = f["runs"][run_id]
        status = run.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else str(status)
        if status != "complete":
            raise RuntimeError(f"{output}: reglab run status {status}")
        curve = [float(a) for a in run["curves"]["test_accuracy"][()]]
        seconds = [float(s) for s in run["curves"]["seconds"][()]]
        train_acc = float(run["curves"]["train_accuracy"][()][-1])
    if len(curve) != epochs:
        raise RuntimeError(f"{output}: {len(curve)} epochs stored, expected {epochs}")
    output.unlink()
    return {"seed": seed, "test_accuracy": curve[-1], "test_accuracy_curve": curve,
            "train_accuracy": train_acc, "epoch_seconds": seconds, "peak_rss_mib": rss,
            "process_seconds": wall, "run_id": run_id}


def run_torch(seed, threads, epochs, n, eval_batch):
    spec = common.torch_spec([], BATCH, {"name": "sgd", "lr": LR, "momentum": MOMENTUM},
                             epochs=epochs, threads=threads, op_threads=1, train_samples=n,
                             dropout=DROPOUT, seed=seed, eval_batch=eval_batch, arch="lenet")
    r = common.run_torch(spec)
    r["seed"] = seed
    return r


def stats(values):
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd, sd / math.sqrt(len(values))


def welch(a, b):
    """(difference of means, its standard error, Welch-Satterthwaite degrees of freedom)."""
    ma, sa, sea = stats(a)
    mb, sb, seb = stats(b)
    se = math.sqrt(sea ** 2 + seb ** 2)
    den = ((sea ** 4 / (len(a) - 1) if len(a) > 1 else 0.0)
           + (seb ** 4 / (len(b) - 1) if len(b) > 1 else 0.0))
    dof = se ** 4 / den if den > 0 else float("inf")
    return ma - mb, se, dof


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3",
                    help="comma-separated seeds, the same list for both frameworks (default 1,2,3)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train-samples", type=int, default=20000,
                    help="the first N training images (default 20000; 60000 = all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-batch", type=int, default=100,
                    help="evaluation batch on both sides (default 100; does not change results)")
    ap.add_argument("--sigmas", type=float, default=3.0,
                    help="agreement bound in standard errors of the difference (default 3)")
    ap.add_argument("--reglab", default=str(common.DEFAULT_BINARY), help="reglab binary")
    ap.add_argument("--json", metavar="PATH", help="save every number as JSON")
    args = ap.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        ap.error(f"bad seed list '{args.seeds}'")
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        ap.error("--seeds needs at least two distinct seeds (a standard error needs two runs)")
    if args.epochs < 1 or args.threads < 1 or args.eval_batch < 1:
        ap.error("--epochs, --threads and --eval-batch must be >= 1")
    if not 2 <= args.train_samples <= common.FULL_TRAIN:
        ap.error(f"--train-samples must be in [2, {common.FULL_TRAIN}]")
    if not Path(args.reglab).is_file():
        ap.error(f"no reglab binary at {args.reglab} (build it first, or pass --reglab)")

    common.pin_blas_core()
    version = subprocess.run([args.reglab, "version"], capture_output=True,
                             text=True).stdout.split("\n")[0]
    before = common.machine_info()
    log(f"load average {before['load_average'][0]:.2f}")
    t0 = time.perf_counter()
    results = {"reglab": [], "pytorch": []}
    try:
        with tempfile.TemporaryDirectory(prefix="reglab-agree-") as tmp:
            config = reglab_config(tmp, args.train_samples, args.epochs, args.eval_batch)
            for seed in seeds:  # interleaved, so both see similar load
                log(f"seed {seed}: reglab ...")
                r = run_reglab(args.reglab, config, seed, args.threads, args.epochs, tmp)
                log(f"  test accuracy {r['test_accuracy']:.4f} ({r['process_seconds']:.0f} s)")
                results["reglab"].append(r)
                log(f"seed {seed}: PyTorch ...")
                r = run_torch(seed, args.threads, args.epochs, args.train_samples,
                              args.eval_batch)
                log(f"  test accuracy {r['test_accuracy']:.4f} ({r['process_seconds']:.0f} s)")
                results["pytorch"].append(r)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    after = common.machine_info()

    acc = {fw: [r["test_accuracy"] for r in rs] for fw, rs in results.items()}
    diff, se, dof = welch(acc["reglab"], acc["pytorch"])
    agree = abs(diff) <= args.sigmas * se
    print(f"LeNet-style CNN + dropout {DROPOUT} (conv blocks and dense_0), SGD lr {LR} momentum "
          f"{MOMENTUM}, batch {BATCH}, {args.epochs} epoch(s) on the first {args.train_samples} "
          f"Fashion-MNIST training images; {len(seeds)} seeds each; load average "
          f"{before['load_average'][0]:.2f} before, {after['load_average'][0]:.2f} after; "
          f"{time.perf_counter() - t0:.0f} s; {version}\n")
    lines = []
    for fw, rs in results.items():
        mean, sd, sem = stats(acc[fw])
        per_seed = ", ".join(f"{r['test_accuracy']:.4f}" for r in rs)
        curve = ", ".join(f"{statistics.mean(r['test_accuracy_curve'][e] for r in rs):.4f}"
                          for e in range(args.epochs))
        lines.append((fw, f"{mean:.4f}", f"{sd:.4f}", f"{sem:.4f}", per_seed, curve))
    for line in common.format_table(("framework", "mean test acc", "sd", "SE", "per seed",
                                     "mean per epoch"), lines):
        print(line)
    verdict = "AGREE" if agree else "DISAGREE"
    print(f"\ndifference reglab - PyTorch {diff:+.4f}, SE {se:.4f} (Welch df {dof:.1f}); "
          f"|difference| = {abs(diff) / se if se > 0 else float('inf'):.2f} SE "
          f"{'<=' if agree else '>'} {args.sigmas:g} SE: {verdict}")
    if args.json:
        report = {"benchmark": "agree_cnn", "args": vars(args), "reglab_version": version,
                  "seeds": seeds,
                  "results": results, "difference": diff, "se_difference": se,
                  "welch_dof": dof, "agree": agree, "machine_before": before,
                  "machine_after": after}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
