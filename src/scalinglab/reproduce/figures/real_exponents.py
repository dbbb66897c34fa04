"""``real-exponents``: measured learning curves of real learners with their fitted slopes, beside
the slopes predicted from the learners' spectra (docs/exponents.md).

For each data set and learner (:func:`scalinglab.learners.study_exponents`): the held-out loss
against T (mean ± s.e. over draws), its fitted power law, and the deterministic-equivalent
curve from the learner's kernel spectrum on a pool of the data, with both exponents and their
95 % intervals in the summary table. Every fit is saved as it finishes under
``<out>/cache/exponents`` (docs/exponents.md §4), so a stopped run resumes where it was.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...exceptions import EstimateWarning
from ...learners import load_study_data, make_targets, study_exponents
from ..style import PALETTE, add_footer, new_figure, plain_log_ticks
from ._common import footer, summary_row

TITLE = "Data-scaling exponents of real learners: measured against the spectral prediction"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    seed = cfg.int("seed")
    rows, summary = [], []
    for name in cfg.need("datasets"):
        data, given = load_study_data(name, cfg.int("n_samples", 10), seed)
        X, Y = make_targets(data, cfg.get("target", "onehot"), given, seed)
        Ts = [t for t in cfg.ints("T") if t <= X.shape[0] - cfg.int("n_test", 1)]
        for learner in cfg.need("learners"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", EstimateWarning)
                study = study_exponents(
                    X, Y, dataset=data.name, target=cfg.get("target", "onehot"),
                    learner=learner, T=Ts, n_pool=cfg.int("n_pool", 20),
                    n_boot=cfg.int("n_boot", 0), seeds=cfg.int("seeds", 1),
                    n_test=cfg.int("n_test", 1), steps=cfg.int("steps", 1),
                    width=cfg.get("mlp_width") if learner == "mlp" else None,
                    dimension=False, seed=seed, cache=ctx.out_dir / "cache" / "exponents",
                )  # fmt: skip
            rec = study.to_dict()
            for r in rec["records"]:
                rows.append({**r, "theory": r.pop("predicted")})
            note = (
                f"{rec['kernel']} kernel; measured CI {_ci(rec['measured_exponent_ci'])}, "
                f"predicted CI {_ci(rec['predicted_exponent_ci'])}, z = "
                + ("n/a" if rec["z"] is None else f"{rec['z']:+.2f}")
            )
            if caught:
                note += "; " + "; ".join(str(w.message).split(";")[0] for w in caught)
            summary.append(summary_row(f"{data.name} {learner}: data exponent, measured",
                                       rec["measured_exponent"], rec["predicted_exponent"],
                                       note))  # fmt: skip
    return {"curves": pd.DataFrame(rows), "summary": pd.DataFrame(summary)}


def _ci(ci) -> str:
    return "none" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def draw(tables, cfg):
    curves, summary = tables["curves"], tables["summary"]
    names = list(dict.fromkeys(curves["dataset"]))
    fig, axes = new_figure(ncols=len(names), width=4.6, height=3.9)
    for ax, name in zip(axes, names):
        part = curves[curves["dataset"] == name]
        for i, (learner, grp) in enumerate(part.groupby("learner", sort=False)):
            color = PALETTE[i % len(PALETTE)]
            grp = grp.sort_values("T")
            row = summary[summary["quantity"] == f"{name} {learner}: data exponent, measured"]
            meas, pred = float(row["measured"].iloc[0]), float(row["predicted"].iloc[0])
            ax.errorbar(grp["T"], grp["loss"], yerr=np.nan_to_num(grp["loss_sem"]), fmt="o",
                        color=color, mfc="white", mew=1.3, zorder=3)  # fmt: skip
            fitted = grp[grp["fitted"]]
            coef = np.polyfit(np.log(fitted["T"]), np.log(fitted["loss"]), 1)
            ax.plot(fitted["T"], np.exp(np.polyval(coef, np.log(fitted["T"]))), ":",
                    color=color)  # fmt: skip
            ax.plot(grp["T"], grp["theory"], "-", color=color,
                    label=f"{learner}: measured {meas:.2f}, predicted {pred:.2f}")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax, "x")
        ax.set_xlabel("training samples $T$")
        ax.set_title(f"{name}: one-hot labels")
        ax.legend(loc="lower left", fontsize=7, title_fontsize=7,
                  title="lines: prediction · points: measured · dotted: fit")  # fmt: skip
    axes[0].set_ylabel("held-out loss  ½|f − y|²")
    add_footer(fig, footer(cfg, f"pool {cfg['n_pool']} images, {cfg['n_test']} held out; "
                           "kernel ridge: Laplace kernel; rf: ReLU features, N = 4 max T; "
                           "mlp: 2 hidden ReLU layers, Adam"))  # fmt: skip
    return fig
