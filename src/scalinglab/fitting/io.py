"""Reading a table of results (DataFrame, CSV or Parquet) into the points a fit uses.

A table has one row per measured loss: columns ``N``, ``T``, ``loss`` and optionally ``loss_sem``
(its standard error) or ``seed``. With a ``seed`` column, the rows of one (N, T) are per-seed
losses: the point's loss is their mean, its standard error their standard deviation / √k (when
every point has k ≥ 2 seeds), and the per-seed values are kept for the seed bootstrap
(:mod:`.bootstrap`). Column names are configurable. Missing values, non-positive losses or sizes
and missing columns raise a :class:`ConfigError`: nothing is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..exceptions import ConfigError

__all__ = ["FitData", "load_table"]


@dataclass(frozen=True, eq=False)
class FitData:
    """The points of a fit: 1-D arrays of equal length n.

    Attributes
    ----------
    N, T : ndarray
        Sizes (``NaN`` when the table had no such column; only single-variable forms accept it).
    loss : ndarray
        Observed loss (the seed mean when per-seed losses were given).
    loss_sem : ndarray or None
        Standard error of ``loss``, used for weights.
    seed_losses : ndarray or None
        Per-seed losses, shape (n, k_max), NaN-padded.
    """

    N: np.ndarray
    T: np.ndarray
    loss: np.ndarray
    loss_sem: np.ndarray | None = None
    seed_losses: np.ndarray | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("N", "T", "loss"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.ndim != 1:
                raise ConfigError(
                    f"The '{name}' parameter must be a 1-D array. Got shape {arr.shape} instead."
                )
            put(self, name, arr)
        n = self.loss.size
        if self.N.size != n or self.T.size != n:
            raise ConfigError(
                "The 'N', 'T' and 'loss' parameters must have the same length. "
                f"Got {self.N.size}, {self.T.size} and {n} instead."
            )
        _check_values("loss", self.loss)
        for name in ("N", "T"):
            arr = getattr(self, name)
            if not np.all(np.isnan(arr)):
                _check_values(name, arr)
        if self.loss_sem is not None:
            sem = np.asarray(self.loss_sem, dtype=np.float64)
            if sem.shape != (n,):
                raise ConfigError(
                    f"The 'loss_sem' parameter must have length {n}. Got shape {sem.shape} instead."
                )
            _check_values("loss_sem", sem)
            put(self, "loss_sem", sem)

    @classmethod
    def from_arrays(cls, N=None, T=None, loss=None, loss_sem=None) -> FitData:
        """Points from arrays; a missing N or T (single-variable data) is stored as NaN."""
        if loss is None:
            raise ConfigError("The 'loss' parameter must be an array of losses. Got None instead.")
        loss = np.atleast_1d(np.asarray(loss, dtype=np.float64))
        nan = np.full(loss.shape, np.nan)
        N = nan if N is None else np.atleast_1d(np.asarray(N, dtype=np.float64))
        T = nan if T is None else np.atleast_1d(np.asarray(T, dtype=np.float64))
        return cls(N, T, loss, loss_sem)

    @property
    def n_points(self) -> int:
        return int(self.loss.size)

    def select(self, mask: np.ndarray) -> FitData:
        """The points where ``mask`` is true."""
        seeds = None if self.seed_losses is None else self.seed_losses[mask]
        sem = None if self.loss_sem is None else self.loss_sem[mask]
        return FitData(self.N[mask], self.T[mask], self.loss[mask], sem, seeds)

    def records(self) -> list[dict[str, float]]:
        """The points as records (for JSON output)."""
        out = []
        for i in range(self.n_points):
            rec = {"N": float(self.N[i]), "T": float(self.T[i]), "loss": float(self.loss[i])}
            if self.loss_sem is not None:
                rec["loss_sem"] = float(self.loss_sem[i])
            out.append(rec)
        return out


def _check_values(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ConfigError(
            f"The '{name}' column must hold positive finite numbers. "
            f"Got {float(arr[i])!r} at row {i} instead."
        )


def load_table(
    source,
    *,
    N: str | None = "N",
    T: str | None = "T",
    loss: str = "loss",
    loss_sem: str | None = "loss_sem",
    seed: str | None = "seed",
) -> FitData:
    """Read the points of a fit from a DataFrame, a mapping of columns, or a CSV/Parquet path.

    Parameters
    ----------
    source : pandas.DataFrame, mapping, str or path
        The table; a path ending in ``.parquet``/``.pq`` is read as Parquet, anything else as CSV.
    N, T, loss, loss_sem, seed : str or None
        Column names. ``N`` or ``T`` may be ``None`` (or absent) for single-variable data;
        ``loss_sem`` and ``seed`` are used when present.

    Returns
    -------
    FitData
    """
    import pandas as pd

    frame = _read(source, pd)
    if loss not in frame.columns:
        raise ConfigError(
            f"The 'loss' column ({loss!r}) must be in the table. Got columns "
            f"{list(frame.columns)} instead."
        )
    sizes = {
        role: _column(frame, col, role) if col is not None and col in frame.columns else None
        for role, col in (("N", N), ("T", T))
    }
    if sizes["N"] is None and sizes["T"] is None:
        raise ConfigError(
            f"The 'N' or 'T' column must be in the table. Got columns {list(frame.columns)} "
            "instead."
        )
    L = _column(frame, loss, "loss")
    if seed is not None and seed in frame.columns:
        return _aggregate_seeds(sizes["N"], sizes["T"], L, _column(frame, seed, "seed"))
    sem = _column(frame, loss_sem, "loss_sem") if loss_sem in frame.columns else None
    return FitData.from_arrays(sizes["N"], sizes["T"], L, sem)


def _read(source, pd):
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, Mapping):
        return pd.DataFrame(dict(source))
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ConfigError(
                f"The 'file' parameter must be an existing file. Got {path!r} instead."
            )
        try:
            if path.lower().endswith((".parquet", ".pq")):
                return pd.read_parquet(path)
            return pd.read_csv(path)
        except (ValueError, OSError) as err:
            raise ConfigError(
                f"The 'file' parameter must be a readable CSV or Parquet table. Got {path!r} "
                f"instead ({err})."
            ) from None
    raise ConfigError(
        "The 'data' parameter must be a DataFrame, a mapping of columns or a CSV/Parquet path. "
        f"Got {type(source).__name__} instead."
    )


def _column(frame, col: str, role: str) -> np.ndarray:
    try:
        values = frame[col].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"The '{role}' column ({col!r}) must be numeric. Got dtype {frame[col].dtype} instead."
        ) from None
    nan = np.isnan(values)
    if nan.any():
        raise ConfigError(
            f"The '{role}' column ({col!r}) must have no missing values. Got NaN at row "
            f"{int(np.flatnonzero(nan)[0])} instead."
        )
    return values


def _aggregate_seeds(N, T, L, seeds) -> FitData:
    """Group per-seed rows by (N, T): mean loss, standard error and the NaN-padded seed matrix."""
    key_N = np.zeros_like(L) if N is None else N
    key_T = np.zeros_like(L) if T is None else T
    keys = np.stack([key_N, key_T], axis=1)
    unique, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    n, k_max = unique.shape[0], int(counts.max())
    matrix = np.full((n, k_max), np.nan)
    order = np.argsort(inverse, kind="stable")
    slot = np.arange(L.size) - np.repeat(np.cumsum(counts) - counts, counts)
    matrix[inverse[order], slot] = L[order]
    mean = np.nanmean(matrix, axis=1)
    sem = None
    if counts.min() >= 2:
        sem = np.nanstd(matrix, axis=1, ddof=1) / np.sqrt(counts)
        if np.any(sem <= 0):
            sem = None
    nan = np.full(n, np.nan)
    N_out = nan if N is None else unique[:, 0]
    T_out = nan if T is None else unique[:, 1]
    return FitData(N_out, T_out, mean, sem, matrix)
