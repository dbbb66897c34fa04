"""``realdata-learning-curves``: measured random-feature learning curves on real data against
the prediction from the data's kernel spectrum.

For each data set, ReLU random-feature ridge regression of a linear teacher on the standardised
pixels (:func:`scalinglab.realdata.predict_learning_curve`): the test loss measured by training
(mean ± s.e. over draws of features and training sets) against the deterministic-equivalent
prediction from the kernel spectrum of a pool of the data (no fitted constant).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...realdata import load_dataset, predict_learning_curve
from ..style import LOSS_LABEL, PALETTE, add_footer, new_figure, plain_log_ticks
from ._common import agreement_row, footer, summary_row

TITLE = "Learning curves on real data: measured against the spectrum's prediction"


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    seed = cfg.int("seed")
    Ns, Ts = cfg.ints("N"), cfg.ints("T")
    rows, summary = [], []
    for name in cfg.need("datasets"):
        data = load_dataset(name, n_samples=cfg.int("n_samples", 10), seed=seed)
        res = predict_learning_curve(
            data, Ns, Ts, target=cfg.get("target", "linear"), activation="relu",
            ridge=float(cfg.need("ridge")), n_test=cfg.int("n_test", 1),
            n_pool=cfg.int("n_pool", 2), seeds=cfg.int("seeds", 1), seed=seed,
        )  # fmt: skip
        mean, sem = res.measured_mean, res.measured_sem
        for i, n in enumerate(res.N):
            for j, t in enumerate(res.T):
                rows.append(
                    {"dataset": data.name, "N": int(n), "T": int(t),
                     "loss": float(mean[i, j]), "loss_sem": float(sem[i, j]),
                     "theory": float(res.predicted[i, j])}
                )  # fmt: skip
        part = pd.DataFrame([r for r in rows if r["dataset"] == data.name])
        summary.append(agreement_row(f"{data.name}: measured / predicted loss", part["loss"]
                                     / part["theory"]))  # fmt: skip
        top = part[(part["N"] == max(Ns)) & (part["T"] <= max(Ns) / 2)].sort_values("T")
        slope_m = float(np.polyfit(np.log(top["T"]), np.log(top["loss"]), 1)[0])
        slope_p = float(np.polyfit(np.log(top["T"]), np.log(top["theory"]), 1)[0])
        summary.append(
            summary_row(
                f"{data.name}: loss exponent d log L/d log T at N = {max(Ns)} (T ≤ N/2), measured",
                slope_m,
                slope_p,
                "predicted: the slope of the spectrum's prediction at the same T",
            )
        )
    return {"curves": pd.DataFrame(rows), "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    curves = tables["curves"]
    names = list(dict.fromkeys(curves["dataset"]))
    fig, axes = new_figure(ncols=len(names), width=4.5, height=3.9)
    for ax, name in zip(axes, names):
        part = curves[curves["dataset"] == name]
        for i, (n, grp) in enumerate(part.groupby("N")):
            color = PALETTE[i % len(PALETTE)]
            ax.plot(grp["T"], grp["theory"], "-", color=color, label=f"N = {n}")
            ax.errorbar(grp["T"], grp["loss"], yerr=np.nan_to_num(grp["loss_sem"]),
                        fmt="o", color=color, mfc="white", mew=1.3, zorder=3)  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax, "x")
        ax.set_xlabel("training samples $T$  [images]")
        ax.set_title(f"{name}: ReLU features, linear teacher")
        ax.legend(loc="lower left", title="lines: prediction · points: measured")
    axes[0].set_ylabel(LOSS_LABEL.split("[")[0] + "[target variance units]")
    add_footer(fig, footer(cfg, f"ridge γ={float(cfg['ridge']):g}; pool {cfg['n_pool']} images, "
                           f"{cfg['n_test']} held out for testing"))  # fmt: skip
    return fig
