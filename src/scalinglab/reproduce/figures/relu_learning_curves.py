"""``relu-learning-curves``: ReLU random features, simulation over the nonlinear theory.

Test loss against T at several N for features ``φ = ReLU(Ux)`` (docs/theory.md §11): the simulation
(mean ± s.e. over seeds) over the conditional nonlinear theory
(:func:`scalinglab.theory.nonlinear.predict_nonlinear`, docs/theory.md §11; draw d uses the same U
as
simulation seed d), with the linear-feature theory at the same N dotted for comparison. The
slope fitted to the simulation where ``T ≪ N`` is reported beside −α.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import predict
from ...theory.nonlinear import predict_nonlinear
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, plain_log_ticks
from ._common import agreement_row, footer, summary_row

TITLE = "ReLU random features: learning curves, simulation over the nonlinear theory"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    Ns, Ts = cfg.ints("N"), cfg.ints("T")
    ridge = float(cfg.need("ridge"))
    seeds, seed = cfg.int("seeds", 2), cfg.int("seed")
    sim = ctx.simulate(cfg["name"], model, Ns, Ts, [ridge], seeds, seed, activation="relu")
    theory = predict_nonlinear(model, Ns, Ts, ridge, activation="relu", draws=seeds, seed=seed)
    rows = []
    for i, n in enumerate(theory.N):
        for j, t in enumerate(theory.T):
            rows.append(
                {"N": int(n), "T": int(t), "relu_theory": float(theory.loss[i, j, 0]),
                 "relu_theory_sem": float(theory.loss_sem[i, j, 0]),
                 "linear_theory": float(predict(model, float(n), float(t), ridge).loss)}
            )  # fmt: skip
    curves = pd.DataFrame(rows)
    sim = sim.merge(curves, on=["N", "T"], how="left")
    sim["theory"] = sim["relu_theory"]
    lo, hi = cfg.floats("fit_range")
    top = max(Ns)
    window = sim[(sim["N"] == top) & (sim["T"] >= lo) & (sim["T"] <= hi)]
    slope = float(np.polyfit(np.log(window["T"]), np.log(window["loss"]), 1)[0])
    summary = [
        agreement_row("ReLU: simulated / nonlinear-theory loss", sim["loss"] / sim["theory"]),
        summary_row(
            f"ReLU: loss exponent d log L/d log T, simulation (N = {top})",
            slope,
            -model.alpha,
            f"T in [{lo:g}, {hi:g}]; the ReLU features keep the latent exponent while T ≪ N",
        ),
    ]
    return {"simulation": sim, "theory": curves, "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    model = build_model(cfg["model"])
    sim, curves = tables["simulation"], tables["theory"]
    fig, (ax,) = new_figure(width=5.6, height=4.2)
    for i, n in enumerate(sorted(sim["N"].unique())):
        color = PALETTE[(i + 2) % len(PALETTE)]
        c, s = curves[curves["N"] == n], sim[sim["N"] == n]
        ax.plot(c["T"], c["relu_theory"], "-", color=color, label=f"N = {n}: ReLU theory")
        ax.plot(c["T"], c["linear_theory"], ":", color=color, lw=1.1)
        ax.errorbar(s["T"], s["loss"], yerr=np.nan_to_num(s["loss_sem"]), fmt="o",
                    color=color, mfc="white", mew=1.3, zorder=3)  # fmt: skip
    ax.plot([], [], "o", color="grey", mfc="white", label="ReLU simulation (mean ± s.e.)")
    ax.plot([], [], ":", color="grey", label="linear features, theory (same N)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel("training samples $T$  [samples]")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title("ReLU features: loss against T")
    ax.legend(loc="lower left")
    ridge = float(cfg["ridge"])
    add_footer(fig, footer(cfg, model_text(model), f"ReLU features, ridge γ={ridge:g}"))
    return fig
