"""``spectrum``: the latent power law against sample-covariance spectra at several T.

The latent covariance has ``λ_J = λ_+ J^{-(1+α)}`` (docs/theory.md §1). The sample covariance
``XᵀX/T`` of T draws has rank ``min(T, M)``: its rank-ordered spectrum follows the power law and
falls off sharply at rank T. Each sample spectrum is drawn from an explicit seed and compared with
the Silverstein (Marchenko–Pastur) prediction of the sample spectrum
(:func:`scalinglab.realdata.latent_size.predicted_sample_spectrum`); its fitted exponent
(:func:`scalinglab.realdata.fit_power_law`, automatic range) is set beside ``1 + α``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...realdata import fit_power_law
from ...realdata.latent_size import predicted_sample_spectrum
from ..context import build_model, model_text
from ..style import PALETTE, add_footer, new_figure
from ._common import footer, summary_row

TITLE = "Latent power-law spectrum and sample-covariance spectra"
_ROW_BLOCK = 2048


def sample_spectrum(lam: np.ndarray, T: int, seq: np.random.SeedSequence) -> np.ndarray:
    """Eigenvalues of ``XᵀX/T`` for T rows ``x ~ N(0, diag λ)`` (accumulated in row blocks)."""
    rng = np.random.default_rng(seq)
    cov = np.zeros((lam.size, lam.size))
    root = np.sqrt(lam)
    for start in range(0, T, _ROW_BLOCK):
        X = rng.standard_normal((min(_ROW_BLOCK, T - start), lam.size)) * root
        cov += X.T @ X
    return np.linalg.eigvalsh(cov / T)[::-1][: min(T, lam.size)]


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    Ts = cfg.ints("T")
    lam = model.eigenvalues()
    seqs = np.random.SeedSequence(cfg.int("seed")).spawn(len(Ts))
    spectra = [
        pd.DataFrame(
            {"T": 0, "kind": "population", "rank": np.arange(1, lam.size + 1), "eigenvalue": lam}
        )
    ]
    fits, summary = [], []
    for T, seq in zip(Ts, seqs):
        ev = sample_spectrum(lam, T, seq)
        theory = predicted_sample_spectrum(lam, T, points_per_decade=100)
        rank = np.arange(1, ev.size + 1)
        spectra.append(pd.DataFrame({"T": T, "kind": "sample", "rank": rank, "eigenvalue": ev}))
        spectra.append(
            pd.DataFrame(
                {"T": T, "kind": "silverstein", "rank": rank[: theory.size], "eigenvalue": theory}
            )
        )
        fit = fit_power_law(ev, n_samples=T)
        half = slice(0, max(1, ev.size // 2))
        fits.append(
            {
                "T": T,
                "exponent": fit.exponent,
                "amplitude": fit.amplitude,
                "fit_lo": fit.fit_range[0],
                "fit_hi": fit.fit_range[1],
                "cutoff": fit.cutoff,
                "silverstein_median_rel_diff": float(
                    np.median(np.abs(theory[half] / ev[half] - 1))
                ),
            }
        )
        summary.append(
            summary_row(
                f"spectral exponent 1+α, sample covariance T={T}",
                fit.exponent,
                1.0 + model.alpha,
                f"fit ranks {fit.fit_range[0]}–{fit.fit_range[1]}",
            )
        )
    return {
        "spectra": pd.concat(spectra, ignore_index=True),
        "fits": pd.DataFrame(fits),
        "summary": pd.DataFrame(summary),
    }


def draw(tables, cfg):
    model = build_model(cfg["model"])
    spectra, fits = tables["spectra"], tables["fits"]
    fig, (ax,) = new_figure(width=5.6, height=4.0)
    pop = spectra[spectra["kind"] == "population"]
    ax.plot(
        pop["rank"],
        pop["eigenvalue"],
        color="black",
        lw=2.6,
        alpha=0.35,
        label=f"latent $\\lambda_J = J^{{-(1+\\alpha)}}$, 1+α = {1 + model.alpha:g}",
    )
    for i, row in enumerate(fits.itertuples()):
        color = PALETTE[i % len(PALETTE)]
        s = spectra[(spectra["T"] == row.T) & (spectra["kind"] == "sample")]
        th = spectra[(spectra["T"] == row.T) & (spectra["kind"] == "silverstein")]
        ax.plot(
            s["rank"],
            s["eigenvalue"],
            "o",
            ms=2.2,
            color=color,
            alpha=0.7,
            label=f"sample, T = {row.T}: fitted exponent {row.exponent:.3f}",
        )
        ax.plot(th["rank"], th["eigenvalue"], "-", lw=1.1, color="black", alpha=0.55)
        ax.axvline(row.T, color=color, ls=":", lw=0.9)
    ax.plot(
        [], [], "-", color="black", alpha=0.55, lw=1.1, label="Silverstein prediction (thin lines)"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank $k$  [index of eigenvalue]")
    ax.set_ylabel("eigenvalue  [$\\lambda_+$]")
    ax.set_ylim(1e-3 * float(pop["eigenvalue"].min()), 2.0 * float(pop["eigenvalue"].max()))
    ax.set_title("Sample spectra follow the power law, fall off at rank T (dotted)")
    ax.legend(loc="lower left")
    add_footer(fig, footer(cfg, model_text(model), "X ~ N(0, Λ), one draw per T", seeds=False))
    return fig
