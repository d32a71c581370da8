#!/usr/bin/python3
"""Plots of a reglab results file (a sweep or a single run), written as PNG files.

Usage:
    /usr/bin/python3 tools/plot.py RESULTS.h5 --out DIR [--metric test_accuracy]

Writes to DIR (created if needed), 150 dpi, and prints each path:
    learning_curves.png  train accuracy (dashed) and METRIC (solid) against epoch, one colour per
                         arm: the mean over its seeds, with a band from the minimum to the maximum
    final_accuracy.png   METRIC at the last epoch per arm: mean, 95% t confidence interval
                         (mean +- t(0.975, n-1) * sd / sqrt(n)) and each seed as a dot
    gap.png              generalisation gap (train_accuracy - test_accuracy) per arm at the last
                         epoch and at the best-validation epoch (first maximum of
                         validation_accuracy; the last epoch without a validation set), as the
                         summary's gap_final and gap_best: mean, 95% t interval, seeds
    loss_curves.png      train_loss (dashed) and test_loss (solid), mean and min-max band
    spectra_vs_gap.png   only when the runs recorded `diagnostics: {spectra: true}`: per dense
                         layer, the last measured alpha and stable rank of its kernel (x) against
                         the final generalisation gap (y), one dot per cell, coloured by arm
                         (Martin and Mahoney 2021: data-free measures set against overfitting)

Arms: the cells of a sweep grouped by every factor column of /summary except the seed (the
columns between `name` and `seed`), in the order of first appearance; cells without a run
(failed) are skipped. A run file (kind "run") plots each of its runs as its own arm (one run: one
arm, no bands). The t quantile comes from scipy.stats.t when scipy is installed, else from a
table (exact to 4 digits up to 30 degrees of freedom, the next smaller tabulated value beyond).

Needs Debian's python3-h5py, python3-numpy, python3-pandas and python3-matplotlib (Agg backend,
no display). Exit codes: 0 written, 2 bad input (not a reglab file, unknown metric), 1 anything
else.
"""
import argparse
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

DPI = 150
# Two-sided 95% quantiles t(0.975, df) of Student's t distribution.
T975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 6: 2.4469, 7: 2.3646, 8: 2.3060,
        9: 2.2622, 10: 2.2281, 11: 2.2010, 12: 2.1788, 13: 2.1604, 14: 2.1448, 15: 2.1314,
        16: 2.1199, 17: 2.1098, 18: 2.1009, 19: 2.0930, 20: 2.0860, 21: 2.0796, 22: 2.0739,
        23: 2.0687, 24: 2.0639, 25: 2.0595, 26: 2.0555, 27: 2.0518, 28: 2.0484, 29: 2.0452,
        30: 2.0423, 40: 2.0211, 60: 2.0003, 120: 1.9799}


class InputError(Exception):
    """The input file or the arguments are unusable (exit code 2)."""


def t975(df):
    """t(0.975, df): scipy if available, else the table (conservative between entries)."""
    try:
        from scipy.stats import t
        return float(t.ppf(0.975, df))
    except ImportError:
        keys = [k for k in sorted(T975) if k <= df]
        return T975[keys[-1]] if df <= 120 else 1.9600


def mean_ci(values):
    """(mean, half-width of the 95% t interval, n) over the finite values; half-width 0 if n < 2."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    n = len(v)
    if n == 0:
        return math.nan, 0.0, 0
    if n == 1:
        return float(v[0]), 0.0, 1
    return float(v.mean()), t975(n - 1) * float(v.std(ddof=1)) / math.sqrt(n), n


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


def value_label(v):
    v = text(v)
    if isinstance(v, (float, np.floating)):
        return f"{float(v):g}"
    return str(v)


def load(path):
    """Returns (title, legend title, [(arm label, [curves DataFrame per run])])."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path} is not an HDF5 file, so not a reglab results file ({e})")
    with f:
        fmt = text(f.attrs.get("format", ""))
        if fmt != "reglab" or "runs" not in f:
            raise InputError(f"{path} is not a reglab results file (its root attribute format is "
                             f"{fmt!r}, not 'reglab', or it has no /runs group)")
        kind = text(f.attrs.get("kind", "run"))
        runs = {}
        for rid, group in f["runs"].items():
            curves = pd.DataFrame({k: group["curves"][k][:] for k in group["curves"]})
            name = group.attrs.get("cell_name", group.attrs.get("name", rid))
            runs[rid] = (text(name), curves)
        if not runs:
            raise InputError(f"{path} holds no runs")
        if kind != "sweep" or "summary" not in f:
            arms = [(name, [curves]) for name, curves in runs.values()]
            return text(f.attrs.get("sweep_name", os.path.basename(path))), "run", arms
        summary = pd.DataFrame(f["summary"][:])
        title = text(f.attrs.get("sweep_name", os.path.basename(path)))
    for c in summary.columns:
        if summary[c].dtype == object:
            summary[c] = summary[c].map(text)
    cols = list(summary.columns)
    end = cols.index("seed") if "seed" in cols else cols.index("status")
    factors = cols[cols.index("name") + 1:end]
    arms, skipped = {}, []
    for _, row in summary.iterrows():
        if row["cell_id"] not in runs:
            skipped.append(f"{row['cell_id']} ({row['name']}, {row.get('status', '?')})")
            continue
        if len(factors) == 1:
            label = value_label(row[factors[0]])
        elif factors:
            label = ", ".join(f"{k}={value_label(row[k])}" for k in factors)
        else:
            label = "all cells"
        arms.setdefault(label, []).append(runs[row["cell_id"]][1])
    if skipped:
        print(f"plot.py: skipped {len(skipped)} cells without a run: " + "; ".join(skipped),
              file=sys.stderr)
    if not arms:
        raise InputError(f"{path}: no cell of the sweep has a run to plot")
    legend_title = factors[0] if len(factors) == 1 else "arm"
    return title, legend_title, list(arms.items())


