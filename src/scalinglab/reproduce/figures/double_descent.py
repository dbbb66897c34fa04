"""``double-descent``: loss against N at fixed T, ridgeless and at the optimal ridge.

At ridge 0 the loss diverges at the interpolation threshold N = T < M (``D = 0`` in docs/theory.md
§5, §6); at the optimal ridge γ*(N, T) (docs/theory.md §8) the peak disappears and the loss
decreases monotonically in N. Simulation at ridge 0 and at each point's own γ* (mean ± s.e. over
seeds) over the theory curves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import optimal_ridge, predict
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, theory_over_simulation
from ._common import agreement_row, footer, log_grid, pick, summary_row

TITLE = "Double descent at ridge 0, removed by the optimal ridge"
PEAK_WINDOW = (0.7, 1.4)
"""N/T window of the ridgeless peak, where the simulated mean is heavy-tailed (docs/theory.md §12);
left out of the ridge-0 simulation/theory ratio."""


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    T = cfg.int("T", 1)
    Ns = [n for n in cfg.ints("N") if n != T]
    opt = optimal_ridge(model, np.asarray(Ns, dtype=np.float64), T)
    wanted = {(n, T): float(g) for n, g in zip(Ns, opt.ridge)}
    table = ctx.simulate(
        cfg["name"], model, Ns, [T], [0.0, *wanted.values()], cfg.int("seeds", 1), cfg.int("seed")
    )
    ridgeless = table[table["ridge"] == 0.0].copy()
    ridgeless["curve"] = "ridge 0"
    ridgeless["theory"] = predict(model, ridgeless["N"].to_numpy(), T).loss
    tuned = pick(table, wanted)
    tuned["curve"] = "optimal ridge"
    tuned["theory"] = [float(opt.loss[Ns.index(n)]) for n in tuned["N"]]
    sim = pd.concat([ridgeless, tuned], ignore_index=True)
    dense = log_grid(min(Ns), max(Ns), int(cfg.get("theory_points", 400)))
    dense_opt = optimal_ridge(model, dense, T)
    theory = pd.DataFrame(
        {
            "N": dense,
            "T": T,
            "ridgeless": predict(model, dense, T).loss,
            "optimal": dense_opt.loss,
            "optimal_ridge": dense_opt.ridge,
        }
    )
    # The peak of double descent is where ridge 0 loses most against the tuned ridge: the
    # excess L(γ=0)/L(γ*) (the raw loss is largest at the smallest N, far from N = T).
    excess = ridgeless.set_index("N")["loss"] / tuned.set_index("N")["loss"]
    peak = {"N": float(excess.idxmax())}
    steps = np.diff(tuned.sort_values("N")["loss"].to_numpy())
    ratio_nt = ridgeless["N"] / T
    calm = ridgeless[(ratio_nt <= PEAK_WINDOW[0]) | (ratio_nt >= PEAK_WINDOW[1])]
    r0 = calm["loss"] / calm["theory"]
    r1 = tuned["loss"] / tuned["theory"]
    summary = [
        summary_row(
            "ridge 0: N at the simulated peak of L(0)/L(γ*), over T",
            peak["N"] / T,
            1.0,
            "peak at N = T (docs/theory.md §6)",
        ),
        summary_row(
            "optimal ridge: increases of the simulated loss along N",
            int(np.sum(steps > 0)),
            0,
            "no peak: monotone in N",
        ),
        agreement_row("ridge 0: simulated / theory loss off the peak", r0),
        agreement_row("optimal ridge: simulated / theory loss", r1),
    ]
    return {"simulation": sim, "theory": theory, "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    model = build_model(cfg["model"])
    sim, theory = tables["simulation"], tables["theory"]
    T = int(theory["T"].iloc[0])
    fig, (ax,) = new_figure(width=5.4, height=4.0)
    for i, (curve, column) in enumerate((("ridge 0", "ridgeless"), ("optimal ridge", "optimal"))):
        s = sim[sim["curve"] == curve]
        theory_over_simulation(
            ax,
            theory["N"],
            theory[column],
            s["N"],
            s["loss"],
            s["loss_sem"],
            PALETTE[i],
            curve,
        )
    ax.axvline(T, color="grey", ls=":", lw=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.5 * float(sim["loss"].min()), 8 * float(sim["loss"].max()))
    ax.text(T, ax.get_ylim()[1], " N = T", va="top", fontsize=8, color="grey")
    ax.set_xlabel("number of random features $N$  [features]")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title(TITLE)
    ax.legend(loc="lower left", title="lines: theory · points: simulation")
    add_footer(fig, footer(cfg, model_text(model), f"T = {T}"))
    return fig
