"""Reading a table of results (DataFrame, CSV, Parquet, JSON or stdin) into the points of a fit.

A table has one row per measured loss in the results schema (README, "Results tables"): columns
``N``, ``T``, ``loss`` and optionally ``loss_sem`` (its standard error) or a per-seed index
``seed_index`` (or a varying ``seed``). With per-seed rows, the rows of one (N, T) are per-seed
losses: the point's loss is their mean, its standard error their standard deviation / √k (when
every point has k ≥ 2 seeds), and the per-seed values are kept for the seed bootstrap
(:mod:`.bootstrap`). Column names are configurable.

A fit describes one setting of the model: rows are selected with ``where`` (``ridge=0,noise=0``)
and every other input column (:func:`varying_inputs`: ``ridge``, ``noise``, ``M``, ...) must be
constant, else a :class:`ConfigError` names the varying columns. Missing values, non-positive
losses or sizes and missing columns raise a :class:`ConfigError`: nothing is dropped silently.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import ConfigError

__all__ = [
    "FitData",
    "apply_where",
    "load_table",
    "parse_where",
    "read_frame",
    "varying_inputs",
]

OUTPUT_COLUMNS = frozenset({
    "loss", "loss_sem", "train_loss", "train_loss_sem", "seeds", "seed", "seed_index",
    "seed_entropy", "instance_loss", "instance_loss_sem", "bias", "variance", "regime",
    "converged", "reason", "ridge_opt", "loss_opt", "delta", "kappa", "d1", "iterations",
    "residual", "warning", "seconds", "predicted", "measured", "measured_sem", "relative_error",
    "draws", "method", "backend", "device", "dtype", "scalinglab_version", "bank",
})  # fmt: skip
"""Columns that are results or bookkeeping, not inputs that define a setting of the model."""


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
    seed: str | None = None,
    where: str | Mapping | None = None,
    constant: bool = True,
) -> FitData:
    """Read the points of a fit from a table.

    Parameters
    ----------
    source : pandas.DataFrame, mapping, str or path
        The table (:func:`read_frame`): a DataFrame, a mapping of columns, a ``.csv``,
        ``.parquet``/``.pq`` or ``.json`` (a list of records) file, or ``"-"`` for stdin.
    N, T, loss, loss_sem : str or None
        Column names. ``N`` or ``T`` may be ``None`` (or absent) for single-variable data;
        ``loss_sem`` is used when present.
    seed : str, optional
        Column of per-seed rows; default ``seed_index``, or ``seed`` when it varies.
    where : str or mapping, optional
        Keep only the rows matching ``"ridge=0,noise=0"`` (:func:`apply_where`).
    constant : bool
        Refuse a table whose other input columns vary (:func:`varying_inputs`).

    Returns
    -------
    FitData
    """
    frame = read_frame(source)
    if where is not None:
        frame = apply_where(frame, where)
    if loss not in frame.columns:
        hint = ""
        if f"{loss}_mean" in frame.columns:
            hint = f" (an older table: pass --loss-column {loss}_mean)"
        raise ConfigError(
            f"The 'loss' column ({loss!r}) must be in the table. Got columns "
            f"{', '.join(map(str, frame.columns))} instead{hint}."
        )
    if seed is None:
        seed = "seed_index" if "seed_index" in frame.columns else "seed"
        if seed == "seed" and (seed not in frame.columns or frame[seed].nunique() < 2):
            seed = None
    if constant:
        varying = varying_inputs(frame, exclude=(N, T, loss, loss_sem, seed))
        if varying:
            raise ConfigError(
                "The table must describe one setting of the model, but these input columns vary: "
                + ", ".join(f"{c} ({_values(frame[c])})" for c in varying)
                + ". Select one with --where (e.g. --where "
                + ",".join(f"{c}={plain(frame[c].iloc[0])}" for c in varying)
                + ") or fit each with --by "
                + ",".join(varying)
                + "."
            )
    sizes = {
        role: _column(frame, col, role) if col is not None and col in frame.columns else None
        for role, col in (("N", N), ("T", T))
    }
    if sizes["N"] is None and sizes["T"] is None:
        raise ConfigError(
            f"The 'N' or 'T' column must be in the table. Got columns "
            f"{', '.join(map(str, frame.columns))} instead."
        )
    L = _column(frame, loss, "loss")
    if seed is not None and seed in frame.columns:
        return _aggregate_seeds(sizes["N"], sizes["T"], L, _column(frame, seed, "seed"))
    sem = _column(frame, loss_sem, "loss_sem") if loss_sem in frame.columns else None
    return FitData.from_arrays(sizes["N"], sizes["T"], L, sem)


def plain(value) -> str:
    """A cell as the user would type it: ``0.001``, ``1e+06``, ``relu``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _values(column) -> str:
    distinct = list(dict.fromkeys(column.tolist()))
    shown = ", ".join(plain(v) for v in distinct[:4])
    return shown + (f", ... {len(distinct)} values" if len(distinct) > 4 else "")


