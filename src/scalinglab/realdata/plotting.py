"""Plots of real-data results (matplotlib is imported only inside these functions, Agg backend)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._plotting import pyplot, save

__all__ = ["plot_dimension_curve", "plot_learning_curves", "plot_spectra", "plot_spectrum"]


def _ranked(ax: Any, eigenvalues: object, label: str) -> None:
    """The positive part of a rank-ordered spectrum on log-log axes."""
    ev = np.asarray(eigenvalues)
    k = np.arange(1, ev.size + 1)
    keep = ev > 0
    ax.loglog(k[keep], ev[keep], label=label)


def _label_spectrum(ax: Any, title: str) -> None:
    ax.set_xlabel("rank k")
    ax.set_ylabel("eigenvalue")
    ax.set_title(title)
    ax.legend()


def plot_spectra(
    curves: dict[str, object], path: str, title: str = "", M: int | None = None
) -> None:
    """Several rank-ordered spectra on log-log axes (e.g. a model's data and feature spectra),
    with the latent size M marked when given."""
    fig, ax = pyplot().subplots(figsize=(6, 4.5))
    for label, ev in curves.items():
        _ranked(ax, ev, label)
    if M is not None:
        ax.axvline(M, color="grey", ls=":", lw=1, label=f"M = {M}")
    _label_spectrum(ax, title)
    save(fig, path)


def plot_spectrum(eigenvalues: np.ndarray, fit: Any, path: str, title: str = "") -> None:
    """Rank-ordered spectrum on log-log axes with the fitted power law over its range."""
    fig, ax = pyplot().subplots(figsize=(6, 4.5))
    _ranked(ax, eigenvalues, "spectrum")
    a, b = fit.fit_range
    kk = np.arange(a, b + 1)
    ax.loglog(kk, fit.predict(kk), "k--", label=f"fit: exponent {fit.exponent:.3f}")
    ax.axvline(fit.cutoff, color="grey", ls=":", lw=1, label=f"cut-off {fit.cutoff}")
    _label_spectrum(ax, title)
    save(fig, path)


def plot_learning_curves(result: Any, path: str) -> None:
    """Predicted (lines) and measured (points with s.e.) test loss against T, one curve per N."""
    fig, ax = pyplot().subplots(figsize=(6, 4.5))
    mean, sem = result.measured_mean, result.measured_sem
    for i, n in enumerate(result.N):
        line = ax.loglog(result.T, result.predicted[i], label=f"N = {n} (theory)")[0]
        ax.errorbar(result.T, mean[i], yerr=sem[i], fmt="o", color=line.get_color())
    ax.set_xlabel("T (training samples)")
    ax.set_ylabel("test loss")
    ax.set_title(f"{result.dataset}, target {result.target}, {result.activation} features")
    ax.legend()
    save(fig, path)


def plot_dimension_curve(curve: Any, path: str, title: str = "") -> None:
    """MLE and TwoNN estimates and the mean nearest-neighbour distance against T."""
    fig, (left, right) = pyplot().subplots(1, 2, figsize=(10, 4))
    left.semilogx(curve.T, curve.mle, "o-", label="MLE (Levina-Bickel)")
    left.semilogx(curve.T, curve.twonn, "s-", label="TwoNN")
    left.set_xlabel("T")
    left.set_ylabel("intrinsic dimension")
    left.legend()
    right.loglog(curve.T, curve.mean_nn_distance, "o-")
    right.set_xlabel("T")
    right.set_ylabel("mean nearest-neighbour distance")
    right.set_title(f"<delta> ~ T^(-1/d), d = {curve.d_delta:.2f}")
    fig.suptitle(title)
    save(fig, path)
