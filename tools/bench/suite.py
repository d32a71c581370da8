#!/usr/bin/python3
"""reglab's benchmark suite against PyTorch, with a pass/miss line per performance target.

Benchmarks (identical networks, initialisation, batches, optimizers, regularizers and thread
counts on both sides; full Fashion-MNIST, 60,000 training and 10,000 test images):
  a   the Keras example, 784-128-10 ReLU, dropout 0.5, Adam 1e-3, batch 32
      (configs/keras-mlp.yaml)
  b   the dropout paper's 784-1024-1024-2048-10 ReLU, dropout 0.2 on the inputs and 0.5 on the
      hidden units, SGD momentum 0.95, lr 0.01, batch 100 (configs/bench/paper-dropout.yaml)
  c   (b) with batch normalisation before every hidden ReLU, momentum 0.1, eps 1e-5
      (configs/bench/paper-bn.yaml)
  bm  (b) with max-norm c = 3 on every layer (configs/bench/paper-dropout-maxnorm.yaml); not run
      unless named in --only
  d   reglab only: `reglab run configs/bench/sweep8.yaml` (8 cells of 784-256-10 on 10,000
      images) with --jobs 1 and --jobs 2; wall time of the whole command, merge included
  e   a LeNet-style CNN (configs/models/lenet5.yaml: conv 32@5x5 same, ReLU, max-pool 2,
      conv 64@5x5 same, ReLU, max-pool 2, dense 128, ReLU, dense 10), He-uniform, SGD momentum
      0.9, lr 0.05, batch 64, no regularizer (configs/bench/lenet.yaml); PyTorch's Conv2d runs
      through its default CPU path, oneDNN (each PyTorch row records the convolution operators
      it ran)
For a, b, c and bm the suite also times the GEMM-only lower bound of an epoch: the matrix
products of every training step and evaluation batch, with the same OpenBLAS at the same thread
count, at N > 1 threads the faster of OpenBLAS's own threads and N single-threaded blocks as
reglab runs them (tools/bench/gemm_bound.c, compiled on the fly with cc).

Peak. Once per suite run, at each thread count, tools/bench/peak_probe.c (compiled on the fly)
measures this machine's fp32 FMA peak: a register-resident FMA loop at the widest vector ISA
the CPU has (AVX-512, else AVX2 + FMA), all threads at once, best of 3 repeats of
--peak-seconds, each thread's flops over its own CPU time (so other processes on a shared
machine do not lower it) while the threads fit the CPUs. For a, b, c and bm the suite knows the
FLOPs of an epoch analytically from the layer widths and batches, gemm_bound.c's model: per
layer of k inputs and u units at batch m,
forward X W 2 m k u, and a training step adds dW 2 m k u (every layer) and dX 2 m k u (every
layer but the first); an evaluation batch is the forward only. reglab's GFLOP/s is those FLOPs
of the WHOLE epoch (training steps plus the evaluation of the train and test sets) over its
median epoch time, the time its `seconds` curve records; its "% of this machine's peak" is that
over the peak at the same thread count. Element-wise work (bias, activations, dropout, loss,
optimizer) is not counted, so 100 % is out of reach.

An epoch is what reglab's `seconds` curve measures: the training loop plus evaluation of the
train and test sets at batch 1000 (250 for e, as reglab's CNN configurations: a CNN keeps every
layer's feature maps per evaluation row, docs/models.md); the PyTorch side times the same
(tools/bench/common.py).
Every (framework, thread count) runs --repeats times, interleaved so all see similar load; the
median and min-max are over every epoch of every repeat. samples/s = training samples / median
s/epoch. The speed ratio of a target is PyTorch's best median against reglab's best median over
the thread counts; the GEMM bound and the peak fraction are taken at reglab's best thread count.

PyTorch's best. PyTorch's matrix products run in the same OpenBLAS (Debian's libblas.so.3).
reglab and the GEMM helper run at the OpenBLAS core reglab picks (OPENBLAS_CORETYPE=SkylakeX on
an AVX-512 CPU, Haswell on AVX2 + FMA, a user's value kept: common.pin_blas_core). PyTorch runs
at that core too; with --torch-cores it runs at each of {reglab's pick, Haswell (where the CPU
has AVX2 and FMA), unset (OpenBLAS's own detection)}, which triples its share of the run time,
so it is not the default. At N > 1 threads each core runs twice: N intra-op threads with N
OpenBLAS threads, and one intra-op thread with N OpenBLAS threads ("(1 op thread)"), since on 2
cores PyTorch's OpenMP pool competes with OpenBLAS's threads. PyTorch's best is the fastest over
every core, setting and thread count; each PyTorch row names its core ("auto=NAME": unset, NAME
what OpenBLAS detected), and the best-vs-best line and the JSON report say which core and
threads won.

Note: a shell that sets OPENBLAS_CORETYPE (this workplace's sets Haswell) puts every framework
on that core; `env -u OPENBLAS_CORETYPE` measures at reglab's own pick.

Targets: (a) reglab >= 4x PyTorch's best and reglab's peak RSS <= 1/6 of PyTorch's; (b) >= 1.6x
PyTorch's best and reglab's epoch >= 50 % of the measured fp32 FMA peak of the cores it uses
(the peak at its best thread count); (d) jobs 1 / jobs 2 wall time >= 1.9; (e) reglab >= 1.5x
PyTorch's best. The GEMM bound / reglab line of (b) is printed as information.

Usage (Debian's interpreter, which has python3-torch, h5py and numpy):
    /usr/bin/python3 tools/bench/suite.py [--only a,b,c,d,e] [--threads 1,2] [--epochs E]
        [--repeats R] [--train-samples N] [--eval-batch B] [--torch-cores] [--peak-seconds S]
        [--json results/bench-suite.json]
--train-samples shrinks the training set of a, b, c, bm, e for quick checks (not a target
measurement); --eval-batch replaces the evaluation batch (1000; e 250) on both sides (a
diagnostic: the targets are defined at the benchmarks' own).
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (tools/bench/common.py: the shared measuring code)

REPO = common.REPO
CONFIGS = REPO / "configs"
PAPER_HIDDEN = [1024, 1024, 2048]
PAPER_SGD = {"name": "sgd", "lr": 0.01, "momentum": 0.95}

# key -> description, reglab config, hidden widths, batch, default epochs, PyTorch spec options
BENCHMARKS = {
    "a": {"title": "(a) Keras MLP 784-128-10, dropout 0.5, Adam 1e-3, batch 32",
          "config": CONFIGS / "keras-mlp.yaml", "hidden": [128], "batch": 32, "epochs": 5,
          "torch": {"optimizer": {"name": "adam", "lr": 1e-3}, "dropout": 0.5}},
    "b": {"title": "(b) paper MLP 784-1024-1024-2048-10, dropout 0.2/0.5, SGD 0.01 m0.95, "
                   "batch 100",
          "config": CONFIGS / "bench" / "paper-dropout.yaml", "hidden": PAPER_HIDDEN,
          "batch": 100, "epochs": 3,
          "torch": {"optimizer": PAPER_SGD, "dropout": 0.5, "input_dropout": 0.2}},
    "c": {"title": "(c) (b) + batch norm before each hidden ReLU (momentum 0.1, eps 1e-5)",
          "config": CONFIGS / "bench" / "paper-bn.yaml", "hidden": PAPER_HIDDEN, "batch": 100,
          "epochs": 3,
          "torch": {"optimizer": PAPER_SGD, "dropout": 0.5, "input_dropout": 0.2,
                    "batch_norm": {"momentum": 0.1, "eps": 1e-5}}},
    "bm": {"title": "(bm) (b) + max-norm c = 3 on every layer",
           "config": CONFIGS / "bench" / "paper-dropout-maxnorm.yaml", "hidden": PAPER_HIDDEN,
           "batch": 100, "epochs": 3,
           "torch": {"optimizer": PAPER_SGD, "dropout": 0.5, "input_dropout": 0.2,
                     "max_norm": 3.0}},
    "e": {"title": "(e) LeNet-style CNN conv32-pool-conv64-pool-128-10, SGD 0.05 m0.9, batch 64",
          "config": CONFIGS / "bench" / "lenet.yaml", "hidden": [], "batch": 64, "epochs": 2,
          "eval_batch": 250,  # as the config, like every CNN configuration (docs/models.md)
          "bound": False,  # the GEMM helper knows dense layers only
          "torch": {"optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
                    "arch": "lenet"}},
}
SWEEP_CONFIG = CONFIGS / "bench" / "sweep8.yaml"
TARGETS = {"a_speed": 4.0, "a_rss": 6.0, "b_speed": 1.6, "b_peak": 0.5, "d_jobs": 1.9,
           "e_speed": 1.5}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Helpers in C: the GEMM-only bound and the FMA peak
# ---------------------------------------------------------------------------------------------

def build_helper(tmpdir, name, libs=()):
    """Compiles tools/bench/NAME.c into tmpdir; returns the executable."""
    exe = Path(tmpdir) / name
    src = Path(__file__).resolve().parent / f"{name}.c"
    subprocess.run(["cc", "-O2", str(src), "-o", str(exe), *libs, "-lpthread"], check=True)
    return exe


def peak_probe(exe, threads, seconds):
    """This machine's fp32 FMA peak at `threads` threads (tools/bench/peak_probe.c: the widest
    vector ISA, best of 3 repeats of `seconds`, per thread CPU second while the threads fit the
    CPUs)."""
    out = subprocess.run([str(exe), str(threads), str(seconds)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def measure_peaks(threads, seconds, tmpdir):
    """{threads: peak_probe result} for every thread count, measured once per suite run."""
    exe = build_helper(tmpdir, "peak_probe")
    peaks = {}
    for t in threads:
        log(f"fp32 FMA peak at {t} thread(s) ...")
        peaks[t] = peak_probe(exe, t, seconds)
    return peaks


def epoch_counts(n, batch, eval_batch, test=common.TEST_SAMPLES):
    """{(KIND, BATCH): COUNT} of one epoch: the training steps ("t") as reglab batches them (a
    final batch of one sample is skipped) and the evaluation batches ("e") of the train and test
    sets."""
    counts = {}
    full, rest = divmod(n, batch)
    counts[("t", batch)] = full
    if rest > 1:
        counts[("t", rest)] = 1
    for size in (n, test):
        full, rest = divmod(size, eval_batch)
        counts[("e", eval_batch)] = counts.get(("e", eval_batch), 0) + full
        if rest:
            counts[("e", rest)] = counts.get(("e", rest), 0) + 1
    return {key: c for key, c in counts.items() if c > 0}


def epoch_entries(n, batch, eval_batch):
    """gemm_bound's KIND:BATCH:COUNT arguments of one epoch (epoch_counts)."""
    return [f"{k}:{b}:{c}" for (k, b), c in epoch_counts(n, batch, eval_batch).items()]