def varying_inputs(frame, exclude: Sequence[str | None] = ()) -> list[str]:
    """Input columns (not results, not ``exclude``) that take more than one value."""
    skip = set(OUTPUT_COLUMNS) | {c for c in exclude if c}
    return [str(c) for c in frame.columns if c not in skip and frame[c].nunique(dropna=False) > 1]


def parse_where(where: str | Mapping, flag: str = "--where") -> dict[str, str]:
    """``"ridge=0,noise=0"`` (or a mapping) → ``{"ridge": "0", "noise": "0"}``."""
    if isinstance(where, Mapping):
        return {str(k): str(v) for k, v in where.items()}
    out = {}
    for item in filter(None, (s.strip() for s in str(where).split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(
                f"The '{flag}' option must look like 'ridge=0,noise=0'. Got {where!r} instead."
            )
        out[name.strip()] = value.strip()
    if not out:
        raise ConfigError(
            f"The '{flag}' option must look like 'ridge=0,noise=0'. Got {where!r} instead."
        )
    return out


def apply_where(frame, where: str | Mapping, flag: str = "--where"):
    """The rows of ``frame`` whose columns equal the given values (numbers to 1e-9 relative)."""
    import pandas as pd

    conditions = parse_where(where, flag)
    keep = np.ones(len(frame), dtype=bool)
    for name, text in conditions.items():
        if name not in frame.columns:
            raise ConfigError(
                f"The '{flag}' option must name columns of the table. Got {name!r} instead "
                f"(columns: {', '.join(map(str, frame.columns))})."
            )
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column):
            try:
                target = float(text)
            except ValueError:
                raise ConfigError(
                    f"The '{flag}' option must give a number for the numeric column {name!r}. "
                    f"Got {text!r} instead."
                ) from None
            keep &= np.isclose(column.to_numpy(dtype=np.float64), target, rtol=1e-9, atol=0.0)
        else:
            keep &= (column.astype(str) == text).to_numpy()
    if not keep.any():
        raise ConfigError(
            f"The '{flag}' option must match some rows. Got "
            + ",".join(f"{k}={v}" for k, v in conditions.items())
            + " instead, which matches none (values present: "
            + "; ".join(f"{n} in {{{_values(frame[n])}}}" for n in conditions)
            + ")."
        )
    return frame.loc[keep].reset_index(drop=True)


def read_frame(source):
    """A :class:`pandas.DataFrame` from a DataFrame, a mapping, a file path or ``"-"`` (stdin).

    Files are read by extension: ``.parquet``/``.pq`` as Parquet, ``.json`` as a list of records,
    anything else as CSV. Standard input holds JSON (it starts with ``[``) or CSV.
    """
    import pandas as pd

    return _read(source, pd)


def _read(source, pd):
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, Mapping):
        return pd.DataFrame(dict(source))
    if isinstance(source, str) and source == "-":
        return _parse_text(sys.stdin.read(), "standard input", pd)
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ConfigError(
                f"The 'file' parameter must be an existing file. Got {path!r} instead."
            )
        try:
            if path.lower().endswith((".parquet", ".pq")):
                return pd.read_parquet(path)
            if path.lower().endswith(".json"):
                with open(path) as handle:
                    return _parse_text(handle.read(), repr(path), pd)
            return pd.read_csv(path)
        except (ValueError, OSError, UnicodeDecodeError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ConfigError(
                f"The 'file' parameter must be a readable CSV, Parquet or JSON table. Got "
                f"{path!r} instead ({first})."
            ) from None
    raise ConfigError(
        "The 'data' parameter must be a DataFrame, a mapping of columns or a CSV/Parquet path. "
        f"Got {type(source).__name__} instead."
    )


def _parse_text(text: str, where: str, pd):
    """A JSON list of records or a CSV text as a DataFrame (``"inf"`` strings become floats)."""
    import json

    stripped = text.lstrip()
    if not stripped:
        raise ConfigError(f"The 'file' parameter must hold a table. Got an empty {where} instead.")
    if stripped[0] in "[{":
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise ConfigError(
                f"The 'file' parameter must hold valid JSON. Got invalid JSON in {where} "
                f"instead ({err.msg} at line {err.lineno})."
            ) from None
        if isinstance(records, dict):
            records = records.get("records", [records])
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ConfigError(
                f"The 'file' parameter must hold a JSON list of records. Got another JSON value "
                f"in {where} instead."
            )
        frame = pd.DataFrame(records)
        for col in frame.columns:  # the CLI writes infinities as "inf" strings
            if frame[col].map(lambda v: v in ("inf", "-inf") or isinstance(v, int | float)).all():
                frame[col] = pd.to_numeric(frame[col].replace({"inf": np.inf, "-inf": -np.inf}))
        return frame
    try:
        return pd.read_csv(io.StringIO(text))
    except ValueError as err:
        raise ConfigError(
            f"The 'file' parameter must hold a CSV or JSON table. Got unreadable text in {where} "
            f"instead ({str(err).splitlines()[0]})."
        ) from None


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
