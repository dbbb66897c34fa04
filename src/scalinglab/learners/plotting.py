"""The exponent study's figure: measured learning curves with their fitted slopes beside the
predicted curve and slope (docs/exponents.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["draw_study", "plot_studies"]


def draw_study(ax: Any, study: Any, color: str = "C0", label: str | None = None) -> None:
    """One study on ``ax``: measured mean ± sem, the measured fit line (solid) and the
    predicted curve (dashed) over the fit range, both slopes in the legend."""
    rec = study.to_dict()
    T = study.T.astype(float)
    mean = study.measured.mean(axis=0)
    s = study.measured.shape[0]
    sem = study.measured.std(axis=0, ddof=1) / np.sqrt(s) if s > 1 else np.zeros_like(mean)
    name = label or f"{study.dataset} {study.learner} ({study.kernel})"
    ax.errorbar(T, mean, yerr=sem, fmt="o", color=color, ms=4, label=f"{name}: measured")
    Tf = T[study.fit]
    fit = np.polyfit(np.log(Tf), np.log(mean[study.fit]), 1)
    ax.plot(Tf, np.exp(np.polyval(fit, np.log(Tf))), "-", color=color,
            label=f"fit slope {rec['measured_exponent']:.3f}")  # fmt: skip
    ax.plot(T, study.prediction.loss, "--", color=color,
            label=f"predicted, slope {rec['predicted_exponent']:.3f}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("T (training samples)")
    ax.set_ylabel("held-out loss")


def plot_studies(studies: Sequence[Any], path: str, title: str = "") -> None:
    """All studies on one log-log panel, written to ``path``."""
    from .._plotting import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for i, study in enumerate(studies):
        draw_study(ax, study, color=f"C{i}")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    save(fig, path)