def mlp_epoch_flops(hidden, batch, n, eval_batch):
    """The matrix-product FLOPs of one MLP epoch, gemm_bound.c's model: for a layer of k inputs
    and u units at batch m, forward X W 2 m k u; a training step adds dW = X^T dY (2 m k u, every
    layer) and dX = dY W^T (2 m k u, every layer but the first); an evaluation batch is the
    forward only. The epoch is the training steps plus the evaluation of the train and test
    sets, as reglab's `seconds` curve."""
    dims = [784, *hidden, 10]

    def flops(m, train):
        total = 0.0
        for layer, (k, u) in enumerate(zip(dims, dims[1:])):
            mku = 2.0 * m * k * u
            total += mku + ((2.0 if layer > 0 else 1.0) * mku if train else 0.0)
        return total

    return sum(c * flops(b, kind == "t")
               for (kind, b), c in epoch_counts(n, batch, eval_batch).items())


def gemm_bound(exe, threads, hidden, batch, n, min_seconds, eval_batch):
    dims = ",".join(str(d) for d in [784, *hidden, 10])
    cmd = [str(exe), str(threads), str(min_seconds), dims,
           *epoch_entries(n, batch, eval_batch)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env=common.threaded_env(threads)).stdout
    return json.loads(out)


# ---------------------------------------------------------------------------------------------
# Framework comparisons (a, b, c, bm, e)
# ---------------------------------------------------------------------------------------------

