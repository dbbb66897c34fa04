"""Results tables embedded in the explorer page (the common results schema).

A table has one row per measured point: ``N``, ``T``, ``loss`` and optionally ``loss_sem``,
``train_loss``, ``train_loss_sem``, ``seeds`` and the inputs under their CLI names (``M``,
``alpha``, ``ridge``, ``noise``, ``sigma_w``, ``sigma_u``, ``lambda_plus``, ``activation``,
``sigma_b``, ``seed``), and for training curves (``scalinglab dynamics``) ``step``, ``optimizer``,
``batch``, ``schedule`` and ``lr`` (rows at step 0 are dropped: the page draws steps on a log
axis). The legacy column ``loss_mean`` is read as ``loss``. A per-seed table
(``seed_index``, ``loss``) is reduced to one row per point: the mean and its standard error
(standard deviation / √k over the k seeds).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..exceptions import ConfigError

__all__ = ["SCHEMA", "load_results"]

# Columns carried into the page, in this order (any others are dropped).
SCHEMA = (
    "N", "T", "loss", "loss_sem", "train_loss", "train_loss_sem", "seeds", "M", "alpha",
    "lambda_plus", "sigma_u", "sigma_w", "noise", "ridge", "activation", "sigma_b", "seed",
    "step", "optimizer", "batch", "schedule", "lr",
)  # fmt: skip
_INPUTS = ("M", "alpha", "lambda_plus", "sigma_u", "sigma_w", "noise", "ridge", "activation",
           "sigma_b", "seed", "N", "T", "step", "optimizer", "batch", "schedule", "lr")  # fmt: skip


def _read(path: Path):
    import pandas as pd

    if not path.is_file():
        raise ConfigError(f"The 'data' parameter must be an existing file. Got {str(path)!r} "
                          "instead.")  # fmt: skip
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except (ValueError, OSError, ImportError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(
            f"The 'data' parameter must be a readable CSV or Parquet table. Got {str(path)!r} "
            f"instead ({first})."
        ) from None


def _per_seed_to_points(frame):
    """Mean and standard error over seeds of a per-seed table (``seed_index`` column)."""
    keys = [c for c in _INPUTS if c in frame.columns and c != "seed"]
    grouped = frame.groupby(keys, dropna=False, sort=True)["loss"]
    out = grouped.mean().rename("loss").to_frame()
    count = grouped.count()
    out["loss_sem"] = (grouped.std(ddof=1) / np.sqrt(count)).where(count >= 2)
    out["seeds"] = count
    if "train_loss" in frame.columns:
        train = frame.groupby(keys, dropna=False, sort=True)["train_loss"]
        out["train_loss"] = train.mean()
        out["train_loss_sem"] = (train.std(ddof=1) / np.sqrt(count)).where(count >= 2)
    return out.reset_index()


def _json_value(value):
    if isinstance(value, str):
        return value
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def load_results(path: str | os.PathLike) -> dict:
    """One results table as ``{"name", "columns", "values"}`` (rows of JSON-ready values).

    Raises :class:`ConfigError` (naming ``--data``) for a missing or unreadable file, a table
    without ``N``, ``T`` and ``loss`` (or ``loss_mean``), or non-numeric sizes and losses.
    """
    path = Path(path)
    frame = _read(path)
    if "loss" not in frame.columns and "loss_mean" in frame.columns:
        frame = frame.rename(columns={"loss_mean": "loss"})  # the legacy schema
    missing = [c for c in ("N", "T", "loss") if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"The 'data' parameter must be a results table with columns N, T and loss. Got "
            f"{str(path)!r} without {', '.join(missing)} (columns: {list(frame.columns)}) instead."
        )
    for col in ("N", "T", "loss", "loss_sem", "step"):
        if col in frame.columns and frame[col].dtype.kind not in "iuf":
            raise ConfigError(
                f"The 'data' parameter must have a numeric '{col}' column. Got dtype "
                f"{frame[col].dtype} in {str(path)!r} instead."
            )
    if "step" in frame.columns:
        frame = frame[frame["step"] > 0]
    for col in ("N", "T", "loss"):
        values = frame[col].to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ConfigError(
                f"The 'data' parameter must have positive finite '{col}' values. Got "
                f"{values[i]!r} at row {i} of {str(path)!r} instead."
            )
    if "seed_index" in frame.columns and "loss_sem" not in frame.columns:
        frame = _per_seed_to_points(frame)
    columns = [c for c in SCHEMA if c in frame.columns]
    values = [[_json_value(v) for v in row] for row in frame[columns].itertuples(index=False)]
    return {"name": path.name, "columns": columns, "values": values}
