#!/usr/bin/python3
"""Krogh and Hertz 1992, "A Simple Weight Decay Can Improve Generalization": a linear student
learning a noisy linear teacher, test error against the training-set size P with and without
weight decay, against the exact answer.

Reads the results of TIER.yaml (one linear model per cell: data seed x (P, lambda)) and the
closed form of the same cells (closed_form.csv next to the results file; if it is missing,
check.py writes it by running `build/krogh1992_closed_form TIER.yaml`, or the binary named by
the environment variable KROGH_CLOSED_FORM), prints the mean test loss over seeds per (P, lambda_KH)
for reglab and for the exact minimiser, and tests the claims with thresholds fixed before the
run (README.md, "The claims"); lambda_KH = P * lambda is the decay in the paper's units:
  a. (paper) without decay the test error peaks at P = N: the P with the largest mean test loss
     at lambda = 0 is the grid point next to N + 1 (51 in the smoke tier, 101 in the medium tier:
     the student has N weights and a bias);
  b. (paper) the optimal decay is lambda_KH = sigma^2 / sigma_w^2 = 0.25: the grid value with the
     lowest mean test loss (pooled over P and seeds) lies within a factor 2 of 0.25;
  c. (sanity) reglab's trained test loss equals the closed form's on the same test set within
     a relative 1e-3 in every cell with lambda > 0 (at lambda = 0 and P near N gradient descent
     has not converged in 20000 (medium: 40000) epochs, so those cells are printed, not judged);
  d. (paper) decay at the optimum removes the peak: at lambda_KH = 0.25 the mean test loss does
     not rise from one P to the next by more than 1 % (relative);
  e. (sanity) every cell complete, the configuration's data seeds (8), closed form present for
     every cell.
Claims a, b, d print REPRODUCED or DIFFERS (exit 0 either way); a failed sanity check exits 1,
a missing file 2.

    /usr/bin/python3 experiments/krogh1992-weight-decay/check.py [--tier smoke|medium]
"""
import os
import subprocess
import sys

import pandas as pd
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LAMBDA_OPT = 0.25          # sigma^2 / sigma_w^2 = 0.5^2 / 1^2
LAMBDA_FACTOR = 2.0        # claim b
MATCH_RTOL = 1e-3          # claim c
RISE_TOL = 0.01            # claim d


def study_shape(config):
    """N (data.inputs) and the number of data seeds (grid data.seed) of a tier's configuration."""
    with open(config, encoding="utf-8") as f:
        c = yaml.safe_load(f)
    return int(c["data"]["inputs"]), len(c["grid"]["data.seed"])


def write_closed_form(config, path):
    """Runs build/krogh1992_closed_form on the tier's configuration, writing `path`."""
    exe = os.environ.get("KROGH_CLOSED_FORM", os.path.join(common.REPO, "build",
                                                           "krogh1992_closed_form"))
    if not os.path.exists(exe):
        raise common.InputError(f"{path}: missing, and {exe} not found to compute it (build "
                                "the target krogh1992_closed_form or set KROGH_CLOSED_FORM)")
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        rc = subprocess.run([exe, config], stdout=out, check=False).returncode
    if rc != 0:
        os.remove(path + ".tmp")
        raise common.InputError(f"{exe} {config}: exit code {rc}")
    os.replace(path + ".tmp", path)


def table(res, config):
    """One row per cell: P, lambda_KH, data seed, reglab's test loss and the closed form's."""
    df = res.summary
    p_col = res.column("data.train_samples")
    l_col = res.column("regularizers[0].lambda")
    s_col = res.column("data.seed")
    out = pd.DataFrame({
        "cell_id": df.cell_id,
        "P": df[p_col].astype(int),
        "lambda": df[l_col].astype(float),
        "data_seed": df[s_col].astype(int),
        "trained": df.final_test_loss.astype(float),
    })
    out["lambda_kh"] = (out.P * out["lambda"]).round(6)
    path = os.path.join(os.path.dirname(res.path), "closed_form.csv")
    if not os.path.exists(path):
        write_closed_form(config, path)
    cf = pd.read_csv(path)[["cell_id", "test_loss", "expected_test_loss"]]
    cf = cf.rename(columns={"test_loss": "exact", "expected_test_loss": "exact_risk"})
    return out.merge(cf, on="cell_id", how="left"), len(df), len(res.incomplete)