def is_mlp(key):
    """Whether benchmark `key` is an MLP (a, b, c, bm): the GEMM helper and the analytic FLOPs
    know dense layers only."""
    return BENCHMARKS[key].get("bound", True)


def eval_batch_of(key, args):
    """The evaluation batch of benchmark `key`: --eval-batch, else the benchmark's own (its
    reglab config's: 1000, 250 for the CNN)."""
    return args.eval_batch or BENCHMARKS[key].get("eval_batch", common.EVAL_BATCH)


def torch_settings(threads, cores):
    """(core, one op thread?) of every PyTorch run at `threads`: each core with `threads` intra-op
    threads and, at threads > 1, with one intra-op thread."""
    return [(core, op1) for core in cores for op1 in ((False, True) if threads > 1 else (False,))]


def compare(keys, args, tmpdir):
    """Runs every benchmark in keys at every thread count, --repeats times; returns the raw
    results per (key, threads)."""
    need_bound = not args.no_bound and any(is_mlp(k) for k in keys)
    helper = build_helper(tmpdir, "gemm_bound", ["-lopenblas"]) if need_bound else None
    cores = common.torch_core_candidates(args.torch_cores)
    raw = {(k, t): {"reglab": [], "bound": [], "torch": {s: [] for s in torch_settings(t, cores)}}
           for k in keys for t in args.threads}
    for rep in range(args.repeats):
        bounds = {}  # (hidden, batch, threads) -> this repeat's bound, shared by b, c, bm
        for k in keys:
            bench = BENCHMARKS[k]
            epochs = args.epochs or bench["epochs"]
            n = args.train_samples or common.FULL_TRAIN
            overrides = [f"data.train_size={n}"] if n != common.FULL_TRAIN else []
            eval_batch = eval_batch_of(k, args)
            if eval_batch != bench.get("eval_batch", common.EVAL_BATCH):
                overrides.append(f"train.eval_batch_size={eval_batch}")
            for t in args.threads:
                tag = f"[repeat {rep + 1}/{args.repeats}] ({k}) {t} thread(s)"
                r = raw[(k, t)]
                if not args.torch_only:
                    log(f"{tag}: reglab ...")
                    r["reglab"].append(common.run_reglab(
                        args.reglab, bench["config"], t, epochs,
                        Path(tmpdir) / f"{k}-t{t}-r{rep}.h5", overrides))
                if not args.reglab_only:
                    for core, op1 in r["torch"]:
                        log(f"{tag}: PyTorch, OPENBLAS_CORETYPE {core}"
                            f"{', 1 intra-op thread' if op1 else ''} ...")
                        spec = common.torch_spec(bench["hidden"], bench["batch"], epochs=epochs,
                                                 threads=t, train_samples=n,
                                                 op_threads=1 if op1 else None,
                                                 eval_batch=eval_batch, **bench["torch"])
                        r["torch"][(core, op1)].append(common.run_torch(spec, core))
                if helper is not None and is_mlp(k):
                    bk = (tuple(bench["hidden"]), bench["batch"], t)
                    if bk not in bounds:
                        log(f"{tag}: GEMM bound ...")
                        bounds[bk] = gemm_bound(helper, t, bench["hidden"], bench["batch"], n,
                                                args.gemm_seconds, eval_batch)
                    r["bound"].append(bounds[bk])
    return raw