def colours(n):
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def band(curves_list, metric):
    """Mean, min and max of `metric` over runs, by epoch. Epochs without a value (NaN: not
    evaluated under train.eval_every, or a diagnostic not measured) are left out, so the line
    joins the epochs that were measured."""
    frames = [c[["epoch", metric]].dropna() for c in curves_list if metric in c]
    if not frames:
        return None
    g = pd.concat(frames).groupby("epoch")[metric]
    return g.mean(), g.min(), g.max()


def train_counterpart(metric):
    split, _, rest = metric.partition("_")
    return None if split == "train" or not rest else "train_" + rest


def plot_curves(arms, metrics_styles, ylabel, title, legend_title, path):
    """metrics_styles: [(metric, linestyle, description)]; one colour per arm."""
    fig, ax = plt.subplots(figsize=(8, 5))
    cs = colours(len(arms))
    for (label, runs), c in zip(arms, cs):
        for metric, style, _ in metrics_styles:
            b = band(runs, metric)
            if b is None:
                continue
            mean, lo, hi = b
            ax.plot(mean.index, mean.values, linestyle=style, color=c, linewidth=1.6)
            if len(runs) > 1:
                ax.fill_between(mean.index, lo.values, hi.values, color=c, alpha=0.15,
                                linewidth=0)
    arm_handles = [Line2D([], [], color=c, linewidth=2, label=label)
                   for (label, _), c in zip(arms, cs)]
    style_handles = [Line2D([], [], color="black", linestyle=style, label=desc)
                     for _, style, desc in metrics_styles]
    first = ax.legend(handles=arm_handles, title=legend_title, fontsize="small",
                      title_fontsize="small", loc="best")
    ax.add_artist(first)
    ax.legend(handles=style_handles, fontsize="small", loc="lower center")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    seeds = sorted({len(r) for _, r in arms})
    if seeds != [1]:
        title += f"\nmean over {'/'.join(map(str, seeds))} seeds per arm, band: min to max"
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def scatter_seeds(ax, x, values, colour):
    v = [y for y in values if np.isfinite(y)]
    if len(v) > 1:
        offsets = np.linspace(-0.12, 0.12, len(v))
    else:
        offsets = np.zeros(len(v))
    ax.scatter(x + offsets, v, s=14, color=colour, alpha=0.6, edgecolors="none", zorder=3)


def subtitle(arms):
    if max(len(runs) for _, runs in arms) == 1:
        return "one run per arm (no interval)"
    return "mean, 95% t confidence interval, dots: seeds"


def arm_axis(ax, arms, legend_title):
    labels = [label for label, _ in arms]
    ax.set_xticks(range(len(arms)))
    ax.set_xlim(-0.6, len(arms) - 0.4)
    long = max(len(s) for s in labels) > 12 or len(arms) > 6
    ax.set_xticklabels(labels, rotation=30 if long else 0, ha="right" if long else "center",
                       fontsize="small")
    ax.set_xlabel(legend_title)
    ax.grid(True, axis="y", alpha=0.3)


def final_value(curves, metric):
    return float(curves[metric].iloc[-1]) if metric in curves and len(curves) else math.nan


def best_epoch_index(curves):
    """First maximum of validation_accuracy (the summary's best_epoch), else the last epoch."""
    if "validation_accuracy" in curves:
        v = curves["validation_accuracy"].to_numpy()
        if np.isfinite(v).any():
            return int(np.nanargmax(v))
    return len(curves) - 1


