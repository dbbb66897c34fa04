"""``dynamics-loss-vs-steps``: test loss against training steps for several N, SGD and GD.

Left: one-pass SGD (batch ``batch``, one constant lr for every N: a fraction of the stability
limit of the largest N). Lines: the deterministic-equivalent theory
(:func:`scalinglab.dynamics.theory.train_curve`, the per-mode Volterra description, docs/dynamics.md
§4); points: the exact expected loss given each draw of U
(:func:`scalinglab.dynamics.simulate_sgd`, §2, run as a dynamics sweep so that an interrupted
run resumes), mean ± s.e. over seeds. Each curve falls like
``t^{-α/(1+α)}`` until it meets its N-limited plateau ``∝ N^{-α}`` (§5).

Right: full-batch GD on T samples with label noise (one lr for every N: a fraction of the
smallest GD stability limit). Lines: the GD theory at finite T (§4b); points: the exact GD
simulation (:func:`scalinglab.dynamics.simulate_gd`, §1). With noisy labels the loss has a
minimum and rises after it towards the ridgeless loss (early stopping matters), most for N near
and above T.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dynamics.theory import gd_stable_lr, theory_stable_lr, train_curve
from ...model import DataModel
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, theory_over_simulation
from ._common import agreement_row, footer, summary_row

TITLE = "Loss against training steps for several N: one-pass SGD and full-batch GD"


def _steps(cfg, key: str) -> np.ndarray:
    """Log-spaced update counts from 1 to ``cfg[key]`` (``steps_points`` of them, distinct)."""
    top = cfg.int(key, 1)
    return np.unique(np.geomspace(1, top, cfg.int("steps_points", 2)).astype(np.int64))


def _with_theory(sim: pd.DataFrame, theory: dict[int, np.ndarray], steps) -> pd.DataFrame:
    """The simulated rows with the theory loss of their (N, step) in a column ``theory``."""
    lookup = pd.DataFrame(
        [{"N": n, "step": int(t), "theory": float(v)} for n, c in theory.items()
         for t, v in zip(steps, c)]
    )  # fmt: skip
    return sim.merge(lookup, on=["N", "step"], how="left").sort_values(["N", "step"])


def _sgd(ctx, cfg, model: DataModel) -> pd.DataFrame:
    Ns, batch = cfg.ints("sgd_N"), cfg.int("batch", 1)
    lr = float(cfg["lr_fraction"]) * theory_stable_lr(model, max(Ns), batch)
    steps = _steps(cfg, "sgd_steps")
    dyn = {"optimizer": "sgd", "lr": lr, "steps": steps.tolist(), "batch": [batch]}
    sim = ctx.train(f"{cfg['name']}-sgd", model, dyn, Ns, seeds=cfg.int("seeds", 2),
                    seed=cfg.int("seed"))  # fmt: skip
    theory = {n: train_curve(model, n, steps, lr, batch=batch).loss[0, 0, 0] for n in Ns}
    return _with_theory(sim, theory, steps).assign(panel="sgd")


def _gd(ctx, cfg, model: DataModel) -> pd.DataFrame:
    Ns, T = cfg.ints("gd_N"), cfg.int("gd_T", 1)
    lr = float(cfg["lr_fraction"]) * min(gd_stable_lr(model, n, T) for n in Ns)
    steps = _steps(cfg, "gd_steps")
    dyn = {"optimizer": "gd", "lr": lr, "steps": steps.tolist()}
    sim = ctx.train(f"{cfg['name']}-gd", model, dyn, Ns, [T], seeds=cfg.int("seeds", 2),
                    seed=cfg.int("seed"))  # fmt: skip
    theory = {n: train_curve(model, n, steps, lr, optimizer="gd", T=T).loss[0, 0, 0] for n in Ns}
    return _with_theory(sim, theory, steps).assign(panel="gd")


def _early_stopping(gd: pd.DataFrame) -> list[dict]:
    """Per N: the step of the minimum and the rise ``L(last step)/min L``, simulated vs theory."""
    rows = []
    for n, grp in gd.groupby("N"):
        grp = grp.sort_values("step")
        sim, th = grp["loss"].to_numpy(), grp["theory"].to_numpy()
        steps = grp["step"].to_numpy()
        rows.append(
            summary_row(
                f"GD, N = {n}: L(t = {steps[-1]})/min L (rise after the minimum)",
                sim[-1] / sim.min(),
                th[-1] / th.min(),
                f"minimum at step {steps[np.argmin(sim)]} (theory {steps[np.argmin(th)]})",
            )
        )
    return rows


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    gd_model = build_model({**cfg["model"], "noise": float(cfg.need("gd_noise"))})
    ctx.plan_sweeps(2)  # the SGD and the GD sweep: task progress counts both
    sgd, gd = _sgd(ctx, cfg, model), _gd(ctx, cfg, gd_model)
    table = pd.concat([sgd, gd], ignore_index=True)
    summary = [
        agreement_row("SGD: simulated / theory loss", sgd["loss"] / sgd["theory"]),
        agreement_row("GD: simulated / theory loss", gd["loss"] / gd["theory"]),
        *_early_stopping(gd),
    ]
    return {"simulation": table, "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    model = build_model(cfg["model"])
    sim = tables["simulation"]
    fig, axes = new_figure(ncols=2, width=9.0, height=3.9)
    sgd, gd = sim[sim["panel"] == "sgd"], sim[sim["panel"] == "gd"]
    for ax, frame in ((axes[0], sgd), (axes[1], gd)):
        for i, (n, grp) in enumerate(frame.groupby("N")):
            grp = grp.sort_values("step")
            color = PALETTE[i % len(PALETTE)]
            theory_over_simulation(ax, grp["step"], grp["theory"], grp["step"], grp["loss"],
                                   grp["loss_sem"], color, f"N = {n}")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training steps $t$  [updates]")
        ax.set_ylabel(LOSS_LABEL)
    batch, T = int(sgd["batch"].iloc[0]), int(gd["T"].iloc[0])
    axes[0].set_title(f"one-pass SGD, batch {batch}, lr = {sgd['lr'].iloc[0]:.3g}", fontsize=9)
    axes[1].set_title(
        f"GD on T = {T} samples, label noise σ_ε = {gd['noise'].iloc[0]:g}, "
        f"lr = {gd['lr'].iloc[0]:.3g}",
        fontsize=9,
    )
    axes[0].legend(loc="lower left", title="lines: theory · points: simulation", fontsize=7)
    axes[1].legend(loc="lower left", fontsize=7)
    fig.suptitle(TITLE, fontsize=10)
    add_footer(fig, footer(cfg, model_text(model), "lr a fixed fraction of the stability limit"))
    return fig
