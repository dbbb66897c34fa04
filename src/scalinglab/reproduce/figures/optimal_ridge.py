"""``optimal-ridge``: γ* across (N, T), the gain over γ → 0, and a simulated ridge scan.

(a) The optimal ridge γ*(N, T) of the deterministic equivalent (docs/theory.md §8; for α = 1 in the
continuum it is ``π² σ_u² λ_+ / (4M)``, independent of N and T). (b) The gain
``L(γ → 0) / L(γ*)``, infinite on the interpolation line N = T < M. (c) The loss against γ at a
few (N, T): simulation (common random numbers across γ) over theory; the simulated minimum
should sit at γ* (docs/theory.md §12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import optimal_ridge, predict
from ..context import build_model, model_text
from ..style import (
    LOSS_LABEL,
    PALETTE,
    add_footer,
    heat_map,
    heat_map_axes,
    new_figure,
    theory_over_simulation,
)
from ._common import footer, log_grid, summary_row

TITLE = "Optimal ridge γ* and its gain over γ → 0"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    lo, hi = cfg.floats("range")
    grid = log_grid(lo, hi, cfg.int("grid_points", 5))
    # T half a grid step off N, so that no grid point sits exactly on the ridgeless peak N = T
    t_grid = grid * np.sqrt(grid[1] / grid[0])
    opt = optimal_ridge(model, grid[:, None], t_grid[None, :])
    ridgeless = predict(model, grid[:, None], t_grid[None, :]).loss
    heat = pd.DataFrame(
        {
            "N": opt.N.ravel(),
            "T": opt.T.ravel(),
            "ridge": opt.ridge.ravel(),
            "loss": opt.loss.ravel(),
            "ridgeless": ridgeless.ravel(),
            "gain": (ridgeless / opt.loss).ravel(),
        }
    )
    points = [tuple(int(v) for v in p) for p in cfg.need("scan_points")]
    factors = np.asarray(cfg.floats("scan_factors"))
    p_opt = optimal_ridge(model, [p[0] for p in points], [p[1] for p in points])
    ridges = {p: list(float(g) * factors) for p, g in zip(points, p_opt.ridge)}
    table = ctx.simulate(
        cfg["name"],
        model,
        [p[0] for p in points],
        [p[1] for p in points],
        [r for rs in ridges.values() for r in rs],
        cfg.int("seeds", 1),
        cfg.int("seed"),
    )
    scans, curves, summary = [], [], []
    for (n, t), g_star, l_star in zip(points, p_opt.ridge, p_opt.loss):
        rows = table[(table["N"] == n) & (table["T"] == t)]
        rows = rows[np.isin(np.round(rows["ridge"] / g_star, 9), np.round(factors, 9))].copy()
        rows["factor"] = rows["ridge"] / g_star
        rows["theory"] = predict(model, n, t, rows["ridge"].to_numpy()).loss
        scans.append(rows)
        dense = float(g_star) * log_grid(factors.min() / 2, factors.max() * 2, 120)
        curves.append(
            pd.DataFrame({"N": n, "T": t, "ridge": dense, "loss": predict(model, n, t, dense).loss})
        )
        best = rows.loc[rows["loss"].idxmin()]
        at = rows.loc[(rows["factor"] - 1).abs().idxmin()]
        summary.append(
            summary_row(
                f"N={n}, T={t}: simulated argmin γ / γ*",
                best["factor"],
                1.0,
                f"scan {', '.join(f'{f:g}' for f in factors)} × γ*",
            )
        )
        summary.append(
            summary_row(
                f"N={n}, T={t}: simulated loss at γ* / theory L*",
                at["loss"],
                float(l_star),
                "docs/theory.md §12",
            )
        )
    finite = heat[np.isfinite(heat["gain"])]
    summary.append(
        summary_row(
            "gain L(γ→0)/L(γ*), median over the grid",
            float(finite["gain"].median()),
            float("nan"),
            "≥ 1 by definition",
        )
    )
    if model.alpha == 1.0:
        mid = heat[(heat["N"] < model.M / 10) & (heat["T"] < model.M / 10) & (heat["ridge"] > 0)]
        if len(mid):
            summary.append(
                summary_row(
                    "γ* median over N, T < M/10 (α = 1)",
                    float(mid["ridge"].median()),
                    np.pi**2 * model.sigma_u**2 * model.lambda_plus / (4 * model.M),
                    "continuum π²σ_u²λ₊/(4M) (docs/theory.md §8)",
                )
            )
    return {
        "grid": heat,
        "scan": pd.concat(scans, ignore_index=True),
        "scan_theory": pd.concat(curves, ignore_index=True),
        "summary": pd.DataFrame(summary),
    }


def _heat(fig, ax, heat, column, label, cmap, scale: float = 1.0):
    """A heat map of ``column / scale``: a log colour scale when it spans a decade or more,
    otherwise a linear one with five ticks (a nearly uniform map still gets a readable bar)."""
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

    Ns, Ts = np.unique(heat["N"]), np.unique(heat["T"])
    z = heat.pivot(index="T", columns="N", values=column).loc[Ts, Ns].to_numpy() / scale
    good = np.isfinite(z) & (z > 0)
    vmax = np.percentile(z[good], 98) if column == "gain" else z[good].max()
    vmin = z[good].min()
    z = np.where(good, z, np.where(np.isinf(z), vmax, np.nan))
    log = vmax / vmin >= 10
    norm = LogNorm(vmin=vmin, vmax=vmax) if log else Normalize(vmin=vmin, vmax=vmax)
    mesh = heat_map(ax, Ns, Ts, np.clip(z, None, vmax), norm=norm, cmap=cmap)
    ax.plot(Ns, Ns, "--", color="white", lw=1.0)
    heat_map_axes(ax)
    ax.set_xlim(Ns[0], Ns[-1])
    ax.set_ylim(Ts[0], Ts[-1])
    ax.set_xlabel("number of random features $N$")
    bar = fig.colorbar(mesh, ax=ax, pad=0.02, aspect=30)
    bar.set_label(label, labelpad=2)
    locator = LogLocator(base=10, subs=(1.0, 2.0, 5.0)) if log else MaxNLocator(5)
    bar.ax.yaxis.set_major_locator(locator)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    bar.ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def draw(tables, cfg):
    model = build_model(cfg["model"])
    heat, scan, curves = tables["grid"], tables["scan"], tables["scan_theory"]
    fig, axes = new_figure(ncols=3, width=4.3, height=3.7)
    fig.get_layout_engine().set(w_pad=0.12)
    pos = heat[heat["ridge"] > 0]
    continuum = np.pi**2 * model.sigma_u**2 * model.lambda_plus / (4 * model.M)
    if model.alpha == 1.0:  # γ* relative to the continuum value shows where it departs
        _heat(fig, axes[0], pos if len(pos) else heat, "ridge", "γ* / (π²σ_u²λ₊/4M)", "magma",
              continuum)  # fmt: skip
    else:
        _heat(fig, axes[0], pos if len(pos) else heat, "ridge", "optimal ridge γ*", "magma")
    axes[0].set_ylabel("training samples $T$  [samples]")
    axes[0].set_title("(a) optimal ridge γ*(N, T)")
    _heat(fig, axes[1], heat, "gain", "gain L(γ→0) / L(γ*)", "cividis")
    axes[1].set_title("(b) gain of γ* over γ → 0 (clipped)")
    ax = axes[2]
    for i, ((n, t), grp) in enumerate(scan.groupby(["N", "T"])):
        color = PALETTE[i % len(PALETTE)]
        c = curves[(curves["N"] == n) & (curves["T"] == t)]
        theory_over_simulation(
            ax,
            c["ridge"],
            c["loss"],
            grp["ridge"],
            grp["loss"],
            grp["loss_sem"],
            color,
            f"N = {n}, T = {t}",
        )
        g_star = float(grp["ridge"].iloc[(grp["factor"] - 1).abs().argmin()])
        ax.axvline(g_star, color=color, ls=":", lw=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ridge γ  [docs/theory.md §2 units]")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title("(c) loss against γ (dotted: γ*)")
    ax.legend(loc="upper left", title="lines: theory · points: sim.")
    add_footer(fig, footer(cfg, model_text(model), "theory: deterministic equivalent"))
    return fig
