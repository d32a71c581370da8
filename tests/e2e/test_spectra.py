"""Spectral diagnostics (framework/train/spectra.hpp) checked against an independent numpy
computation on the weights stored in the results file, and the plot of alpha and stable rank
against the generalisation gap.

    /usr/bin/python3 tests/e2e/test_spectra.py PATH_TO_REGLAB

Trains a 2-seed sweep on Fashion-MNIST with `diagnostics: {spectra: true}`; for every run and
dense kernel the final epoch's spectral_norm, stable_rank and alpha curves must equal numpy's
values (numpy.linalg.eigvalsh of the Gram matrix, the same power-law fit written out here) to
1e-6 relative; an epoch not measured (spectra_every) holds NaN. Prints ok / not ok lines and
"N passed, N failed"; exits 1 on a failure.
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

MIN_TAIL = 5
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    results["passed" if cond else "failed"] += 1
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else f"\n#   {detail}"))


def alpha_fit(eig):
    """Clauset-Shalizi-Newman: MLE alpha per x_min candidate, x_min by the smallest KS distance."""
    eig = np.sort(np.maximum(eig, 0.0))
    pos = eig[eig > 0]
    best = (np.inf, np.nan)
    for start in range(len(pos) - MIN_TAIL + 1):
        if start > 0 and pos[start] == pos[start - 1]:
            continue
        tail = pos[start:]
        log_sum = np.sum(np.log(tail / tail[0]))
        if log_sum <= 0:
            continue
        alpha = 1 + len(tail) / log_sum
        fit = 1 - (tail / tail[0]) ** (1 - alpha)
        d = np.max(np.abs(np.arange(1, len(tail) + 1) / len(tail) - fit))
        if d < best[0]:
            best = (d, alpha)
    return best[1]


def main():
    reglab = os.path.realpath(sys.argv[1])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "spectra.yaml")
        with open(cfg, "w") as f:
            f.write(f"""name: spectra
data: {{dataset: fashion-mnist, train_size: 2000, validation_size: 500}}
model: {{name: mlp, hidden: [64, 32]}}
optimizer: {{name: sgd, learning_rate: 0.05, momentum: 0.9}}
train: {{epochs: 3, batch_size: 50}}
diagnostics: {{spectra: true, spectra_every: 2}}
grid:
  regularizers: [[], [{{name: l2, lambda: 0.01}}]]
seeds: 2
output: {tmp}/spectra.h5
""")
        run = subprocess.run([reglab, "run", cfg, "--jobs", "2"], capture_output=True, text=True)
        check("the sweep with spectra runs", run.returncode == 0, run.stderr[-2000:])
        if run.returncode != 0:
            return
        with h5py.File(os.path.join(tmp, "spectra.h5"), "r") as f:
            worst = 0.0
            nan_ok = True
            for rid, r in f["runs"].items():
                for layer in ["dense_0", "dense_1", "dense_2"]:
                    w = r["weights"][layer]["kernel"][()].astype(np.float64)
                    gram = w.T @ w if w.shape[1] <= w.shape[0] else w @ w.T
                    eig = np.linalg.eigvalsh(gram)
                    want = {"spectral_norm": np.sqrt(eig.max()),
                            "stable_rank": eig.sum() / eig.max(),
                            "alpha": alpha_fit(eig)}
                    for name, value in want.items():
                        curve = r["curves"][f"{name}.{layer}"][()]
                        nan_ok = nan_ok and np.isnan(curve[0]) and np.isfinite(curve[1])
                        got = curve[-1]
                        worst = max(worst, abs(got - value) / max(abs(value), 1e-12))
            check("spectral norm, stable rank and alpha equal numpy's on the stored weights",
                  worst < 1e-6, f"worst relative difference {worst:.3g}")
            check("spectra_every: 2 measures epochs 2 and 3 (the last), epoch 1 holds NaN", nan_ok)
        plot = subprocess.run(["/usr/bin/python3", os.path.join(root, "tools", "plot.py"),
                               os.path.join(tmp, "spectra.h5"), "--out", os.path.join(tmp, "p")],
                              capture_output=True, text=True)
        made = os.path.exists(os.path.join(tmp, "p", "spectra_vs_gap.png"))
        check("tools/plot.py draws alpha and stable rank against the gap (spectra_vs_gap.png)",
              plot.returncode == 0 and made, plot.stderr[-2000:])
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
