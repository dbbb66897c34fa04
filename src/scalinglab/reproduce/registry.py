"""The registry of reproduced figures: each figure's module and its compute/draw functions.

Its own module so that :mod:`.run` (which builds figures) and :mod:`.report` (which lists them)
both read it without importing each other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..exceptions import ConfigError

__all__ = ["FIGURES", "FigureSpec", "figure_names"]


class FigureSpec(NamedTuple):
    """A figure: its module in :mod:`.figures` and the names of its compute/draw functions."""

    module: str
    compute: str = "compute"
    draw: str = "draw"

    def functions(self) -> tuple[Callable, Callable, str]:
        mod = importlib.import_module(f"scalinglab.reproduce.figures.{self.module}")
        title = getattr(mod, "TITLE", None) or getattr(mod, f"TITLE_{self.compute[-1].upper()}")
        return getattr(mod, self.compute), getattr(mod, self.draw), title


FIGURES: dict[str, FigureSpec] = {
    "spectrum": FigureSpec("spectrum"),
    "features": FigureSpec("features"),
    "loss-vs-N": FigureSpec("learning_curves", "compute_n", "draw_n"),
    "loss-vs-T": FigureSpec("learning_curves", "compute_t", "draw_t"),
    "phase": FigureSpec("phase"),
    "breakdown": FigureSpec("breakdown"),
    "double-descent": FigureSpec("double_descent"),
    "optimal-ridge": FigureSpec("optimal_ridge"),
    "scaling-fit": FigureSpec("scaling_fit"),
    "alpha-sweep": FigureSpec("alpha_sweep"),
    "compute-envelope": FigureSpec("compute_envelope"),
    "noise-allocation": FigureSpec("noise_allocation"),
    "relu-learning-curves": FigureSpec("relu_learning_curves"),
    "realdata-spectra": FigureSpec("realdata_spectra"),
    "realdata-learning-curves": FigureSpec("realdata_learning_curves"),
    "intrinsic-dimension": FigureSpec("intrinsic_dimension"),
    "finite-size": FigureSpec("finite_size"),
    "dynamics-loss-vs-steps": FigureSpec("dynamics_curves"),
    "dynamics-compute-optimal": FigureSpec("dynamics_frontier"),
    "real-exponents": FigureSpec("real_exponents"),
}
"""Every reproduced figure, in report order."""


def figure_names(only: str | Iterable[str] | None = None) -> list[str]:
    """The figures to build: all, or the comma-separated / listed names (validated)."""
    if only is None:
        return list(FIGURES)
    names = [s.strip() for s in only.split(",")] if isinstance(only, str) else list(only)
    names = [n for n in names if n]
    unknown = [n for n in names if n not in FIGURES]
    if unknown or not names:
        raise ConfigError(
            f"The 'only' parameter must list figures among {', '.join(FIGURES)}. "
            f"Got {', '.join(unknown) or repr(only)} instead."
        )
    return [n for n in FIGURES if n in names]
