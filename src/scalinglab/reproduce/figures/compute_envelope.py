"""``compute-envelope``: the loss against compute C = N·T at the optimal ridge, and its envelope.

Each grey curve is the deterministic-equivalent loss at γ*(N, T) for one N as T = C/N grows;
their lower envelope over N is the compute-optimal frontier L*(C) (docs/theory.md §9, found by
:func:`scalinglab.theory.compute_optimal`), a power law ``∝ C^{-α/2}`` in the continuum
(``continuum_compute_optimal_loss``). Simulated points at (N*, T*) of a few budgets, each at
its own γ*, lie on the envelope; the fitted exponent of the envelope is compared with −α/2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import compute_optimal, optimal_ridge
from ...theory.asymptotics import continuum_compute_optimal_loss
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure
from ._common import agreement_row, footer, log_grid, pick, summary_row

TITLE = "Loss against compute C = N·T: the compute-optimal envelope"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    lo, hi = cfg.floats("budget_range")
    budgets = log_grid(lo, hi, cfg.int("budget_points", 3))
    curves = []
    for n in cfg.ints("curve_N"):
        C = budgets[budgets / n >= 1]
        opt = optimal_ridge(model, np.full(C.shape, float(n)), C / n)
        curves.append(pd.DataFrame({"N": n, "C": C, "T": C / n, "loss": opt.loss}))
    env = compute_optimal(model, budgets)
    envelope = pd.DataFrame(
        {
            "C": env.budget,
            "N": env.N,
            "T": env.T,
            "ridge": env.ridge,
            "loss": env.loss,
            "continuum": continuum_compute_optimal_loss(
                env.budget, model.alpha, model.M, model.sigma_w, model.lambda_plus
            ),
        }
    )
    fit_lo, fit_hi = cfg.floats("fit_range")
    window = envelope[(envelope["C"] >= fit_lo) & (envelope["C"] <= fit_hi)]
    slope = float(np.polyfit(np.log(window["C"]), np.log(window["loss"]), 1)[0])
    # simulation on the frontier: N = T = √C rounded (N* = T* for noise-free labels)
    roots = sorted({round(np.sqrt(c)) for c in cfg.floats("sim_budgets")})
    sim_opt = optimal_ridge(model, np.asarray(roots, float), np.asarray(roots, float))
    wanted = {(r, r): float(g) for r, g in zip(roots, sim_opt.ridge)}
    table = ctx.simulate(
        cfg["name"], model, roots, roots, list(wanted.values()), cfg.int("seeds", 1),
        cfg.int("seed"),
    )  # fmt: skip
    sim = pick(table, wanted)
    sim["C"] = sim["N"] * sim["T"]
    sim["theory"] = [float(sim_opt.loss[roots.index(n)]) for n in sim["N"]]
    summary = [
        summary_row(
            "envelope exponent d log L*/d log C (theory)",
            slope,
            -model.alpha / 2,
            f"C in [{fit_lo:g}, {fit_hi:g}]; continuum −α/2 (finite N, T, M shift it)",
        ),
        summary_row(
            f"envelope N*/√C at C = {env.budget[-1]:g}",
            float(env.N[-1] / np.sqrt(env.budget[-1])),
            1.0,
            "noise-free: N* = T* = √C",
        ),
        agreement_row("simulated / theory loss on the envelope", sim["loss"] / sim["theory"]),
    ]
    return {
        "curves": pd.concat(curves, ignore_index=True),
        "envelope": envelope,
        "simulation": sim,
        "summary": pd.DataFrame(summary),
    }


def draw(tables, cfg):
    model = build_model(cfg["model"])
    curves, env, sim = tables["curves"], tables["envelope"], tables["simulation"]
    fig, (ax,) = new_figure(width=5.8, height=4.3)
    for i, (n, grp) in enumerate(curves.groupby("N")):
        ax.plot(grp["C"], grp["loss"], "-", color="#9a9a9a", lw=0.9, zorder=1,
                label="fixed N, T = C/N (theory at γ*)" if i == 0 else None)  # fmt: skip
        ax.text(grp["C"].iloc[-1], grp["loss"].iloc[-1], f" N={n}", fontsize=7, color="#666666",
                va="center")  # fmt: skip
    ax.plot(env["C"], env["loss"], "-", color=PALETTE[1], lw=2.2, zorder=2,
            label="envelope: compute-optimal L*(C)")  # fmt: skip
    ax.plot(env["C"], env["continuum"], "--", color="black", lw=1.0, zorder=2,
            label="continuum ∝ $C^{-\\alpha/2}$")  # fmt: skip
    ax.errorbar(sim["C"], sim["loss"], yerr=np.nan_to_num(sim["loss_sem"]), fmt="o",
                color=PALETTE[1], mfc="white", mew=1.4, zorder=3,
                label="simulation at N = T = √C, γ*")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("compute $C = N\\cdot T$  [feature·samples]")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title(TITLE)
    ax.legend(loc="lower left")
    add_footer(fig, footer(cfg, model_text(model), "optimal ridge γ* everywhere"))
    return fig