def torch_label(core, op1, results):
    """A PyTorch row's name: its core (auto: OpenBLAS's detection, and what it detected) and,
    for one intra-op thread, that."""
    if core == common.AUTO_CORE:
        core = f"auto={results[0].get('openblas_core') or '?'}"
    return f"pytorch [{core}]" + (" (1 op thread)" if op1 else "")


def torch_rows(t, runs, n, entry):
    """The PyTorch rows at t threads (every core and setting, plus the training loop alone at t
    intra-op threads); sets entry["pytorch"] to the fastest setting's row and
    entry["pytorch_setting"] to its name."""
    rows = []
    for (core, op1), results in runs.items():
        if not results:
            continue
        label = torch_label(core, op1, results)
        row = common.summarise(label, t, results, "epoch_seconds", n)
        row.update({"core": core, "openblas_core": results[0].get("openblas_core"),
                    "op_threads": 1 if op1 else t})
        rows.append(row)
        if "pytorch" not in entry or row["median_seconds"] < entry["pytorch"]["median_seconds"]:
            entry["pytorch"], entry["pytorch_setting"] = row, label
        if not op1:
            train = common.summarise(f"{label} (train only)", t, results, "train_seconds", n)
            train["train_only"] = True
            rows.append(train)
    return rows


def add_ratios(entry, flops, peak):
    """The speed ratio, GEMM-bound fractions and, where the FLOPs and the peak are known, each
    framework's epoch GFLOP/s and its fraction of the fp32 FMA peak at the same thread count."""
    if "reglab" in entry and "pytorch" in entry:
        entry["speed_ratio"] = (entry["pytorch"]["median_seconds"]
                                / entry["reglab"]["median_seconds"])
    for fw in ("reglab", "pytorch"):
        if fw not in entry:
            continue
        if "bound" in entry:
            entry[f"bound_fraction_{fw}"] = (entry["bound"]["median_seconds"]
                                             / entry[fw]["median_seconds"])
        if flops is not None:
            gflops = flops / entry[fw]["median_seconds"] * 1e-9
            entry[f"epoch_gflops_{fw}"] = gflops
            if peak and peak.get("peak_gflops"):
                entry[f"peak_fraction_{fw}"] = gflops / peak["peak_gflops"]