def run():
    args = common.parse_args(__doc__, HERE)
    res = common.load(args, args.tier)
    config = common.tier_configs(HERE, args.tier)[0]
    n_inputs, n_seeds = study_shape(config)
    t, n_cells, n_bad = table(res, config)
    mean = t.groupby(["P", "lambda_kh"])[["trained", "exact", "exact_risk"]].mean()
    lambdas = sorted(t.lambda_kh.unique())
    ps = sorted(t.P.unique())
    rows = []
    for p in ps:
        row = [str(p)]
        for lk in lambdas:
            m = mean.loc[(p, lk)]
            row.append(f"{m.trained:.4g} / {m.exact:.4g}")
        rows.append(row)
    common.print_table(f"{args.tier} tier: mean test loss over seeds, reglab / closed form "
                       f"(same test sets), N = {n_inputs}",
                       ["P"] + [f"lambda_KH={lk:g}" for lk in lambdas], rows)

    claims = common.Claims(args.tier)
    seeds = t.data_seed.nunique()
    claims.sanity(n_bad == 0 and seeds == n_seeds and t.exact.notna().all(),
                  f"every cell complete, {n_seeds} seeds, closed form for every cell",
                  f"{n_cells} complete, {n_bad} not, {seeds} seeds, "
                  f"{int(t.exact.isna().sum())} without closed form")

    zero = mean.xs(0.0, level="lambda_kh").trained
    peak = int(zero.idxmax())
    nearest = min(ps, key=lambda p: abs(p - (n_inputs + 1)))
    claims.compare(peak == nearest, "without decay the test error peaks at P = N",
                   f"largest mean test loss at P = {peak} ({zero.max():.4g}); grid point next "
                   f"to N + 1 = {n_inputs + 1}: {nearest}; closed form peaks at P = "
                   f"{int(mean.xs(0.0, level='lambda_kh').exact.idxmax())}")

    pooled = t[t.lambda_kh > 0].groupby("lambda_kh").trained.mean()
    best = float(pooled.idxmin())
    claims.compare(LAMBDA_OPT / LAMBDA_FACTOR <= best <= LAMBDA_OPT * LAMBDA_FACTOR,
                   f"the optimal decay is sigma^2/sigma_w^2 = {LAMBDA_OPT} (within a factor "
                   f"{LAMBDA_FACTOR:g})",
                   f"best lambda_KH = {best:g} (pooled mean test loss {pooled.min():.4g}); "
                   f"at 0: {t[t.lambda_kh == 0].trained.mean():.4g}")

    decayed = t[t.lambda_kh > 0]
    rel = ((decayed.trained - decayed.exact) / decayed.exact).abs()
    claims.sanity(rel.max() <= MATCH_RTOL,
                  f"reglab's test loss equals the closed form within {MATCH_RTOL:g} (lambda > 0)",
                  f"largest relative difference {rel.max():.3g} over {len(decayed)} cells")
    undecayed = t[t.lambda_kh == 0]
    rel0 = ((undecayed.trained - undecayed.exact) / undecayed.exact).abs()
    worst0 = undecayed.loc[rel0.idxmax()]
    claims.info("lambda = 0: trained against the exact minimiser (not judged)",
                f"largest relative difference {rel0.max():.3g} at P = {int(worst0.P)}")

    opt = mean.xs(LAMBDA_OPT, level="lambda_kh").trained
    rises = [(ps[i], ps[i + 1], opt.iloc[i + 1] / opt.iloc[i] - 1.0) for i in range(len(ps) - 1)]
    worst = max(rises, key=lambda r: r[2])
    claims.compare(worst[2] <= RISE_TOL, "decay at the optimum removes the peak",
                   f"at lambda_KH = {LAMBDA_OPT}: largest change from one P to the next "
                   f"{100 * worst[2]:+.2f} % (P = {worst[0]} -> {worst[1]}); test loss "
                   f"{opt.iloc[0]:.4g} at P = {ps[0]} -> {opt.iloc[-1]:.4g} at P = {ps[-1]}")
    return claims.finish()


if __name__ == "__main__":
    common.main(run)
