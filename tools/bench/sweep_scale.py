#!/usr/bin/python3
"""Framework cost of a large sweep: a grid of tiny synthetic cells run with `reglab run --jobs J`.

Each cell trains one epoch of a few hundred synthetic samples, so almost all of the wall time is
reglab's own work: expanding the sweep, writing cell files, starting processes, loading data,
writing each cell's atomic results file, merging. The benchmark reports:

  wall             `reglab run SWEEP --jobs J` from start to the merged file (expansion, cells,
                   merge and the arm table included)
  cell seconds     the sum of the cells' own `seconds` curves (training and evaluation)
  per cell         the framework's time per cell, (wall x J - cell seconds) / cells: what a cell
                   costs beyond its own training, in worker time
  merge            a second `reglab merge` of the complete sweep (every cell file read, the sweep
                   file written again), its wall time and peak RSS
  incremental      a tenth of the cell files deleted and merged as missing, then the sweep run
                   again: only those cells run, and the merge adds them to the existing file
  status, report   `reglab status` and `reglab report` on the full sweep

Then it checks what must hold at any scale: every cell file is complete (no temporary files left,
each holds its run), and a sample of cells rerun alone by `reglab verify --cell ID` gives the same
curves and weights bitwise.

Usage: tools/bench/sweep_scale.py [--cells 10000] [--jobs 2] [--reglab build/reglab] [--keep DIR]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]

SWEEP = """name: scale
output: {output}
data: {{dataset: synthetic, train_samples: 256, test_samples: 128, features: 8, classes: 2}}
model: {{name: mlp, hidden: [8]}}
optimizer: {{name: sgd, learning_rate: 0.1}}
train: {{epochs: 1, batch_size: 32}}
grid:
  optimizer.learning_rate: [{rates}]
