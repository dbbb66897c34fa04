"""Helpers shared by the figure modules: summary rows, grids and per-point ridge selection."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["footer", "log_grid", "pick", "rel_diff", "summary_row"]


def rel_diff(measured: float, predicted: float) -> float:
    """``measured / predicted − 1`` (NaN when the prediction is 0 or not finite)."""
    if not (math.isfinite(predicted) and math.isfinite(measured)) or predicted == 0:
        return float("nan")
    return float(measured / predicted - 1.0)


def summary_row(quantity: str, measured: float, predicted: float, note: str = "") -> dict:
    """One row of the measured-vs-predicted table (predicted NaN: no closed-form prediction)."""
    measured, predicted = float(measured), float(predicted)
    return {
        "quantity": quantity,
        "measured": measured,
        "predicted": predicted,
        "rel_diff": rel_diff(measured, predicted),
        "note": note,
    }


def agreement_row(what: str, ratio) -> dict:
    """The row "simulated / theory loss, mean over n points" for the ratios ``ratio``."""
    ratio = np.asarray(ratio, dtype=np.float64)
    return summary_row(
        f"{what}, mean over {ratio.size} points",
        float(ratio.mean()),
        1.0,
        f"max |rel diff| {float(np.abs(ratio - 1).max()):.3f}",
    )


def log_grid(low: float, high: float, num: int) -> np.ndarray:
    """``num`` log-spaced floats from ``low`` to ``high`` (for theory curves)."""
    return np.geomspace(float(low), float(high), int(num))


def pick(table, wanted: dict[tuple[int, int], float]):
    """The rows of a simulation table at each (N, T) with its own ridge ``wanted[(N, T)]``."""
    keep = np.zeros(len(table), dtype=bool)
    for (n, t), r in wanted.items():
        keep |= (table["N"] == n) & (table["T"] == t) & np.isclose(table["ridge"], r, rtol=1e-12)
    return table[keep].reset_index(drop=True)


def footer(cfg: dict[str, Any], model_line: str, extra: str = "", seeds: bool = True) -> str:
    """The parameter line under a figure: model, seeds and mode."""
    parts = [model_line]
    if extra:
        parts.append(extra)
    if seeds and "seeds" in cfg:
        parts.append(f"{cfg['seeds']} seeds (base seed {cfg.get('seed', 0)}), mean ± s.e.")
    elif "seed" in cfg:
        parts.append(f"seed {cfg['seed']}")
    parts.append(f"{cfg.get('mode', '')} run")
    return " · ".join(parts)