def summarise_compare(keys, raw, args, peaks):
    n = args.train_samples or common.FULL_TRAIN
    out = {}
    for k in keys:
        bench = BENCHMARKS[k]
        flops = (mlp_epoch_flops(bench["hidden"], bench["batch"], n, eval_batch_of(k, args))
                 if is_mlp(k) else None)
        rows, per_thread = [], {}
        for t in args.threads:
            r = raw[(k, t)]
            entry = {}
            if r["reglab"]:
                rows.append(common.summarise("reglab", t, r["reglab"], "epoch_seconds", n))
                entry["reglab"] = rows[-1]
            rows += torch_rows(t, r["torch"], n, entry)
            if r["bound"]:
                secs = [b["epoch_seconds"] for b in r["bound"]]
                entry["bound"] = {"median_seconds": statistics.median(secs),
                                  "min_seconds": min(secs), "max_seconds": max(secs),
                                  "runs": r["bound"]}
            add_ratios(entry, flops, peaks.get(t) if peaks else None)
            per_thread[t] = entry
        summary = {"title": bench["title"], "rows": rows, "per_threads": per_thread,
                   "epoch_gflop": None if flops is None else flops * 1e-9}
        conv_ops = sorted({op for t in args.threads for runs in raw[(k, t)]["torch"].values()
                           for r in runs for op in r.get("conv_ops", [])})
        if conv_ops:
            summary["torch_conv_ops"] = conv_ops
        summary.update(best_of(per_thread))
        out[k] = summary
    return out


def best_of(per_thread):
    """Each framework's best thread count, and the ratios taken there: speed (PyTorch's best
    median over reglab's), peak RSS (maxima over every thread count), and reglab's GEMM-bound and
    peak fractions at its best thread count."""
    best, out = {}, {}
    for fw in ("reglab", "pytorch"):
        have = [(e[fw]["median_seconds"], t) for t, e in per_thread.items() if fw in e]
        if have:
            best[fw] = min(have)
    if "reglab" in best:
        e = per_thread[best["reglab"][1]]
        out.update({"reglab_best_threads": best["reglab"][1],
                    "bound_fraction": e.get("bound_fraction_reglab"),
                    "epoch_gflops": e.get("epoch_gflops_reglab"),
                    "peak_fraction": e.get("peak_fraction_reglab")})
    if "pytorch" in best:
        out["pytorch_best_threads"] = best["pytorch"][1]
        e = per_thread[best["pytorch"][1]]
        out.update({"pytorch_best_setting": e["pytorch_setting"],
                    "pytorch_best_core": e["pytorch"]["core"],
                    "pytorch_best_op_threads": e["pytorch"]["op_threads"]})
    if len(best) == 2:
        out["speed_ratio_best"] = best["pytorch"][0] / best["reglab"][0]
        out["rss_ratio"] = (max(e["pytorch"]["peak_rss_mib"] for e in per_thread.values()
                                if "pytorch" in e)
                            / max(e["reglab"]["peak_rss_mib"] for e in per_thread.values()
                                  if "reglab" in e))
    return out


def ratio_parts(e, peak):
    """The printed ratios of one thread count's entry (see add_ratios)."""
    parts = []
    if "speed_ratio" in e:
        parts.append(f"reglab/PyTorch speed {e['speed_ratio']:.2f}x (vs {e['pytorch_setting']})")
    if "epoch_gflops_reglab" in e:
        text = f"reglab {e['epoch_gflops_reglab']:.1f} GFLOP/s"
        if "peak_fraction_reglab" in e:
            text += (f" = {100 * e['peak_fraction_reglab']:.0f} % of this machine's peak "
                     f"({peak['peak_gflops']:.0f} GFLOP/s {peak['widest_isa']})")
        parts.append(text)
    if "bound" in e:
        b = e["bound"]
        parts.append(f"GEMM bound {b['median_seconds']:.3f} s/epoch "
                     f"({b['min_seconds']:.3f}-{b['max_seconds']:.3f})")
        for fw in ("reglab", "pytorch"):
            if f"bound_fraction_{fw}" in e:
                parts.append(f"bound/{fw} {100 * e[f'bound_fraction_{fw}']:.0f} %")
    return parts


def print_compare(summary, n, epochs_of, repeats, eval_batch_of, peaks):
    for k, s in summary.items():
        print(f"\n{s['title']}\nFashion-MNIST {n} train / {common.TEST_SAMPLES} test, "
              f"{epochs_of(k)} epoch(s) x {repeats} repeat(s), "
              f"evaluation batch {eval_batch_of(k)}\n")
        for line in common.format_table(common.ROW_HEADER,
                                        [common.row_cells(r) for r in s["rows"]]):
            print(line)
        print()
        if s.get("epoch_gflop"):
            print(f"matrix products of one epoch (training steps + evaluation of the train and "
                  f"test sets): {s['epoch_gflop']:.1f} GFLOP")
        for t, e in s["per_threads"].items():
            print(f"{t} thread(s): " + "; ".join(ratio_parts(e, (peaks or {}).get(t))))
        if "torch_conv_ops" in s:
            print("PyTorch convolution operators: " + ", ".join(s["torch_conv_ops"]))
        if "speed_ratio_best" in s:
            print(f"best vs best: reglab at {s['reglab_best_threads']} thread(s), PyTorch's best "
                  f"{s['pytorch_best_setting']} at {s['pytorch_best_threads']} thread(s): "
                  f"{s['speed_ratio_best']:.2f}x; "
                  f"peak RSS PyTorch/reglab {s['rss_ratio']:.2f}")


