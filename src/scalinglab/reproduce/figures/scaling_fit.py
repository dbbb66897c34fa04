"""``scaling-fit``: a scaling-law fit of simulated losses and its extrapolation error.

The loss is simulated at the optimal ridge γ*(N, T) on a grid of (N, T). A scaling law (default
``mrs``: ``L = k (1/N + 1/T)^α``, the optimal-ridge form of docs/theory.md §8) is fitted to the
points with N and T at most ``holdout_above`` (:func:`scalinglab.fitting.extrapolation_check`) and
extrapolated to the held-out larger ones. The fitted exponent is set beside α, and the
extrapolation error of the fit beside that of the deterministic-equivalent theory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...fitting import extrapolation_check
from ...theory import optimal_ridge
from ..context import build_model, model_text
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, plain_log_ticks
from ._common import footer, log_grid, pick, summary_row

TITLE = "Scaling-law fit of simulated losses and its extrapolation"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    Ns, Ts = cfg.ints("N"), cfg.ints("T")
    opt = optimal_ridge(model, np.asarray(Ns)[:, None], np.asarray(Ts)[None, :])
    wanted = {(n, t): float(opt.ridge[i, j]) for i, n in enumerate(Ns) for j, t in enumerate(Ts)}
    table = ctx.simulate(
        cfg["name"], model, Ns, Ts, list(wanted.values()), cfg.int("seeds", 1), cfg.int("seed")
    )
    sim = pick(table, wanted)
    sim["theory"] = [float(opt.loss[Ns.index(n), Ts.index(t)]) for n, t in zip(sim["N"], sim["T"])]
    form = str(cfg.get("form", "mrs"))
    above = {k: float(v) for k, v in cfg.need("holdout_above").items()}
    data = sim[["N", "T", "loss", "loss_sem"]]
    check = extrapolation_check(data, form, above=above, seed=cfg.int("seed"))
    held = np.zeros(len(sim), dtype=bool)
    for name, value in above.items():
        held |= sim[name].to_numpy() > value
    sim["heldout"] = held
    sim["fit"] = check.fit.predict(sim["N"].to_numpy(), sim["T"].to_numpy())
    params = pd.DataFrame(
        [
            {
                "form": form,
                **check.fit.params,
                **{f"{k}_stderr": v for k, v in check.fit.stderr.items()},
            }
        ]
    )
    dense = log_grid(min(Ns), max(Ns), 100)
    lines = [pd.DataFrame({"N": dense, "T": t, "fit": check.fit.predict(dense, t)}) for t in Ts]
    err_fit = sim.loc[held, "fit"] / sim.loc[held, "loss"] - 1
    err_theory = sim.loc[held, "theory"] / sim.loc[held, "loss"] - 1
    far = sim[held].assign(c=lambda f: f["N"] * f["T"]).sort_values("c").iloc[-1]
    summary = [
        summary_row(
            f"fitted exponent α of the '{form}' law",
            check.fit.params.get("alpha", float("nan")),
            model.alpha,
            f"fitted on {check.fit.n_points} points",
        ),
        summary_row(
            f"largest held-out point N={int(far['N'])}, T={int(far['T'])}: "
            "extrapolated fit / simulated loss",
            far["fit"],
            far["loss"],
            "extrapolation error",
        ),
        summary_row(
            "held-out points: mean |extrapolation error| of the fit",
            float(np.abs(err_fit).mean()),
            float("nan"),
            f"{int(held.sum())} points",
        ),
        summary_row(
            "held-out points: mean |theory / simulation − 1|",
            float(np.abs(err_theory).mean()),
            float("nan"),
            "no fitting",
        ),
    ]
    return {
        "simulation": sim,
        "fit_lines": pd.concat(lines, ignore_index=True),
        "fit_params": params,
        "summary": pd.DataFrame(summary),
    }


def draw(tables, cfg):
    model = build_model(cfg["model"])
    sim, lines, params = tables["simulation"], tables["fit_lines"], tables["fit_params"].iloc[0]
    above = cfg["holdout_above"]
    fig, axes = new_figure(ncols=2, width=4.6, height=3.9)
    ax = axes[0]
    for i, t in enumerate(sorted(sim["T"].unique())):
        color = PALETTE[i % len(PALETTE)]
        s, line = sim[sim["T"] == t], lines[lines["T"] == t]
        # solid only where the fit saw data (both N and T inside the fitted range); dashed
        # where it extrapolates, so no solid line runs through a held-out point
        inside = (line["N"] <= above.get("N", np.inf)) & (t <= above.get("T", np.inf))
        fitted_curve = bool(inside.any())
        ax.plot(line["N"][inside], line["fit"][inside], "-", color=color)
        last = inside & ~inside.shift(-1, fill_value=False).astype(bool)
        beyond = ~inside | last  # from the last fitted N on, so solid and dashed meet
        ax.plot(
            line["N"][beyond],
            line["fit"][beyond],
            "--",
            color=color,
            lw=1.0,
            label=f"T = {t}" + ("" if fitted_curve else " (held out)"),
        )
        for held, mfc in ((False, color), (True, "white")):
            part = s[s["heldout"] == held]
            ax.errorbar(
                part["N"],
                part["loss"],
                yerr=np.nan_to_num(part["loss_sem"]),
                fmt="o",
                color=color,
                mfc=mfc,
                mew=1.2,
            )
    ax.plot([], [], "ko", label="fitted points")
    ax.plot([], [], "ko", mfc="white", label="held out")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel("number of random features $N$  [features]")
    ax.set_ylabel(LOSS_LABEL)
    law = f"{params['form']}: α = {params.get('alpha', float('nan')):.3f} (true {model.alpha:g})"
    ax.set_title(f"(a) fit {law}")
    ax.legend(loc="lower left", ncols=2, title="lines: fit (dashed: extrapolated)")
    ax = axes[1]
    held = sim[sim["heldout"]]
    compute_ = held["N"] * held["T"]
    ax.plot(
        compute_,
        100 * (held["fit"] / held["loss"] - 1),
        "o",
        color=PALETTE[0],
        label="fitted law",
    )
    ax.plot(
        compute_,
        100 * (held["theory"] / held["loss"] - 1),
        "s",
        color=PALETTE[1],
        mfc="white",
        label="theory (no fit)",
    )
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel("compute $C = N\\cdot T$  [feature·samples]")
    ax.set_ylabel("prediction / simulation − 1  [%]")
    ax.set_title("(b) error on the held-out points")
    ax.legend()
    hold = ", ".join(f"{k} > {v:g}" for k, v in above.items())
    add_footer(fig, footer(cfg, model_text(model), f"optimal ridge γ* per point; held out: {hold}"))
    return fig
