"""Reproduce the paper: every key figure, theory over simulation, and an HTML report.

``scalinglab reproduce [--quick] [--out DIR] [--only NAME,...]`` builds each figure of
:data:`~.registry.FIGURES` from its TOML config (``configs/NAME.toml``, ``[quick]`` and ``[full]``
sections) and one compute and one draw function (:mod:`.figures`), writing PNG, SVG and the data
(CSV) the drawing uses, then ``DIR/index.html`` (:mod:`.report`). Simulations run through the
sweep machinery into ``DIR/sweeps/NAME`` and resume when interrupted.
"""

from __future__ import annotations

from .config import load_figure_config
from .registry import FIGURES, figure_names
from .report import duration, write_report
from .run import RunSummary, replot, reproduce

__all__ = [
    "FIGURES",
    "RunSummary",
    "duration",
    "figure_names",
    "load_figure_config",
    "replot",
    "reproduce",
    "write_report",
]
