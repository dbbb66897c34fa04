"""``phase``: the loss over a log grid of (N, T) at the optimal ridge, with the compute path.

The heat map is the deterministic-equivalent loss at the optimal ridge γ*(N, T) (docs/theory.md §8)
with contour lines; the dashed line is equiparameterization N = T and the red path the compute-
optimal allocation N*(C), T*(C) for compute C = N·T (docs/theory.md §9), which lies on N = T for
noise-free labels. Simulated points (each at its own γ*) are marked on the map and their ratio to
the theory is drawn in a residual panel. The loss exponent along the path is compared with the
continuum −α/2 (docs/theory.md §9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import compute_optimal, optimal_ridge
from ..context import build_model, model_text
from ..style import PALETTE, add_footer, heat_map, heat_map_axes, new_figure, plain_log_ticks
from ._common import agreement_row, footer, log_grid, pick, summary_row

TITLE = "Loss landscape over (N, T) at the optimal ridge"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    lo, hi = cfg.floats("range")
    grid = log_grid(lo, hi, cfg.int("grid_points", 5))
    opt = optimal_ridge(model, grid[:, None], grid[None, :])
    heat = pd.DataFrame(
        {
            "N": opt.N.ravel(),
            "T": opt.T.ravel(),
            "ridge": opt.ridge.ravel(),
            "loss": opt.loss.ravel(),
        }
    )
    path = compute_optimal(model, cfg.floats("budgets"))
    paths = pd.DataFrame(
        {"budget": path.budget, "N": path.N, "T": path.T, "ridge": path.ridge, "loss": path.loss}
    )
    fit = compute_optimal(model, cfg.floats("fit_budgets"))
    Ns, Ts = cfg.ints("sim_N"), cfg.ints("sim_T")
    sim_opt = optimal_ridge(model, np.asarray(Ns)[:, None], np.asarray(Ts)[None, :])
    wanted = {
        (n, t): float(sim_opt.ridge[i, j]) for i, n in enumerate(Ns) for j, t in enumerate(Ts)
    }
    table = ctx.simulate(
        cfg["name"], model, Ns, Ts, list(wanted.values()), cfg.int("seeds", 1), cfg.int("seed")
    )
    sim = pick(table, wanted)
    sim["theory"] = [
        float(sim_opt.loss[Ns.index(n), Ts.index(t)]) for n, t in zip(sim["N"], sim["T"])
    ]
    ratio = sim["loss"] / sim["theory"]
    top = int(np.argmax(path.budget))
    summary = [
        summary_row(
            "compute-optimal N*/T* at the largest budget",
            float(path.N[top] / path.T[top]),
            1.0,
            "noise-free: N = T (docs/theory.md §9)",
        ),
        summary_row(
            "compute-optimal exponent of N* in C",
            fit.N_exponent,
            0.5,
            f"budgets {min(fit.budget):g}–{max(fit.budget):g}",
        ),
        summary_row(
            "compute-optimal loss exponent d log L*/d log C",
            fit.loss_exponent,
            -model.alpha / 2,
            "continuum −α/2; finite M steepens it (docs/theory.md §7)",
        ),
        agreement_row("simulated / theory loss at γ*", ratio),
    ]
    return {"grid": heat, "path": paths, "simulation": sim, "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    from matplotlib.colors import LogNorm

    model = build_model(cfg["model"])
    heat, path, sim = tables["grid"], tables["path"], tables["simulation"]
    Ns, Ts = np.unique(heat["N"]), np.unique(heat["T"])
    loss = heat.pivot(index="T", columns="N", values="loss").loc[Ts, Ns].to_numpy()
    fig, (ax, res) = new_figure(ncols=2, width=4.6, height=4.6)
    norm = LogNorm(vmin=np.nanmin(loss), vmax=np.nanmax(loss))
    mesh = heat_map(ax, Ns, Ts, loss, norm=norm, cmap="viridis")
    levels = np.geomspace(norm.vmin, norm.vmax, 10)[1:-1]
    cs = ax.contour(Ns, Ts, loss, levels=levels, colors="white", linewidths=0.7, alpha=0.8)
    ax.plot(Ns, Ns, "--", color="white", lw=0.9, zorder=5, label="equiparameterization N = T")
    # the compute-optimal path lies on N = T (noise-free): thick markers with dark edges on
    # top of the thin dashed line keep both visible
    ax.plot(
        path["N"],
        path["T"],
        "o",
        color="#d1495b",
        mec="black",
        mew=0.8,
        ms=7,
        zorder=6,
        label="compute-optimal (N*, T*) per budget C = N·T",
    )
    ax.scatter(
        sim["N"],
        sim["T"],
        marker="s",
        facecolors="none",
        edgecolors="white",
        s=90,
        linewidths=1.6,
        zorder=4,
        label="simulated (N, T): agreement in (b)",
    )
    heat_map_axes(ax)
    ax.set_xlim(Ns[0], Ns[-1])
    ax.set_ylim(Ts[0], Ts[-1])
    ax.set_xlabel("number of random features $N$  [features]")
    ax.set_ylabel("training samples $T$  [samples]")
    ax.set_title("(a) theory: loss at γ*(N, T)")
    bar = fig.colorbar(mesh, ax=ax, label="test loss $L(N, T; \\gamma^*)$", pad=0.02)
    bar.add_lines(cs)  # contour levels read off the colour bar: no labels on the map
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        frameon=True,
        facecolor="#6b6b6b",
        edgecolor="none",
        labelcolor="white",
    )
    # (b) residuals: simulated / theory loss at each simulated point, ± s.e.
    ratio = sim["loss"] / sim["theory"]
    for i, (t, grp) in enumerate(sim.assign(ratio=ratio).groupby("T")):
        res.errorbar(
            grp["N"],
            grp["ratio"],
            yerr=np.nan_to_num(grp["loss_sem"] / grp["theory"]),
            fmt="o",
            color=PALETTE[i % len(PALETTE)],
            mfc="white",
            mew=1.2,
            label=f"T = {t}",
        )
    res.axhline(1.0, color="black", lw=0.9)
    res.set_xscale("log")
    plain_log_ticks(res, "x")
    res.set_xlabel("number of random features $N$  [features]")
    res.set_ylabel("simulated / theory loss at γ*")
    res.set_title("(b) simulation against theory (± s.e.)")
    res.legend(loc="best")
    add_footer(fig, footer(cfg, model_text(model), "theory: deterministic equivalent at γ*"))
    return fig
