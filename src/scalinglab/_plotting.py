"""The small matplotlib helpers shared by the library's plot functions (real data, learners):
pyplot on the Agg backend, imported only when a plot is drawn, and a tight save."""

from __future__ import annotations

from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str) -> None:
    """Write ``fig`` to ``path`` (tight layout, 120 dpi) and close it."""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    pyplot().close(fig)
