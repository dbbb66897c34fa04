"""``breakdown``: N or T approaching and exceeding the latent size M (docs/theory.md §6, §10).

Ridgeless loss against T at one N below M and one above it:

* N < M: past T = N the loss falls to the **plateau** ``(σ_w²/2M) N Δ_N`` as T → ∞, also once
  T exceeds M (the model, not the data, limits the loss).
* N > M: as T → M the loss falls *below* the power law ``∝ T^{-α}`` and reaches 0 at T = M
  (noise-free; the **breakdown** of the scaling law, docs/theory.md §7 "near M").

Dashed: the talk's approximate breakdown formula ``L ≈ K (1/(1 − n/m)) (1/n − 1/M)^α`` with
n = min(N, T), m = max(N, T) and the continuum amplitude ``K = σ_w² λ_+ C_α^{1+α} / (2M)``
(docs/theory.md §7; only qualitative there); dotted: the pure power law ``K n^{-α} / (1 − n/m)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...theory import predict
from ...theory.asymptotics import c_alpha
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, theory_over_simulation
from ._common import agreement_row, footer, log_grid, summary_row

TITLE = "Plateau and breakdown as N or T reaches the latent size M"
PEAK_WINDOW = (0.7, 1.4)
"""Ridgeless points with T/N in this window are not simulated (heavy-tailed, docs/theory.md §12)."""


def talk_formula(model, N, T, power_law: bool = False) -> np.ndarray:
    """``K (1/(1 − n/m)) (1/n − 1/M)^α`` (or ``K n^{-α}/(1 − n/m)``), NaN where n ≥ M."""
    N, T = np.broadcast_arrays(np.asarray(N, dtype=np.float64), np.asarray(T, dtype=np.float64))
    n, m = np.minimum(N, T), np.maximum(N, T)
    K = model.sigma_w**2 * model.lambda_plus * c_alpha(model.alpha) ** (1 + model.alpha)
    K /= 2 * model.M
    with np.errstate(divide="ignore", invalid="ignore"):
        base = 1 / n if power_law else 1 / n - 1 / model.M
        out = K * base**model.alpha / (1 - n / m)
    return np.where((n < model.M) & (n < m), out, np.nan)


def _simulated(model, N: int, T: int) -> bool:
    """Whether (N, T) is simulated: not heavy-tailed near T = N (:data:`PEAK_WINDOW`) and not
    exactly 0 (N, T >= M without noise)."""
    zero = N >= model.M and T >= model.M and model.noise == 0
    return not zero and not PEAK_WINDOW[0] < T / N < PEAK_WINDOW[1]


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    Ns, Ts = cfg.ints("N"), cfg.ints("T")
    # one sweep per N over its own T: the points left out are never simulated
    parts = [([n], [t for t in Ts if _simulated(model, n, t)]) for n in Ns]
    sim = ctx.simulate_parts(
        cfg["name"], model, [p for p in parts if p[1]], [0.0], cfg.int("seeds", 1),
        cfg.int("seed"),
    )  # fmt: skip
    sim["theory"] = predict(model, sim["N"].to_numpy(), sim["T"].to_numpy()).loss
    dense = log_grid(min(Ts), max(Ts), int(cfg.get("theory_points", 400)))
    theory = []
    for n in Ns:
        T = dense[(dense < model.M) | (n < model.M)]
        theory.append(
            pd.DataFrame(
                {
                    "N": n,
                    "T": T,
                    "loss": predict(model, n, T).loss,
                    "talk_formula": talk_formula(model, n, T),
                    "power_law": talk_formula(model, n, T, power_law=True),
                }
            )
        )
    theory = pd.concat(theory, ignore_index=True)
    low, high = min(Ns), max(Ns)
    plateau_theory = float(predict(model, low, 1e12).loss)
    plateau_sim = sim[sim["N"] == low].sort_values("T").iloc[-1]
    t_near = 0.95 * model.M
    near = float(predict(model, high, t_near).loss)
    ratio = sim["loss"] / sim["theory"]
    summary = [
        summary_row(
            f"plateau N={low}: simulated loss at T={int(plateau_sim['T'])} / theory",
            plateau_sim["loss"],
            plateau_sim["theory"],
            "T > M",
        ),
        summary_row(
            f"plateau N={low}, T → ∞: the talk's qualitative formula K(1/N − 1/M)^α "
            "vs exact theory",
            float(talk_formula(model, low, 1e12)),
            plateau_theory,
            "error of the talk's approximate formula, not of the library",
        ),
        summary_row(
            f"breakdown N={high}, T=0.95M: exact theory against the pure power law K T^-α/(1−T/N)",
            near,
            float(talk_formula(model, high, t_near, power_law=True)),
            "the claim: the loss falls far below the power law near M (a large negative "
            "difference confirms it)",
        ),
        summary_row(
            f"breakdown N={high}, T=0.95M: the talk's qualitative formula vs exact theory",
            float(talk_formula(model, high, t_near)),
            near,
            "error of the talk's approximate formula, not of the library: the simulation "
            "follows the exact theory (last row)",
        ),
        agreement_row("simulated / theory loss", ratio),
    ]
    return {"simulation": sim, "theory": theory, "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    model = build_model(cfg["model"])
    sim, theory = tables["simulation"], tables["theory"]
    fig, (ax,) = new_figure(width=5.6, height=4.2)
    for i, n in enumerate(sorted(theory["N"].unique())):
        color = PALETTE[i % len(PALETTE)]
        s, t = sim[sim["N"] == n], theory[theory["N"] == n]
        side = "<" if n < model.M else ">"
        theory_over_simulation(
            ax,
            t["T"],
            t["loss"],
            s["T"],
            s["loss"],
            s["loss_sem"],
            color,
            f"N = {n} {side} M: theory (DE)",
        )
        ax.plot(
            t["T"],
            t["talk_formula"],
            "--",
            color=color,
            lw=1.1,
            alpha=0.9,
            label="talk's approximate formula $K(1/n-1/M)^\\alpha/(1-n/m)$" if i == 0 else None,
        )
        ax.plot(
            t["T"],
            t["power_law"],
            ":",
            color=color,
            lw=1.1,
            label="power law $K n^{-\\alpha}/(1-n/m)$" if i == 0 else None,
        )
    ax.axvline(model.M, color="grey", ls="-", lw=0.8, alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    finite = theory["loss"][np.isfinite(theory["loss"]) & (theory["loss"] > 0)]
    ax.set_ylim(0.3 * float(sim["loss"].min()), 30 * float(finite.median()))
    ax.text(model.M, ax.get_ylim()[1], " T = M", va="top", fontsize=8, color="grey")
    ax.set_xlabel("training samples $T$  [samples]")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title(TITLE)
    ax.legend(
        loc="lower left",
        title="points: simulation (ridgeless)\n$n = \\min(N, T)$, $m = \\max(N, T)$",
    )
    add_footer(fig, footer(cfg, model_text(model), "ridge γ = 0"))
    return fig