def print_peaks(peaks):
    """One line per thread count: the fp32 FMA peak of each vector ISA."""
    print("\nfp32 FMA peak of this machine (tools/bench/peak_probe.c, best of 3 repeats; "
          "basis cpu_time: flops per thread CPU second)")
    for t, p in peaks.items():
        isas = ", ".join(f"{name} {v['gflops']:.0f}" for name, v in p["isas"].items())
        peak = "-" if p["peak_gflops"] is None else f"{p['peak_gflops']:.0f}"
        print(f"{t} thread(s): {isas} GFLOP/s; peak {peak} ({p['widest_isa']}, "
              f"basis {p['basis']})")


# ---------------------------------------------------------------------------------------------
# Sweep parallelism (d)
# ---------------------------------------------------------------------------------------------

def cell_seconds(path):
    """Sum of the training + evaluation seconds of every run in a merged sweep file."""
    import h5py

    with h5py.File(path, "r") as f:
        return sum(float(sum(f["runs"][r]["curves"]["seconds"][()])) for r in f["runs"])


def sweep(args, tmpdir):
    runs = {1: [], 2: []}
    overrides = [f"train.epochs={args.epochs}"] if args.epochs else []
    for rep in range(args.repeats):
        for jobs in (1, 2):
            log(f"[repeat {rep + 1}/{args.repeats}] (d) sweep8 --jobs {jobs} ...")
            out = Path(tmpdir) / f"sweep8-j{jobs}-r{rep}.h5"
            cmd = [str(args.reglab), "run", str(SWEEP_CONFIG), f"output={out}", *overrides,
                   "--jobs", str(jobs), "-q"]
            code, so, se, rss, wall = common.run_measured(cmd, cwd=str(REPO))
            if code != 0:
                raise RuntimeError(f"reglab sweep exited with {code}:\n{' '.join(cmd)}\n{so}{se}")
            runs[jobs].append({"wall_seconds": wall, "cell_seconds": cell_seconds(out)})
            out.unlink()
            shutil.rmtree(out.with_suffix(".cells"), ignore_errors=True)
    result = {}
    for jobs, rs in runs.items():
        walls = [r["wall_seconds"] for r in rs]
        result[f"jobs{jobs}"] = {"median_wall_seconds": statistics.median(walls),
                                 "min_wall_seconds": min(walls), "max_wall_seconds": max(walls),
                                 "median_cell_seconds": statistics.median(
                                     r["cell_seconds"] for r in rs),
                                 "runs": rs}
    result["speedup"] = (result["jobs1"]["median_wall_seconds"]
                         / result["jobs2"]["median_wall_seconds"])
    return result


def print_sweep(s):
    print("\n(d) sweep of 8 cells (configs/bench/sweep8.yaml), `reglab run --jobs J`\n")
    lines = []
    for jobs in (1, 2):
        j = s[f"jobs{jobs}"]
        lines.append((f"--jobs {jobs}", f"{j['median_wall_seconds']:.2f}",
                      f"{j['min_wall_seconds']:.2f}-{j['max_wall_seconds']:.2f}",
                      f"{j['median_cell_seconds']:.2f}"))
    for line in common.format_table(("reglab run", "wall s (median)", "min-max",
                                     "sum of cell epoch s"), lines):
        print(line)
    print(f"\nspeed-up from 2 jobs: {s['speedup']:.2f}x")


# ---------------------------------------------------------------------------------------------
# Targets and markdown
# ---------------------------------------------------------------------------------------------

