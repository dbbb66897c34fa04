"""``alpha-sweep``: the loss exponent follows α (docs/theory.md §7), for α other than 1.

For each α of the config, the ridgeless test loss against N at a sample size T far above N
(``T = T_factor · max N``), and against T at a feature count far above T (the N ↔ T duality):
in the power-law regime ``N ≪ T, M`` the loss falls as ``N^{-α}`` (and ``T^{-α}``). Simulation
(mean ± s.e. over seeds) over the deterministic-equivalent curves; the slopes fitted to the
simulation and to the theory at the same points are compared with −α. Ridge 0 is safe here:
every point has ``max(N, T) / min(N, T) ≥ T_factor``, far from the interpolation peak.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..._arrays import loglog_slope
from ...theory import predict
from ..context import build_model, model_text
from ..style import (
    LOSS_LABEL,
    PALETTE,
    add_footer,
    new_figure,
    plain_log_ticks,
    theory_over_simulation,
)
from ._common import agreement_row, footer, log_grid, summary_row

TITLE = "The loss exponent follows α: learning curves for several α"
OTHER = {"N": "T", "T": "N"}


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    base = dict(cfg.need("model"))
    sizes = cfg.ints("sizes")
    far = int(cfg.int("T_factor", 2) * max(sizes))
    sims, curves, slopes, summary = [], [], [], []
    ctx.plan_sweeps(2 * len(cfg.floats("alphas")))
    for alpha in cfg.floats("alphas"):
        model = build_model({**base, "alpha": alpha})
        for axis in ("N", "T"):
            other = OTHER[axis]
            grid = {axis: sizes, other: [far]}
            table = ctx.simulate(
                f"{cfg['name']}-alpha{alpha:g}-{axis}",
                model,
                grid["N"],
                grid["T"],
                [0.0],
                cfg.int("seeds", 1),
                cfg.int("seed"),
            )
            table["theory"] = predict(model, table["N"].to_numpy(), table["T"].to_numpy()).loss
            table["alpha"], table["axis"] = alpha, axis
            sims.append(table)
            dense = log_grid(min(sizes), max(sizes), 120)
            args = {axis: dense, other: np.full(dense.shape, float(far))}
            curves.append(
                pd.DataFrame(
                    {
                        "alpha": alpha,
                        "axis": axis,
                        "x": dense,
                        "loss": predict(model, args["N"], args["T"]).loss,
                    }
                )
            )
            s_sim = loglog_slope(table[axis], table["loss"])
            s_theory = loglog_slope(table[axis], table["theory"])
            slopes.append(
                {"alpha": alpha, "axis": axis, "other": far, "slope_simulation": s_sim,
                 "slope_theory": s_theory}
            )  # fmt: skip
            summary.append(
                summary_row(
                    f"α = {alpha:g}: loss exponent d log L/d log {axis}, simulation "
                    f"({other} = {far})",
                    s_sim,
                    -alpha,
                    f"theory at the same points: {s_theory:.3f}; "
                    f"{axis} in [{min(sizes)}, {max(sizes)}]",
                )
            )
    sim = pd.concat(sims, ignore_index=True)
    summary.append(agreement_row("simulated / theory loss", sim["loss"] / sim["theory"]))
    return {
        "simulation": sim,
        "theory": pd.concat(curves, ignore_index=True),
        "slopes": pd.DataFrame(slopes),
        "summary": pd.DataFrame(summary),
    }


def draw(tables, cfg):
    sim, theory, slopes = tables["simulation"], tables["theory"], tables["slopes"]
    fig, axes = new_figure(ncols=2, width=4.6, height=3.9)
    names = {"N": "number of random features $N$", "T": "training samples $T$"}
    for ax, axis in zip(axes, ("N", "T")):
        for i, alpha in enumerate(sorted(sim["alpha"].unique())):
            s = sim[(sim["alpha"] == alpha) & (sim["axis"] == axis)]
            t = theory[(theory["alpha"] == alpha) & (theory["axis"] == axis)]
            row = slopes[(slopes["alpha"] == alpha) & (slopes["axis"] == axis)].iloc[0]
            theory_over_simulation(
                ax, t["x"], t["loss"], s[axis], s["loss"], s["loss_sem"],
                PALETTE[i % len(PALETTE)],
                f"α = {alpha:g}: fitted slope {row['slope_simulation']:.2f} (−α = {-alpha:g})",
            )  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax, "x")
        ax.set_xlabel(names[axis])
        other = OTHER[axis]
        far = int(slopes["other"].iloc[0])
        ax.set_title(f"({'a' if axis == 'N' else 'b'}) loss against {axis} at {other} = {far}")
        ax.legend(loc="lower left", title="lines: theory · points: simulation")
    axes[0].set_ylabel(LOSS_LABEL)
    model = build_model({**cfg["model"], "alpha": float(sim["alpha"].iloc[0])})
    text = model_text(model).replace(f"α={model.alpha:g}", "α as labelled")
    add_footer(fig, footer(cfg, text, "ridge γ = 0"))
    return fig
