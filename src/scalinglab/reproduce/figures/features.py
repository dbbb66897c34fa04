"""``features``: spectra of linear and ReLU random features, on the model and on real data.

* Linear features ``φ = Ux`` have covariance ``UΛUᵀ`` of rank ``min(N, M)`` (docs/theory.md §1):
with
  ``N < M`` the spectrum is the latent power law cut off at N; with ``N > M`` it stops at M.
* ReLU features of a low-dimensional input extend the power law past the input dimension
  (docs/theory.md §11; population spectra from :func:`scalinglab.spectra.feature_spectrum`). The
  extension's exponent is *not* 1+α (docs/theory.md §11), so it is reported without a prediction.
* The same three cases on a real data set (scikit-learn's bundled digits by default, d = 64),
  via :func:`scalinglab.realdata.feature_spectrum`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...realdata import covariance_spectrum, fit_power_law, load_dataset, standardize
from ...realdata import feature_spectrum as data_feature_spectrum
from ...spectra import feature_spectrum
from ..context import build_model, model_text
from ..style import FEATURE_COLORS, add_footer, feature_color, new_figure
from ._common import footer, summary_row

TITLE = "Spectra of linear and ReLU random features"
REL_FLOOR = 1e-9
"""Eigenvalues below this fraction of the largest are numerical zeros (rank cut)."""


def _frame(panel: str, label: str, ev: np.ndarray) -> pd.DataFrame:
    ev = np.asarray(ev, dtype=np.float64)
    return pd.DataFrame(
        {
            "panel": panel,
            "label": label,
            "rank": np.arange(1, ev.size + 1),
            "eigenvalue": ev,
            "relative": ev / ev[0],
        }
    )


def _beyond(ev: np.ndarray, rank: int) -> int:
    """How many eigenvalues past ``rank`` are above the numerical-zero floor."""
    rel = np.asarray(ev) / ev[0]
    return int(np.sum(rel[rank:] > REL_FLOOR))


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    seed = cfg.int("seed")
    wide = build_model(cfg.need("model"))
    narrow = build_model(cfg.need("low_dim_model"))
    n_cut, n_wide = cfg.int("N_cut", 2), cfg.int("N_wide", 8)
    frames, summary = [], []

    lin = feature_spectrum(wide, n_cut, "linear", seed=seed)
    frames.append(
        _frame("model-latent", f"latent $\\lambda_J$ (J ≤ M = {wide.M})", wide.eigenvalues())
    )
    frames.append(_frame("model-latent", f"linear, N = {n_cut} < M = {wide.M}", lin.eigenvalues))
    lo, hi, slope, _ = lin.slopes["head"]
    summary.append(
        summary_row(
            f"linear features, N={n_cut} < M: spectral exponent",
            -slope,
            1 + wide.alpha,
            f"ranks {lo}–{hi}; rank = N",
        )
    )

    lin_n = feature_spectrum(narrow, n_wide, "linear", seed=seed)
    relu_n = feature_spectrum(narrow, n_wide, "relu", seed=seed)
    frames.append(_frame("model-low-dim", f"linear, N = {n_wide}", lin_n.eigenvalues))
    frames.append(_frame("model-low-dim", f"ReLU, N = {n_wide}", relu_n.eigenvalues))
    summary.append(
        summary_row(
            f"linear features, M={narrow.M}: eigenvalues beyond rank M",
            _beyond(lin_n.eigenvalues, narrow.M),
            0,
            "rank M (docs/theory.md §1)",
        )
    )
    ext = relu_n.slopes.get("extension")
    if ext is not None:
        summary.append(
            summary_row(
                f"ReLU features, M={narrow.M}: exponent of the extension (ranks {ext[0]}–{ext[1]})",
                -ext[2],
                float("nan"),
                "extends past M; not 1+α (docs/theory.md §11)",
            )
        )

    data = load_dataset(cfg.need("dataset"), n_samples=cfg.get("n_samples"), seed=seed)
    X = standardize(data.X)
    d = X.shape[1]
    raw = covariance_spectrum(X)
    frames.append(_frame("data", f"{data.name} pixels (d = {d})", raw))
    n_data_cut, n_data_wide = cfg.int("data_N_cut", 2), cfg.int("data_N_wide", 8)
    for act, n in (("linear", n_data_cut), ("linear", n_data_wide), ("relu", n_data_wide)):
        ev = data_feature_spectrum(X, n, activation=act, seed=seed, standardize_input=False)
        name = "ReLU" if act == "relu" else "linear"
        frames.append(_frame("data", f"{name}, N = {n}", ev))
        if act == "relu":
            summary.append(
                summary_row(
                    f"{data.name}: ReLU eigenvalues beyond rank d={d} (N={n})",
                    _beyond(ev, d),
                    float("nan"),
                    "linear features: 0 (rank ≤ d)",
                )
            )
    fit = fit_power_law(raw, n_samples=X.shape[0])
    summary.append(
        summary_row(
            f"{data.name}: fitted spectral exponent 1+α of the pixels",
            fit.exponent,
            float("nan"),
            f"ranks {fit.fit_range[0]}–{fit.fit_range[1]}",
        )
    )
    meta = pd.DataFrame([{"dataset": data.name, "n_samples": X.shape[0], "dim": d}])
    return {
        "spectra": pd.concat(frames, ignore_index=True),
        "data": meta,
        "summary": pd.DataFrame(summary),
    }


def draw(tables, cfg):
    spectra = tables["spectra"]
    wide, narrow = build_model(cfg["model"]), build_model(cfg["low_dim_model"])
    dim = int(tables["data"]["dim"].iloc[0])
    fig, axes = new_figure(ncols=3, width=3.9, height=3.5)
    panels = (
        ("model-latent", f"Model, M = {wide.M}: linear features cut at N", [cfg["N_cut"]]),
        ("model-low-dim", f"Model, low-dim input M = {narrow.M}", [narrow.M]),
        ("data", f"{tables['data']['dataset'].iloc[0]} (d = {dim}), standardised", [dim]),
    )
    for ax, (panel, title, marks) in zip(axes, panels):
        part = spectra[spectra["panel"] == panel]
        seen: set[str] = set()
        for label, grp in part.groupby("label", sort=False):
            keep = grp["relative"] > REL_FLOOR
            ref = "pixels" in label or "latent" in label
            color = FEATURE_COLORS["data"] if ref else feature_color(label)
            style = "--" if color in seen else "-"  # a second curve of the same feature map
            seen.add(color)
            ax.plot(grp["rank"][keep], grp["relative"][keep], style, color=color, label=label)
        for m in marks:
            ax.axvline(m, color="grey", ls=":", lw=0.9)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(REL_FLOOR, 2.0)
        ax.set_title(title)
        ax.set_xlabel("rank $k$  [index of eigenvalue]")
        ax.legend(loc="lower left")
    axes[0].set_ylabel("eigenvalue / largest eigenvalue")
    axes[1].annotate(
        "ReLU extends\npast M", xy=(3 * narrow.M, 1e-3), fontsize=8, color=FEATURE_COLORS["relu"]
    )
    text = (
        f"latent {model_text(wide)}; low-dim {model_text(narrow)}; dotted: N, M or d; "
        f"values below {REL_FLOOR:g} of the largest are numerical zeros"
    )
    add_footer(fig, footer(cfg, text, seeds=False))
    return fig