def plot_final(arms, metric, legend_title, title, path):
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(arms) + 2), 5))
    cs = colours(len(arms))
    for i, ((label, runs), c) in enumerate(zip(arms, cs)):
        values = [final_value(r, metric) for r in runs]
        m, h, n = mean_ci(values)
        if n == 0:
            continue
        ax.errorbar(i, m, yerr=h if n > 1 else None, fmt="o", color=c, markersize=7, capsize=6,
                    linewidth=1.8, zorder=4)
        scatter_seeds(ax, i, values, c)
        ax.annotate(f"{m:.4f}\nn={n}", (i, m), xytext=(12, 0), textcoords="offset points",
                    fontsize="x-small", va="center")
    arm_axis(ax, arms, legend_title)
    ax.set_ylabel(f"final {metric}")
    ax.set_title(f"{title}: final {metric}\n{subtitle(arms)}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_gap(arms, legend_title, title, path):
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(arms) + 2), 5))
    width = 0.36 if len(arms) > 1 else 0.25
    kinds = [("final epoch", lambda c: len(c) - 1, 0.55),
             ("best-validation epoch", best_epoch_index, 0.95)]
    cs = colours(len(arms))
    for k, (kind, index, alpha) in enumerate(kinds):
        for i, ((label, runs), c) in enumerate(zip(arms, cs)):
            values = []
            for r in runs:
                if "train_accuracy" not in r or "test_accuracy" not in r or len(r) == 0:
                    continue
                j = index(r)
                values.append(float(r["train_accuracy"].iloc[j] - r["test_accuracy"].iloc[j]))
            m, h, n = mean_ci(values)
            if n == 0:
                continue
            x = i + (k - 0.5) * width
            ax.bar(x, m, width=width, color=c, alpha=alpha, edgecolor="black", linewidth=0.6,
                   hatch="//" if k == 0 else None, yerr=h if n > 1 else None, capsize=4)
            scatter_seeds(ax, x, values, "black")
    ax.axhline(0, color="black", linewidth=0.8)
    arm_axis(ax, arms, legend_title)
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, facecolor="grey", alpha=a, edgecolor="black",
                                     hatch="//" if k == 0 else None, label=kind)
                       for k, (kind, _, a) in enumerate(kinds)], fontsize="small")
    ax.set_ylabel("generalisation gap (train - test accuracy)")
    ax.set_title(f"{title}: generalisation gap\n{subtitle(arms)}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def last_measured(curves, name):
    """The last finite value of a curve (spectra are NaN at epochs not measured), else NaN."""
    if name not in curves:
        return math.nan
    v = curves[name].to_numpy()
    v = v[np.isfinite(v)]
    return float(v[-1]) if len(v) else math.nan


def plot_spectra(arms, legend_title, title, path):
    """alpha and stable rank of each dense kernel against the final gap; False if none recorded."""
    layers = sorted({c.partition(".")[2] for _, runs in arms for r in runs for c in r.columns
                     if c.startswith("alpha.")})
    if not layers:
        return False
    fig, axes = plt.subplots(2, len(layers), figsize=(4.2 * len(layers), 7.5), squeeze=False)
    cs = colours(len(arms))
    for j, layer in enumerate(layers):
        for i, measure in enumerate(["alpha", "stable_rank"]):
            ax = axes[i][j]
            for (label, runs), c in zip(arms, cs):
                x = [last_measured(r, f"{measure}.{layer}") for r in runs]
                y = [final_value(r, "train_accuracy") - final_value(r, "test_accuracy")
                     for r in runs]
                ax.scatter(x, y, color=c, s=28, label=label, edgecolor="black", linewidth=0.4)
            ax.set_xlabel(f"{measure.replace('_', ' ')} of {layer} (last measured)")
            ax.set_ylabel("final gap (train - test accuracy)")
            ax.grid(alpha=0.3)
    axes[0][0].legend(title=legend_title, fontsize="x-small")
    fig.suptitle(f"{title}: spectral diagnostics against the generalisation gap")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description="Plot a reglab results file (sweep or run) to PNGs.")
    p.add_argument("results", help="a reglab results file (.h5)")
    p.add_argument("--out", required=True, help="output directory (created if needed)")
    p.add_argument("--metric", default="test_accuracy",
                   help="curve shown solid in learning_curves.png and in final_accuracy.png "
                        "(default test_accuracy)")
    args = p.parse_args(argv)
    try:
        title, legend_title, arms = load(args.results)
        available = sorted({m for _, runs in arms for r in runs for m in r.columns})
        if args.metric not in available:
            raise InputError(f"{args.results}: no curve {args.metric!r} (curves: "
                             f"{', '.join(available)})")
    except InputError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    written = []

    def out(name):
        written.append(os.path.join(args.out, name))
        return written[-1]

    train = train_counterpart(args.metric)
    styles = ([(train, "--", train)] if train else []) + [(args.metric, "-", args.metric)]
    plot_curves(arms, styles, args.metric.partition("_")[2].replace("_", " ") or args.metric,
                f"{title}: learning curves", legend_title, out("learning_curves.png"))
    plot_final(arms, args.metric, legend_title, title, out("final_accuracy.png"))
    plot_gap(arms, legend_title, title, out("gap.png"))
    plot_curves(arms, [("train_loss", "--", "train_loss"), ("test_loss", "-", "test_loss")],
                "cross-entropy loss", f"{title}: loss curves", legend_title,
                out("loss_curves.png"))
    if plot_spectra(arms, legend_title, title, os.path.join(args.out, "spectra_vs_gap.png")):
        written.append(os.path.join(args.out, "spectra_vs_gap.png"))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