seeds: {seeds}
"""


def write_sweep(folder, cells, seeds):
    """A grid of cells // seeds learning rates x `seeds` seeds."""
    rates = ", ".join(f"{0.001 * (i + 1):.3f}" for i in range(cells // seeds))
    path = folder / "scale.yaml"
    path.write_text(SWEEP.format(output=folder / "scale.h5", rates=rates, seeds=seeds))
    return path


def timed(argv, **kwargs):
    """Runs argv under /usr/bin/time; returns (seconds, peak RSS in MB of argv's process,
    completed process). /usr/bin/time measures it because the rusage of a child of this Python
    process would count Python's own peak at the fork. Output goes through temporary files: a
    pipe nobody reads while waiting would stall a chatty child."""
    with tempfile.NamedTemporaryFile("w+") as rss, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + argv, stdout=out,
                              stderr=err, text=True, check=False, **kwargs)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        rss.seek(0)
        peak_kb = float(rss.read().strip().splitlines()[-1])
        return seconds, peak_kb / 1024.0, subprocess.CompletedProcess(
            argv, proc.returncode, out.read(), err.read())


def require_ok(proc, what):
    if proc.returncode != 0:
        sys.exit(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def cell_seconds(sweep_file):
    with h5py.File(sweep_file, "r") as f:
        runs = f["runs"]
        return sum(float(np.nansum(runs[k]["curves"]["seconds"][()])) for k in runs), len(runs)


def check_cells(cell_dir, expected):
    """Every cell file opens and holds its run; no temporary file is left."""
    leftovers = [p.name for p in cell_dir.iterdir() if ".tmp." in p.name]
    files = sorted(cell_dir.glob("*.h5"))
    bad = []
    for p in files:
        with h5py.File(p, "r") as f:
            if list(f["runs"].keys()) != [p.stem]:
                bad.append(p.name)
    return {"cell_files": len(files), "expected": expected, "unreadable_or_wrong": bad,
            "temporary_files_left": leftovers}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=10000, help="cells in the sweep (multiple of 10 x seeds)")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--verify", type=int, default=20, help="cells rerun alone and compared bitwise")
    ap.add_argument("--reglab", default=str(REPO / "build" / "reglab"))
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    ap.add_argument("--json", metavar="PATH", help="save the numbers as JSON")
    args = ap.parse_args()
    if args.cells % args.seeds != 0:
        sys.exit("--cells must be a multiple of --seeds")
    reglab = str(Path(args.reglab).resolve())

    tmp = None
    if args.keep:
        folder = Path(args.keep).resolve()
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="reglab-scale-")
        folder = Path(tmp.name)
    sweep = write_sweep(folder, args.cells, args.seeds)
    result = {"cells": args.cells, "jobs": args.jobs, "cpus": os.cpu_count()}

    wall, rss, proc = timed([reglab, "run", str(sweep), "--jobs", str(args.jobs)], cwd=folder)
    require_ok(proc, "reglab run")
    seconds, runs = cell_seconds(folder / "scale.h5")
    result.update(wall_seconds=wall, cell_seconds=seconds, merged_runs=runs,
                  run_peak_rss_mb=rss,
                  framework_ms_per_cell=1000.0 * (wall * args.jobs - seconds) / args.cells)
    print(f"{args.cells} cells, --jobs {args.jobs}: wall {wall:.1f} s, cells' own seconds "
          f"{seconds:.2f} s, framework {result['framework_ms_per_cell']:.1f} ms per cell "
          f"(target <= 20); parent peak RSS {rss:.0f} MB", flush=True)

    merge, merge_rss, proc = timed([reglab, "merge", str(sweep)], cwd=folder)
    require_ok(proc, "reglab merge")
    status, _, proc = timed([reglab, "status", str(sweep)], cwd=folder)
    require_ok(proc, "reglab status")
    report, report_rss, proc = timed([reglab, "report", str(folder / "scale.h5")], cwd=folder)
    require_ok(proc, "reglab report")
    result.update(merge_seconds=merge, merge_peak_rss_mb=merge_rss, status_seconds=status,
                  report_seconds=report, report_peak_rss_mb=report_rss,
                  sweep_file_mb=(folder / "scale.h5").stat().st_size / 1e6)
    print(f"merge again: {merge:.1f} s, peak RSS {merge_rss:.0f} MB (sweep file "
          f"{result['sweep_file_mb']:.1f} MB); status {status:.1f} s; report {report:.1f} s, "
          f"peak RSS {report_rss:.0f} MB", flush=True)

    # Incremental: a tenth of the cells lose their files and a merge records them missing; the
    # rerun runs only those and adds them to the merged file.
    cell_dir = folder / "scale.cells"
    lost = sorted(cell_dir.glob("*.h5"))[:: 10]
    for p in lost:
        p.unlink()
    _, _, proc = timed([reglab, "merge", str(sweep)], cwd=folder)
    more, more_rss, proc = timed([reglab, "run", str(sweep), "--jobs", str(args.jobs)],
                                 cwd=folder)
    require_ok(proc, "reglab run (the missing tenth)")
    result.update(incremental_cells=len(lost), incremental_seconds=more,
                  incremental_peak_rss_mb=more_rss)
    print(f"rerun of {len(lost)} lost cells (run and merge into the existing file): {more:.1f} s, "
          f"peak RSS {more_rss:.0f} MB", flush=True)

    cells = check_cells(cell_dir, args.cells)
    result["cell_check"] = cells
    print(f"cell files: {cells['cell_files']} of {cells['expected']}, "
          f"{len(cells['unreadable_or_wrong'])} wrong, "
          f"{len(cells['temporary_files_left'])} temporary files left", flush=True)

    with h5py.File(folder / "scale.h5", "r") as f:
        ids = sorted(f["runs"].keys())
    sample = random.Random(1).sample(ids, min(args.verify, len(ids)))
    identical = 0
    for cell in sample:
        proc = subprocess.run([reglab, "verify", str(folder / "scale.h5"), "--cell", cell],
                              capture_output=True, text=True, cwd=folder)
        identical += proc.returncode == 0
    result.update(verified=len(sample), verified_identical=identical)
    print(f"verify: {identical} of {len(sample)} sampled cells rerun alone are bitwise identical")

    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    ok = (cells["cell_files"] == cells["expected"] and not cells["unreadable_or_wrong"]
          and not cells["temporary_files_left"] and identical == len(sample))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
