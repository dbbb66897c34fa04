"""``realdata-spectra``: covariance spectra of real data sets and their ReLU feature extension.

For each data set (scikit-learn's digits, Fashion-MNIST from Debian's ``dataset-fashion-mnist``):
the standardised pixel covariance spectrum with its power-law fit ``λ_i ∝ i^{-(1+α)}`` and a
bootstrap interval of the exponent (:func:`scalinglab.realdata.fit_spectrum`), and the spectra
of N > d random features (:func:`scalinglab.realdata.feature_spectrum`): linear features stop
at rank d, ReLU features extend the power law past d (docs/theory.md §11, §11).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...realdata import feature_spectrum, fit_spectrum, load_dataset, standardize
from ..style import FEATURE_COLORS, add_footer, new_figure
from ._common import footer, summary_row

TITLE = "Spectra of real data sets and their ReLU feature extension"
REL_FLOOR = 1e-9
"""Eigenvalues below this fraction of the largest are numerical zeros (rank cut)."""


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    seed = cfg.int("seed")
    n_features = cfg.int("N", 2)
    frames, fits, summary = [], [], []
    for name in cfg.need("datasets"):
        data = load_dataset(name, n_samples=cfg.int("n_samples", 10), seed=seed)
        X = standardize(data.X)
        d = X.shape[1]
        spec = fit_spectrum(X, centre=True, n_boot=cfg.int("n_boot", 8), seed=seed)
        lo, hi = spec.fit.exponent_ci or (float("nan"), float("nan"))
        fits.append(
            {"dataset": data.name, "dim": d, "n_samples": X.shape[0],
             "exponent": spec.fit.exponent, "ci_low": lo, "ci_high": hi,
             "fit_start": spec.fit.fit_range[0], "fit_stop": spec.fit.fit_range[1],
             "amplitude": spec.fit.amplitude}
        )  # fmt: skip
        curves = {"pixels": spec.eigenvalues}
        for act in ("linear", "relu"):
            curves[act] = feature_spectrum(
                X, n_features, activation=act, seed=seed, standardize_input=False
            )
        for kind, ev in curves.items():
            ev = np.asarray(ev, dtype=np.float64)
            frames.append(
                pd.DataFrame({"dataset": data.name, "kind": kind, "rank": np.arange(1, ev.size + 1),
                              "eigenvalue": ev, "relative": ev / ev[0]})
            )  # fmt: skip
        summary.append(
            summary_row(
                f"{data.name}: fitted spectral exponent 1+α of the pixels",
                spec.fit.exponent,
                float("nan"),
                f"95% bootstrap interval [{lo:.3f}, {hi:.3f}], ranks "
                f"{spec.fit.fit_range[0]}–{spec.fit.fit_range[1]} of d = {d}",
            )
        )
        relu = curves["relu"] / curves["relu"][0]
        linear = curves["linear"] / curves["linear"][0]
        summary.append(
            summary_row(
                f"{data.name}: ReLU (N = {n_features}) eigenvalues beyond rank d = {d}, "
                "above 1e-6 of the largest",
                int(np.sum(relu[d:] > 1e-6)),
                float("nan"),
                f"linear features: {int(np.sum(linear[d:] > 1e-6))} (rank d); the ReLU "
                "extension past d is the talk's claim",
            )
        )
    return {"spectra": pd.concat(frames, ignore_index=True), "fits": pd.DataFrame(fits),
            "summary": pd.DataFrame(summary)}  # fmt: skip


def draw(tables, cfg):
    spectra, fits = tables["spectra"], tables["fits"]
    fig, axes = new_figure(ncols=len(fits), width=4.4, height=3.8)
    labels = {"pixels": "pixels", "linear": "linear features", "relu": "ReLU features"}
    styles = {"pixels": "-", "linear": "--", "relu": "-"}
    colors = {"pixels": FEATURE_COLORS["data"], "linear": FEATURE_COLORS["linear"],
              "relu": FEATURE_COLORS["relu"]}  # fmt: skip
    for ax, (_, fit) in zip(axes, fits.iterrows()):
        part = spectra[spectra["dataset"] == fit["dataset"]]
        for kind in ("pixels", "linear", "relu"):
            s = part[(part["kind"] == kind) & (part["relative"] > REL_FLOOR)]
            ax.plot(s["rank"], s["relative"], styles[kind], color=colors[kind], lw=1.4,
                    label=labels[kind] + (f" (N = {cfg['N']})" if kind != "pixels"
                                          else f" (d = {int(fit['dim'])})"))  # fmt: skip
        pix = part[part["kind"] == "pixels"]
        r = np.arange(int(fit["fit_start"]), int(fit["fit_stop"]) + 1)
        top = float(pix["eigenvalue"].iloc[0])
        ax.plot(r, 0.5 * fit["amplitude"] * r ** (-fit["exponent"]) / top, ":", color="grey",
                lw=1.4, label=f"fit 1+α = {fit['exponent']:.2f} "
                f"[{fit['ci_low']:.2f}, {fit['ci_high']:.2f}] (offset ×½)")  # fmt: skip
        ax.axvline(fit["dim"], color="grey", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(REL_FLOOR * 10, 2.0)
        ax.set_xlabel("rank $i$  [index of eigenvalue]")
        ax.set_title(f"{fit['dataset']} ({int(fit['n_samples'])} images, standardised)")
        ax.legend(loc="lower left")
    axes[0].set_ylabel("eigenvalue / largest eigenvalue")
    add_footer(
        fig,
        footer(cfg, "dotted vertical line: input dimension d; feature spectra have rank ≤ "
               "min(N, images)", seeds=False),
    )  # fmt: skip
    return fig
