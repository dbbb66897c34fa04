"""``dynamics-compute-optimal``: the compute-optimal frontier of one-pass SGD in (N, steps).

Budget ``C = N × steps × batch`` (parameters × samples seen). Left: the theory loss of fixed N
as the steps ``C/(N·batch)`` grow (grey; every N at half its stability lr) and their lower
envelope, the frontier ``L*(C)`` of :func:`scalinglab.dynamics.theory.compute_optimal_sgd`
(docs/dynamics.md §6); points: the exact SGD simulation at (N*, steps*) of a few budgets. Right:
``N*(C)`` and ``steps*(C)`` with their fitted exponents against the closed forms
``1/(2+α)`` and ``(1+α)/(2+α)``, and the ridge frontier ``N* = T* ∝ C^{1/2}`` of
:func:`scalinglab.theory.compute_optimal` (C = N·T, tuned ridge) for comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dynamics.theory import compute_optimal_sgd, theory_stable_lr, train_curve
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure
from ._common import agreement_row, footer, log_grid, summary_row

TITLE = "Compute-optimal one-pass SGD: loss, N* and steps* against C = N·steps·batch"


def _lr(cfg, model, n: int, batch: int) -> float:
    return float(cfg["lr_fraction"]) * theory_stable_lr(model, int(n), batch)


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    batch, frac = cfg.int("batch", 1), float(cfg.need("lr_fraction"))
    lo, hi = cfg.floats("budget_range")
    budgets = log_grid(lo, hi, cfg.int("budget_points", 3))
    front = compute_optimal_sgd(model, budgets, batch=batch, lr_fraction=frac)
    frontier = pd.DataFrame(front.records())
    curves = []
    for n in cfg.ints("curve_N"):
        C = budgets[budgets / (n * batch) >= 1]
        steps = np.round(C / (n * batch)).astype(np.int64)
        loss = train_curve(model, n, steps, _lr(cfg, model, n, batch), batch=batch).loss
        curves.append(pd.DataFrame({"N": n, "C": C, "step": steps, "loss": loss[0, 0, 0]}))
    # simulation at the frontier's (N*, steps*) of the chosen budgets (interpolated in log C)
    sim_C = np.asarray(cfg.floats("sim_budgets"))
    sim_N = np.round(np.exp(np.interp(np.log(sim_C), np.log(front.budget), np.log(front.N))))
    rows = []
    ctx.plan_sweeps(len(sim_C))  # one sweep per simulated budget
    for j, (c, n) in enumerate(zip(sim_C, sim_N.astype(int))):
        steps = max(1, round(c / (n * batch)))
        lr = _lr(cfg, model, n, batch)
        dyn = {"optimizer": "sgd", "lr": lr, "steps": [steps], "batch": [batch]}
        row = ctx.train(f"{cfg['name']}-{j}", model, dyn, [n], seeds=cfg.int("seeds", 2),
                        seed=cfg.int("seed"))  # fmt: skip
        theory = train_curve(model, n, [steps], lr, batch=batch).loss.item()
        rows.append(row.assign(C=float(n * steps * batch), theory=float(theory)))
    sim = pd.concat(rows, ignore_index=True)
    fit = f"C in [{front.budget[0]:.3g}, {front.budget[-1]:.3g}], {front.budget.size} budgets"
    summary = [
        summary_row("N* exponent d log N*/d log C (theory)", front.exponent_N, front.predicted_N,
                    f"closed form 1/(2+α); {fit}"),
        summary_row("steps* exponent d log steps*/d log C (theory)", front.exponent_steps,
                    front.predicted_steps, "closed form (1+α)/(2+α)"),
        summary_row("L* exponent d log L*/d log C (theory)", front.exponent_loss,
                    front.predicted_loss, "closed form −α/(2+α)"),
        summary_row("ridge frontier N* exponent (C = N·T, tuned ridge)", front.ridge_exponent_N,
                    0.5, "equiparameterised N* = T* = √C, unlike SGD"),
        agreement_row("simulated / theory loss on the SGD frontier", sim["loss"] / sim["theory"]),
    ]  # fmt: skip
    return {
        "frontier": frontier,
        "curves": pd.concat(curves, ignore_index=True),
        "simulation": sim,
        "summary": pd.DataFrame(summary),
    }


def _fit_line(x, y) -> tuple[np.ndarray, float]:
    """The least-squares power law through (x, y) on log axes, and its exponent."""
    p = np.polyfit(np.log(x), np.log(y), 1)
    return np.exp(np.polyval(p, np.log(x))), float(p[0])


def draw(tables, cfg):
    model = build_model(cfg["model"])
    a = model.alpha
    front, curves, sim = tables["frontier"], tables["curves"], tables["simulation"]
    fig, (left, right) = new_figure(ncols=2, width=9.6, height=4.1)
    for i, (n, grp) in enumerate(curves.groupby("N")):
        left.plot(grp["C"], grp["loss"], "-", color="#9a9a9a", lw=0.9, zorder=1,
                  label="fixed N, steps = C/(N·b) (theory)" if i == 0 else None)  # fmt: skip
        left.text(grp["C"].iloc[-1], grp["loss"].iloc[-1], f" N={n}", fontsize=7,
                  color="#666666", va="center")  # fmt: skip
    C = front["budget"]
    left.plot(C, front["loss_opt"], "-", color=PALETTE[1], lw=2.2, zorder=2,
              label="frontier L*(C) (theory)")  # fmt: skip
    line, slope = _fit_line(C, front["loss_opt"])
    left.plot(C, line, "--", color="black", lw=1.0,
              label=f"fit $C^{{{slope:.3f}}}$, closed form $C^{{{-a / (2 + a):.3f}}}$")  # fmt: skip
    left.errorbar(sim["C"], sim["loss"], yerr=np.nan_to_num(sim["loss_sem"]), fmt="o",
                  color=PALETTE[1], mfc="white", mew=1.4, zorder=3,
                  label="simulation at (N*, steps*)")  # fmt: skip
    left.set_ylabel(LOSS_LABEL)
    left.legend(loc="lower left", fontsize=7)
    for key, label, pred, color in (
        ("N_opt", "N*", 1 / (2 + a), PALETTE[0]),
        ("steps_opt", "steps*", (1 + a) / (2 + a), PALETTE[2]),
    ):
        line, slope = _fit_line(C, front[key])
        right.plot(C, front[key], "o", color=color, mfc="white", mew=1.2, zorder=3)
        text = f"SGD {label}: fit $C^{{{slope:.3f}}}$ (closed form {pred:.3f})"
        right.plot(C, line, "-", color=color, zorder=2, label=text)
    right.plot(C, front["ridge_N_opt"], ":", color="black", lw=1.2,
               label="ridge N* = T* (C = N·T, tuned ridge)")  # fmt: skip
    right.set_ylabel("compute-optimal N*, steps*")
    right.legend(loc="upper left", fontsize=7)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("compute $C = N\\cdot$steps$\\cdot b$  [parameter·samples]")
    fig.suptitle(TITLE, fontsize=10)
    extra = f"batch {cfg['batch']}, lr = {cfg['lr_fraction']} × stability limit of each N"
    add_footer(fig, footer(cfg, model_text(model), extra))
    return fig
