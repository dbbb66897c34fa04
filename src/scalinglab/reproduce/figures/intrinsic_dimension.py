"""``intrinsic-dimension``: nearest-neighbour dimension estimates on real data against T, and
their relation to the fitted spectral α (the talk's "Latent Dimensions: A Puzzle").

For each data set: the Levina–Bickel maximum-likelihood and TwoNN estimates of the intrinsic
dimension on random subsets of T images, and the mean nearest-neighbour distance ⟨δ⟩, whose
scaling ``⟨δ⟩ ∝ T^{-1/d}`` gives a third estimate (:func:`scalinglab.realdata.dimension_curve`).
Sharma and Kaplan relate the loss exponent to the intrinsic dimension, α ≈ 4/d; the table sets
4/d beside the α fitted to the same data's covariance spectrum
(:func:`scalinglab.realdata.fit_spectrum`), where this model's α lives.
"""

from __future__ import annotations

import pandas as pd

from ...realdata import dimension_curve, fit_spectrum, load_dataset, standardize
from ..style import PALETTE, add_footer, new_figure, plain_log_ticks
from ._common import footer, summary_row

TITLE = "Intrinsic dimension of real data and the fitted spectral α"
SHARMA_KAPLAN = 4.0
"""α ≈ 4/d_intrinsic (Sharma & Kaplan 2020); the talk writes d_intrinsic = #/α."""


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    seed = cfg.int("seed")
    rows, summary = [], []
    for name in cfg.need("datasets"):
        data = load_dataset(name, n_samples=cfg.int("n_samples", 30), seed=seed)
        X = standardize(data.X)
        curve = dimension_curve(X, cfg.ints("T"), repeats=cfg.int("repeats", 1), seed=seed)
        for t, mle, two, delta in zip(curve.T, curve.mle, curve.twonn, curve.mean_nn_distance):
            rows.append({"dataset": data.name, "T": int(t), "mle": float(mle),
                         "twonn": float(two), "mean_nn_distance": float(delta),
                         "d_delta": curve.d_delta})  # fmt: skip
        alpha = fit_spectrum(X, n_boot=0, seed=seed).fit.exponent - 1.0
        d_mle = float(curve.mle[-1])
        summary.append(
            summary_row(
                f"{data.name}: Levina–Bickel d at T = {int(curve.T[-1])} (TwoNN "
                f"{float(curve.twonn[-1]):.1f}, ⟨δ⟩ scaling {curve.d_delta:.1f})",
                d_mle,
                float("nan"),
                f"{X.shape[1]} pixels; nearest-neighbour estimates sit far below the pixel count "
                "(no closed-form prediction)",
            )
        )
        summary.append(
            summary_row(
                f"{data.name}: Sharma–Kaplan 4/d (Levina–Bickel) against the spectral α",
                SHARMA_KAPLAN / d_mle,
                alpha,
                "the talk's puzzle: the spectrum's α and #/d_intrinsic are different notions",
            )
        )
    return {"dimensions": pd.DataFrame(rows), "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    dims = tables["dimensions"]
    fig, axes = new_figure(ncols=2, width=4.5, height=3.8)
    ax, bx = axes
    for i, (name, part) in enumerate(dims.groupby("dataset", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(part["T"], part["mle"], "-o", color=color, label=f"{name}: Levina–Bickel")
        ax.plot(part["T"], part["twonn"], "--s", color=color, mfc="white",
                label=f"{name}: TwoNN")  # fmt: skip
        bx.plot(part["T"], part["mean_nn_distance"], "-o", color=color,
                label=f"{name}: ⟨δ⟩ ∝ T^(-1/d), d = {part['d_delta'].iloc[0]:.1f}")  # fmt: skip
    for a in axes:
        a.set_xscale("log")
        a.set_xlabel("subset size $T$  [images]")
        plain_log_ticks(a, "x")
    bx.set_yscale("log")
    ax.set_ylabel("intrinsic dimension estimate $d$")
    bx.set_ylabel("mean nearest-neighbour distance ⟨δ⟩  [standardised pixels]")
    ax.set_title("(a) nearest-neighbour estimates of d")
    bx.set_title("(b) ⟨δ⟩ against T")
    ax.legend(loc="best")
    bx.legend(loc="best")
    add_footer(fig, footer(cfg, f"{cfg.get('repeats', 1)} random subsets per T", seeds=False))
    return fig
