"""``noise-allocation``: compute-optimal allocation with label noise (docs/theory.md §9).

With label noise σ_ε > 0 the compute-optimal split of C = N·T moves off N = T to N* < T*
(more samples average the noise out), and at ridge 0 the equiparameterised split N = T is the
*worst* one (the interpolation peak, docs/theory.md §6). (a) N*/T* against C for noise-free and
noisy
labels (:func:`scalinglab.theory.compute_optimal`). (b) The loss along one budget against N/T:
at γ*(N, T) and at ridge 0, theory over simulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import compute_optimal, optimal_ridge, predict
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, plain_log_ticks
from ._common import agreement_row, footer, log_grid, pick, summary_row

TITLE = "Compute-optimal allocation with label noise"
PEAK_WINDOW = (0.7, 1.4)
"""Ridgeless points with N/T in this window are not simulated (heavy-tailed, docs/theory.md §12)."""


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    noise = float(model.noise)
    budgets = log_grid(*cfg.floats("budget_range"), cfg.int("budget_points", 3))
    rows = []
    for label, sigma in (("noise-free", 0.0), (f"noise σ_ε = {noise:g}", noise)):
        path = compute_optimal(model, budgets, noise=sigma)
        rows.append(
            pd.DataFrame({"labels": label, "noise": sigma, "C": path.budget, "N": path.N,
                          "T": path.T, "ratio": path.N / path.T, "loss": path.loss})
        )  # fmt: skip
    paths = pd.concat(rows, ignore_index=True)
    C = float(cfg.need("budget"))
    ratios = log_grid(*cfg.floats("ratio_range"), 161)
    N = np.sqrt(C * ratios)
    T = C / N
    line = pd.DataFrame(
        {
            "N_over_T": ratios,
            "N": N,
            "T": T,
            "optimal": optimal_ridge(model, N, T).loss,
            "optimal_noise_free": optimal_ridge(model, N, T, noise=0.0).loss,
            "ridgeless": predict(model, N, T).loss,
        }
    )
    # simulation along the budget: integer (N, T) with N·T ≈ C
    sim_N = cfg.ints("sim_N")
    sim_T = [round(C / n) for n in sim_N]
    opt = optimal_ridge(model, np.asarray(sim_N, float), np.asarray(sim_T, float))
    wanted = {(n, t): float(g) for n, t, g in zip(sim_N, sim_T, opt.ridge)}
    # two sweeps, N < T and N >= T: the outer grid of each holds few points off the budget line
    # and draws only up to its own largest (N, T)
    halves = [[(n, t) for n, t in wanted if (n < t) == below] for below in (True, False)]
    parts = [(sorted({n for n, _ in h}), sorted({t for _, t in h})) for h in halves if h]
    table = ctx.simulate_parts(
        cfg["name"], model, parts, [*wanted.values(), 0.0], cfg.int("seeds", 1), cfg.int("seed")
    )
    tuned = pick(table, wanted).assign(curve="optimal ridge")
    tuned["theory"] = predict(model, tuned["N"], tuned["T"], tuned["ridge"]).loss
    ridge0 = pick(table, {k: 0.0 for k in wanted}).assign(curve="ridge 0")
    ridge0 = ridge0[~ridge0["N"].div(ridge0["T"]).between(*PEAK_WINDOW)]
    ridge0["theory"] = predict(model, ridge0["N"], ridge0["T"]).loss
    sim = pd.concat([tuned, ridge0], ignore_index=True)
    sim["N_over_T"] = sim["N"] / sim["T"]
    noisy = paths[paths["noise"] == noise]
    best = line.loc[line["optimal"].idxmin()]
    finite = line[np.isfinite(line["ridgeless"])]
    worst = finite.loc[finite["ridgeless"].idxmax()]
    summary = [
        summary_row(
            f"noisy labels: compute-optimal N*/T* at C = {budgets[-1]:g}",
            float(noisy["ratio"].iloc[-1]),
            float("nan"),
            "< 1: fewer features than samples (noise-free: 1)",
        ),
        summary_row(
            f"noisy labels, C = {C:g}: N/T of the lowest loss at γ*",
            float(best["N_over_T"]),
            float("nan"),
            "< 1 (docs/theory.md §9)",
        ),
        summary_row(
            f"noisy labels, C = {C:g}, ridge 0: N/T of the largest finite loss",
            float(worst["N_over_T"]),
            1.0,
            "N = T is the worst split without a ridge (the peak)",
        ),
        agreement_row("simulated / theory loss", sim["loss"] / sim["theory"]),
    ]
    return {"paths": paths, "budget_line": line, "simulation": sim,
            "summary": pd.DataFrame(summary)}  # fmt: skip


def draw(tables, cfg):
    model = build_model(cfg["model"])
    paths, line, sim = tables["paths"], tables["budget_line"], tables["simulation"]
    fig, axes = new_figure(ncols=2, width=4.7, height=4.0)
    ax = axes[0]
    for i, (label, grp) in enumerate(paths.groupby("labels", sort=False)):
        ax.plot(grp["C"], grp["ratio"], "-o", ms=3, color=PALETTE[i], label=label)
    ax.axhline(1.0, color="grey", ls="--", lw=0.9)
    ax.text(paths["C"].min(), 1.0, " N = T", va="bottom", fontsize=8, color="grey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax)
    ax.set_xlabel("compute $C = N\\cdot T$")
    ax.set_ylabel("compute-optimal $N^*/T^*$")
    ax.set_title("(a) compute-optimal split (theory, γ*)")
    ax.legend(loc="lower left")
    ax = axes[1]
    ax.plot(line["N_over_T"], line["optimal"], "-", color=PALETTE[1], label="noisy, γ* (theory)")
    ax.plot(line["N_over_T"], line["optimal_noise_free"], ":", color=PALETTE[0],
            label="noise-free, γ* (theory)")  # fmt: skip
    ridgeless = np.where(np.isfinite(line["ridgeless"]), line["ridgeless"], np.nan)
    ax.plot(line["N_over_T"], ridgeless, "-", color=PALETTE[3], label="noisy, ridge 0 (theory)")
    for curve, color in (("optimal ridge", PALETTE[1]), ("ridge 0", PALETTE[3])):
        s = sim[sim["curve"] == curve]
        ax.errorbar(s["N_over_T"], s["loss"], yerr=np.nan_to_num(s["loss_sem"]), fmt="o",
                    color=color, mfc="white", mew=1.3, zorder=3)  # fmt: skip
    ax.axvline(1.0, color="grey", ls="--", lw=0.9)
    low = float(np.nanmin(line[["optimal", "optimal_noise_free"]].to_numpy()))
    ax.set_ylim(0.7 * low, 8 * float(np.nanmax(line["optimal"])))
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel("split $N/T$ at fixed $C = N\\cdot T$ (dashed: N = T)")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title(f"(b) loss along C = {float(cfg['budget']):g}")
    ax.legend(loc="upper left", title="points: simulation")
    add_footer(fig, footer(cfg, model_text(model)))
    return fig