def targets(summary, sweep_result):
    """(name, measured text, target text, PASS/MISS/n/a; "info" for a line without a target)."""
    def check(value, threshold):
        if threshold is None:
            return "info"
        return "n/a" if value is None else ("PASS" if value >= threshold else "MISS")

    a, b, e = summary.get("a", {}), summary.get("b", {}), summary.get("e", {})
    d = sweep_result["speedup"] if sweep_result else None
    items = [
        ("(a) speed reglab / PyTorch's best", a.get("speed_ratio_best"), "x", TARGETS["a_speed"]),
        ("(a) peak RSS PyTorch / reglab", a.get("rss_ratio"), "x", TARGETS["a_rss"]),
        ("(b) speed reglab / PyTorch's best", b.get("speed_ratio_best"), "x", TARGETS["b_speed"]),
        ("(b) reglab epoch GFLOP/s / fp32 FMA peak", b.get("peak_fraction"), "%",
         TARGETS["b_peak"]),
        ("(b) GEMM bound / reglab", b.get("bound_fraction"), "%", None),
        ("(d) wall time jobs 1 / jobs 2", d, "x", TARGETS["d_jobs"]),
        ("(e) speed reglab / PyTorch's best", e.get("speed_ratio_best"), "x", TARGETS["e_speed"]),
    ]
    out = []
    for name, value, unit, threshold in items:
        fmt = (lambda v: f"{100 * v:.0f} %") if unit == "%" else (lambda v: f"{v:.2f}x")
        out.append({"target": name, "value": value, "threshold": threshold,
                    "measured": "-" if value is None else fmt(value),
                    "wanted": "(information)" if threshold is None else f">= {fmt(threshold)}",
                    "result": check(value, threshold)})
    return out


def print_markdown(summary, sweep_result, target_rows, peaks):
    print("\n## Markdown\n")
    lines = []
    for k, s in summary.items():
        for r in s["rows"]:
            t = r["threads"]
            e = s["per_threads"][t]
            ratio = bound = peak = ""
            if r["framework"] == "reglab":
                ratio = f"{e['speed_ratio']:.2f}x" if "speed_ratio" in e else ""
                if "bound_fraction_reglab" in e:
                    bound = f"{100 * e['bound_fraction_reglab']:.0f} %"
                if "peak_fraction_reglab" in e:
                    peak = f"{100 * e['peak_fraction_reglab']:.0f} %"
            elif not r.get("train_only"):
                if "bound" in e:
                    bound = f"{100 * e['bound']['median_seconds'] / r['median_seconds']:.0f} %"
                peak_gflops = (peaks or {}).get(t, {}).get("peak_gflops")
                if s.get("epoch_gflop") and peak_gflops:
                    fraction = s["epoch_gflop"] / r["median_seconds"] / peak_gflops
                    peak = f"{100 * fraction:.0f} %"
            lines.append((f"({k})", r["framework"], str(t),
                          f"{r['median_seconds']:.3f} ({r['min_seconds']:.3f}-"
                          f"{r['max_seconds']:.3f})", f"{r['samples_per_second']:,.0f}",
                          f"{r['test_accuracy']:.4f}", f"{r['peak_rss_mib']:.0f} MiB", ratio,
                          bound, peak))
    if lines:
        for line in common.format_table(
                ("bench", "framework", "threads", "s/epoch (median, min-max)", "samples/s",
                 "test acc", "peak RSS", "reglab/PyTorch speed", "GEMM bound / time",
                 "% of fp32 FMA peak"),
                lines, markdown=True):
            print(line)
        print()
    if sweep_result:
        for line in common.format_table(
                ("(d) sweep8", "wall s (median, min-max)", "sum of cell epoch s"),
                [(f"--jobs {j}",
                  f"{sweep_result[f'jobs{j}']['median_wall_seconds']:.2f} "
                  f"({sweep_result[f'jobs{j}']['min_wall_seconds']:.2f}-"
                  f"{sweep_result[f'jobs{j}']['max_wall_seconds']:.2f})",
                  f"{sweep_result[f'jobs{j}']['median_cell_seconds']:.2f}") for j in (1, 2)],
                markdown=True):
            print(line)
        print()
    for line in common.format_table(("target", "measured", "wanted", "result"),
                                    [(t["target"], t["measured"], t["wanted"], t["result"])
                                     for t in target_rows], markdown=True):
        print(line)


# ---------------------------------------------------------------------------------------------

