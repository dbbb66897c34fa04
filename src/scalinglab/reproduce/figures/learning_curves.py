"""``loss-vs-N`` and ``loss-vs-T``: learning curves, simulation over the theory curves.

The simulated test loss (exact population loss, docs/theory.md §3, mean ± s.e. over seeds) against
N at several T (or against T at several N) over the deterministic-equivalent curves (docs/theory.md
§5 at the config's ridge). Where ``N ≪ min(T, M)`` (resp. ``T ≪ min(N, M)``) the loss is a power law
``∝ N^{-α}`` (docs/theory.md §7); the slope fitted to the simulation over ``fit_range`` on the curve
with the largest other size is compared with ``−α`` (and with the theory's own slope there).
Past the other size the curve bends over to its plateau (docs/theory.md §6, §10).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..._arrays import loglog_slope
from ...theory import predict
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, theory_over_simulation
from ._common import agreement_row, footer, log_grid, summary_row

TITLE_N = "Test loss against the number of features N"
TITLE_T = "Test loss against the number of samples T"
OTHER = {"N": "T", "T": "N"}
NAMES = {"N": "number of random features $N$  [features]", "T": "training samples $T$  [samples]"}


def compute_curves(cfg, ctx, axis: str) -> dict[str, pd.DataFrame]:
    """Simulation and theory of L against ``axis`` (N or T) at several values of the other."""
    model = build_model(cfg.need("model"))
    other = OTHER[axis]
    xs, curves = cfg.ints(axis), cfg.ints(other)
    ridge = float(cfg.get("ridge", 0.0))
    # points with N·T above max_NT (if set) are theory only: curves sharing their simulated
    # points share a sweep (docs/theory.md §4)
    max_nt = float(cfg.get("max_NT", math.inf))
    groups: dict[tuple[int, ...], list[int]] = {}
    for c in curves:
        groups.setdefault(tuple(x for x in xs if x * c <= max_nt), []).append(c)
    parts = [
        (list(kept), cs) if axis == "N" else (cs, list(kept)) for kept, cs in groups.items() if kept
    ]
    sim = ctx.simulate_parts(
        cfg["name"], model, parts, [ridge], cfg.int("seeds", 1), cfg.int("seed")
    )
    sim["theory"] = predict(model, sim["N"].to_numpy(), sim["T"].to_numpy(), ridge).loss
    dense = log_grid(min(xs), max(xs), int(cfg.get("theory_points", 200)))
    theory = []
    for c in curves:
        args = {axis: dense, other: np.full(dense.shape, float(c))}
        loss = predict(model, args["N"], args["T"], ridge).loss
        theory.append(pd.DataFrame({axis: dense, other: float(c), "loss": loss}))
    lo, hi = cfg.floats("fit_range")
    top = max(curves)
    window = sim[(sim[other] == top) & (sim[axis] >= lo) & (sim[axis] <= hi)]
    x = window[axis].to_numpy(dtype=np.float64)
    slope_sim = loglog_slope(x, window["loss"].to_numpy())
    slope_theory = loglog_slope(x, window["theory"].to_numpy())
    ratio = sim["loss"] / sim["theory"]
    summary = [
        summary_row(
            f"loss exponent d log L/d log {axis}, simulation ({other}={top})",
            slope_sim,
            -model.alpha,
            f"{axis} in [{lo:g}, {hi:g}], {len(x)} points",
        ),
        summary_row(
            f"loss exponent d log L/d log {axis}, theory ({other}={top})",
            slope_theory,
            -model.alpha,
            "same points; finite-size bend included",
        ),
        agreement_row("simulated / theory loss", ratio),
    ]
    slopes = pd.DataFrame(
        [
            {
                "curve": top,
                "fit_lo": lo,
                "fit_hi": hi,
                "slope_simulation": slope_sim,
                "slope_theory": slope_theory,
                "alpha": model.alpha,
            }
        ]
    )
    return {
        "simulation": sim,
        "theory": pd.concat(theory, ignore_index=True),
        "slopes": slopes,
        "summary": pd.DataFrame(summary),
    }


def draw_curves(tables, cfg, axis: str, title: str):
    model = build_model(cfg["model"])
    other = OTHER[axis]
    sim, theory, slopes = tables["simulation"], tables["theory"], tables["slopes"].iloc[0]
    fig, (ax,) = new_figure(width=5.4, height=4.0)
    for i, c in enumerate(sorted(sim[other].unique())):
        color = PALETTE[i % len(PALETTE)]
        s, t = sim[sim[other] == c], theory[theory[other] == c]
        theory_over_simulation(
            ax, t[axis], t["loss"], s[axis], s["loss"], s["loss_sem"], color, f"{other} = {c}"
        )
    # the fitted power law on the fitting window, offset below the data for legibility
    top = sim[(sim[other] == slopes["curve"])]
    x = np.geomspace(slopes["fit_lo"], slopes["fit_hi"], 20)
    anchor = top.loc[(top[axis] - slopes["fit_lo"]).abs().idxmin()]
    y = 0.55 * anchor["loss"] * (x / anchor[axis]) ** slopes["slope_simulation"]
    ax.plot(
        x,
        y,
        "k--",
        lw=1.0,
        label=f"fit: slope {slopes['slope_simulation']:.3f} (−α = {-model.alpha:g})",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    if model.M <= sim[axis].max():
        ax.axvline(model.M, color="grey", ls=":", lw=0.9)
        ax.text(model.M, ax.get_ylim()[1], " M", va="top", fontsize=8, color="grey")
    ax.set_xlabel(NAMES[axis])
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title(title)
    ax.legend(loc="lower left", title="lines: theory · points: simulation")
    ridge = float(cfg.get("ridge", 0.0))
    add_footer(fig, footer(cfg, model_text(model), f"ridge γ={ridge:g}"))
    return fig


def compute_n(cfg, ctx):
    return compute_curves(cfg, ctx, "N")


def draw_n(tables, cfg):
    return draw_curves(tables, cfg, "N", TITLE_N)


def compute_t(cfg, ctx):
    return compute_curves(cfg, ctx, "T")


def draw_t(tables, cfg):
    return draw_curves(tables, cfg, "T", TITLE_T)
