#!/usr/bin/python3
"""Prints one line per run found in reglab results files: final and best-validation accuracies
and the generalisation gap (train minus test accuracy).

Usage: /usr/bin/python3 tools/summarize.py results/core/*.h5
"""
import sys

import h5py


def rows(path):
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "reglab":
            raise SystemExit(f"{path}: not a reglab results file")
        for run_id, run in f["runs"].items():
            c = {k: run["curves"][k][:] for k in run["curves"]}
            n = len(c["epoch"])
            if n == 0:
                yield (run.attrs["name"], run.attrs["status"], n, float("nan"), float("nan"),
                       float("nan"), float("nan"), 0.0)
                continue
            train, test = c["train_accuracy"][-1], c["test_accuracy"][-1]
            best = c.get("validation_accuracy", c["test_accuracy"]).argmax()
            yield (run.attrs["name"], run.attrs["status"], n, train, test, train - test,
                   c["test_accuracy"][best], float(c["seconds"].sum()))


def main(paths):
    if not paths:
        raise SystemExit(__doc__)
    header = ("run", "status", "epochs", "train acc", "test acc", "gap", "test@best val", "seconds")
    print("{:<18} {:<9} {:>6} {:>9} {:>9} {:>7} {:>13} {:>8}".format(*header))
    for path in paths:
        for r in rows(path):
            print("{:<18} {:<9} {:>6} {:>9.4f} {:>9.4f} {:>7.4f} {:>13.4f} {:>8.1f}".format(*r))


if __name__ == "__main__":
    main(sys.argv[1:])