def parse_list(text, convert, what):
    try:
        values = [convert(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad {what} list '{text}'")
    if not values:
        raise argparse.ArgumentTypeError(f"empty {what} list")
    return values


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="a,b,c,d,e",
                    type=lambda s: parse_list(s, str.strip, "benchmark"),
                    help="benchmarks to run, comma-separated: a, b, c, bm, d, e "
                         "(default a,b,c,d,e)")
    ap.add_argument("--threads", default="1,2",
                    type=lambda s: parse_list(s, int, "thread"),
                    help="thread counts for a, b, c, bm, e, comma-separated (default 1,2)")
    ap.add_argument("--epochs", type=int, default=None,
                    help="epochs per run (default: a 5, b/c/bm 3, d its config's 5, e 2)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--train-samples", type=int, default=None,
                    help="training images for a, b, c, bm, e (default all 60000; quick checks)")
    ap.add_argument("--eval-batch", type=int, default=None,
                    help="evaluation batch of a, b, c, bm, e on both sides (default: 1000, "
                         "250 for e, the targets' definition; a diagnostic)")
    ap.add_argument("--gemm-seconds", type=float, default=1.0,
                    help="seconds of timed calls per shape group in the GEMM bound (default 1)")
    ap.add_argument("--peak-seconds", type=float, default=0.5,
                    help="seconds per repeat of the fp32 FMA peak probe, 3 repeats per vector "
                         "ISA and thread count (default 0.5; 0 skips the probe)")
    ap.add_argument("--torch-cores", action="store_true",
                    help="run PyTorch at every candidate OpenBLAS core (reglab's pick, Haswell, "
                         "OpenBLAS's own detection) instead of reglab's pick only; triples "
                         "PyTorch's run time")
    ap.add_argument("--json", metavar="PATH", help="save every number as JSON")
    ap.add_argument("--reglab", default=str(common.DEFAULT_BINARY), help="reglab binary")
    ap.add_argument("--no-bound", action="store_true", help="skip the GEMM bound")
    side = ap.add_mutually_exclusive_group()
    side.add_argument("--reglab-only", action="store_true", help="skip the PyTorch runs")
    side.add_argument("--torch-only", action="store_true", help="skip the reglab runs of a-c")
    args = ap.parse_args()
    unknown = [k for k in args.only if k not in BENCHMARKS and k != "d"]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}: choose from a, b, c, bm, d, e")
    if min(args.threads) < 1 or args.repeats < 1 or (args.epochs is not None and args.epochs < 1):
        ap.error("--threads, --epochs and --repeats must be >= 1")
    if args.eval_batch is not None and args.eval_batch < 1:
        ap.error("--eval-batch must be >= 1")
    if args.train_samples is not None and not 2 <= args.train_samples <= common.FULL_TRAIN:
        ap.error(f"--train-samples must be in [2, {common.FULL_TRAIN}]")
    if not Path(args.reglab).is_file():
        ap.error(f"no reglab binary at {args.reglab} (build it first, or pass --reglab)")

    core = common.pin_blas_core()
    log(f"OpenBLAS core: reglab {core or 'auto'}; PyTorch "
        f"{', '.join(common.torch_core_candidates(args.torch_cores))}")
    before = common.machine_info()
    log(f"load average {before['load_average'][0]:.2f}")
    if before["load_average"][0] > 1.5:
        log("warning: the machine is busy (load > 1.5); timings will be noisy and slow")

    keys = [k for k in BENCHMARKS if k in args.only]
    n = args.train_samples or common.FULL_TRAIN
    summary, sweep_result, peaks = {}, None, None
    with tempfile.TemporaryDirectory(prefix="reglab-bench-") as tmpdir:
        if args.peak_seconds > 0 and not args.torch_only and any(is_mlp(k) for k in keys):
            peaks = measure_peaks(args.threads, args.peak_seconds, tmpdir)
        if keys:
            summary = summarise_compare(keys, compare(keys, args, tmpdir), args, peaks)
        if "d" in args.only and not args.torch_only:
            sweep_result = sweep(args, tmpdir)
    after = common.machine_info()

    if summary:
        print_compare(summary, n, lambda k: args.epochs or BENCHMARKS[k]["epochs"], args.repeats,
                      lambda k: eval_batch_of(k, args), peaks)
    if peaks:
        print_peaks(peaks)
    if sweep_result:
        print_sweep(sweep_result)
    target_rows = targets(summary, sweep_result)
    caveats = [text for flag, text in ((args.train_samples, "training subset"),
                                       (args.eval_batch, f"evaluation batch {args.eval_batch}"))
               if flag]
    print(f"\nTargets{' (' + ', '.join(caveats) + ': NOT a target measurement)' if caveats else ''}"
          f"; load average {before['load_average'][0]:.2f} before, "
          f"{after['load_average'][0]:.2f} after\n")
    for line in common.format_table(("target", "measured", "wanted", "result"),
                                    [(t["target"], t["measured"], t["wanted"], t["result"])
                                     for t in target_rows]):
        print(line)
    print_markdown(summary, sweep_result, target_rows, peaks)

    if args.json:
        report = {"benchmark": "suite", "args": {k: v for k, v in vars(args).items()},
                  "train_samples": n, "benchmarks": summary, "sweep": sweep_result,
                  "fp32_peak": peaks, "openblas_core_reglab": core,
                  "targets": target_rows, "machine_before": before, "machine_after": after}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
