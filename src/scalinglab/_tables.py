"""Result objects as tables: one row per grid point, one column per field (pandas)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def grid_frame(result: Any, scalars: dict[str, Any] | None = None):
    """A :class:`pandas.DataFrame` of a dataclass of arrays on one broadcast grid.

    Every array field broadcast to the common shape becomes a column (flattened in C order);
    scalar fields and ``scalars`` are repeated on every row. Column names are the field names,
    which for the theory results are the results schema's (``N``, ``T``, ``ridge``, ``loss``).
    """
    import pandas as pd

    arrays, fixed = {}, dict(scalars or {})
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if isinstance(value, np.ndarray):
            arrays[f.name] = value
        elif isinstance(value, int | float | str | bool | np.generic):
            fixed[f.name] = value
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    columns = {name: np.broadcast_to(a, shape).ravel() for name, a in arrays.items()}
    frame = pd.DataFrame(columns)
    for name, value in fixed.items():
        frame[name] = value
    return frame
