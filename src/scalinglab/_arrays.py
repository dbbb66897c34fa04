"""Conversions between array libraries that every layer may use."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_numpy(values: Any) -> np.ndarray:
    """A NumPy or torch array (any device) as a float64 NumPy array."""
    if isinstance(values, np.ndarray):
        return values.astype(np.float64, copy=False)
    if hasattr(values, "detach"):
        return values.detach().to("cpu").double().numpy()
    return np.asarray(values, dtype=np.float64)


def loglog_slope(x: Any, y: Any) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (a power law's exponent)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
