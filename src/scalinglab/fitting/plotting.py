"""Plot a fitted law against its data (matplotlib imported only inside :func:`plot_fit`).

For a law of N and T: the loss against N at a few T slices and against T at a few N slices
(data as points, the fitted law as lines), and the compute-optimal frontier L*(C) over the data's
budgets C = N·T. For a law of one variable: the loss against it.
"""

from __future__ import annotations

import numpy as np

from .fit import FitResult
from .frontier import compute_optimal_frontier
from .io import FitData

__all__ = ["plot_fit"]

_MAX_SLICES = 5


def _slices(values: np.ndarray) -> list[np.ndarray]:
    """Masks of the points in a few slices of ``values``.

    Grid-like data (few distinct values): up to five distinct values, evenly spread. Scattered
    data: five log-quantile bins.
    """
    distinct = np.unique(values)
    if distinct.size <= 5 * _MAX_SLICES:
        picks = np.unique(np.linspace(0, distinct.size - 1, _MAX_SLICES).round().astype(int))
        return [values == distinct[i] for i in picks]
    edges = np.quantile(np.log(values), np.linspace(0, 1, _MAX_SLICES + 1))
    bins = np.clip(np.searchsorted(edges, np.log(values), side="right") - 1, 0, _MAX_SLICES - 1)
    return [bins == k for k in range(_MAX_SLICES) if np.any(bins == k)]


def plot_fit(result: FitResult, data: FitData, path: str | None = None, *, frontier: bool = True):
    """A figure of ``data`` and the law of ``result``; saved to ``path`` when given.

    Returns the :class:`matplotlib.figure.Figure` (created without pyplot, so no global backend
    state is touched; saving uses the Agg renderer).
    """
    from matplotlib.figure import Figure

    two = set(result.form.variables) == {"N", "T"}
    n_axes = (3 if frontier else 2) if two else 1
    fig = Figure(figsize=(5 * n_axes, 4.2), layout="constrained")
    axes = fig.subplots(1, n_axes, squeeze=False)[0]
    sizes = {"N": data.N, "T": data.T}
    pairs = [("N", "T"), ("T", "N")] if two else [(result.form.variables[0], None)]
    for ax, (x_name, slice_name) in zip(axes, pairs):
        x = sizes[x_name]
        x_line = np.geomspace(x.min(), x.max(), 200)
        groups = _slices(sizes[slice_name]) if slice_name else [np.ones_like(x, dtype=bool)]
        for k, mask in enumerate(groups):
            color = f"C{k}"
            label = None
            kwargs = {x_name: x_line}
            if slice_name:
                at = float(np.exp(np.mean(np.log(sizes[slice_name][mask]))))
                kwargs[slice_name] = at
                label = f"{slice_name} ≈ {at:.3g}"
            ax.loglog(x[mask], data.loss[mask], "o", color=color, ms=3.5, alpha=0.7)
            ax.loglog(x_line, result.predict(**kwargs), "-", color=color, label=label)
        ax.set_xlabel(x_name)
        ax.set_ylabel("loss")
        if slice_name:
            ax.legend(fontsize=8)
    axes[0].set_title(f"{result.form.name}: {result.form.doc}", fontsize=9)
    if two and frontier:
        ax = axes[2]
        C = data.N * data.T
        budgets = np.geomspace(C.min(), C.max(), 40)
        line = compute_optimal_frontier(result, budgets)
        ax.loglog(C, data.loss, "o", color="0.6", ms=3.5, label="data")
        label = f"frontier: N* ∝ C^{line.exponent_N:.3g}, T* ∝ C^{line.exponent_T:.3g}"
        ax.loglog(line.C, line.loss, "-", color="C3", label=label)
        ax.set_xlabel("C = N·T")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
