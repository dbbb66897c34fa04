"""The house style of every reproduced figure, and the shared plotting helpers.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no
interactive backend). One palette, one font size, one footer line that states the figure's
parameters and seeds, and one helper for the recurring "theory curve over simulation points".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = [
    "FEATURE_COLORS",
    "PALETTE",
    "RC",
    "add_footer",
    "feature_color",
    "heat_map",
    "heat_map_axes",
    "house_style",
    "new_figure",
    "plain_log_ticks",
    "save_figure",
    "theory_over_simulation",
]

PALETTE = ("#1b6ca8", "#d1495b", "#2a9d8f", "#edae49", "#6a4c93", "#3d405b", "#8ab17d")
"""Colour cycle: one colour per curve; theory and simulation of a curve share its colour."""

FEATURE_COLORS = {"linear": "#1b6ca8", "relu": "#d1495b", "data": "#000000"}
"""One colour per feature map in every figure: linear blue, ReLU red, raw data black."""


def feature_color(label: str) -> str:
    """The colour of a curve whose label names its feature map (linear, ReLU or raw data)."""
    low = label.lower()
    for key in ("relu", "linear"):
        if low.startswith(key) or f" {key}" in low:
            return FEATURE_COLORS[key]
    return FEATURE_COLORS["data"]


RC = {
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "errorbar.capsize": 2,
    "savefig.dpi": 150,
    "svg.fonttype": "none",
    "axes.prop_cycle": None,  # set in house_style (needs cycler)
}

LOSS_LABEL = "test loss $L$  [$\\sigma_w^2\\lambda_+$]"
"""Loss axis label: L carries the units of y², i.e. of σ_w²λ₊ (docs/theory.md §1)."""


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house rcParams for the duration of a drawing."""
    import matplotlib as mpl
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=list(PALETTE))
    with mpl.rc_context(rc):
        yield


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4):
    """A figure with an Agg canvas and an (nrows x ncols) grid of axes (always a flat array)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height * nrows + 0.35), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    return fig, axes


def add_footer(fig, text: str) -> None:
    """State the parameters and seeds under the axes (small grey text)."""
    fig.get_layout_engine().set(h_pad=0.06)
    fig.supxlabel(text, fontsize=7.2, color="#555555")


def plain_log_ticks(ax, which: str = "both") -> None:
    """Label log axes with plain numbers (20, 50, 100), not crowded ``a×10^b`` minor labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axes = (
        (ax.xaxis, ax.yaxis) if which == "both" else ((ax.xaxis,) if which == "x" else (ax.yaxis,))
    )
    for axis in axes:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())


def heat_map_axes(ax) -> None:
    """A log-log heat-map axes: no grid over the colours, plain tick labels (20, 50, 100)."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(False)
    plain_log_ticks(ax)


def heat_map(ax, x, y, z, **kwargs):
    """``pcolormesh`` rasterised inside vector output (an SVG heat map stays well under 1 MB)."""
    return ax.pcolormesh(x, y, z, shading="gouraud", rasterized=True, **kwargs)


def save_figure(fig, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg``; return the paths."""
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for path in paths:
        fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    return paths


def theory_over_simulation(
    ax,
    x_theory: Sequence[float],
    y_theory: Sequence[float],
    x_sim: Sequence[float],
    y_sim: Sequence[float],
    y_err: Sequence[float] | None,
    color: str,
    label: str,
    theory_style: str = "-",
    marker: str = "o",
) -> None:
    """A theory line and simulation points (mean ± s.e. over seeds) in one colour.

    Non-finite theory values (e.g. the ridgeless peak) are left as gaps.
    """
    y_theory = np.asarray(y_theory, dtype=np.float64)
    y_theory = np.where(np.isfinite(y_theory), y_theory, np.nan)
    ax.plot(x_theory, y_theory, theory_style, color=color, label=label, zorder=2)
    err = None if y_err is None else np.nan_to_num(np.asarray(y_err, dtype=np.float64))
    ax.errorbar(
        x_sim,
        y_sim,
        yerr=err,
        fmt=marker,
        color=color,
        mfc="white",
        mew=1.2,
        elinewidth=1.0,
        zorder=3,
    )
