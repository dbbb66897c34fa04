"""Reading a sweep's results: every verified row, the seed statistics per point, a table file.

Both readers verify the parts first (parts.py). Bad parts are moved to the quarantine folder
and reported, all in one :class:`~scalinglab.exceptions.ConfigError`; the next ``sweep run``
recomputes them. So a table never holds rows of a damaged, foreign or duplicated part, and
never two rows of one (parameters, seed, N, T, ridge).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..exceptions import ConfigError
from .config import AXES
from .store import SweepStore, atomic_write
from .tasks import expand_tasks

__all__ = ["FORMATS", "check_table_path", "collect", "load_results", "write_table"]

KEY = [*AXES, "seed"]
DYNAMICS = ["optimizer", "lr", "schedule", "batch", "step"]
"""The columns a dynamics sweep adds to the axes (docs/dynamics.md; one row per step)."""
STATS = ["loss", "loss_sem", "train_loss", "train_loss_sem", "seeds"]
FORMATS = (".parquet", ".csv")


def _verified_rows(store: SweepStore):
    """The rows of every good part and the sweep's task ids; bad parts quarantined and
    reported in one error."""
    import pandas as pd
    import pyarrow as pa

    tasks = expand_tasks(store.config())
    check = store.check_parts(tasks)
    if check.bad:
        message = check.message(store.parts)
        target = store.quarantine(check)
        raise ConfigError(
            f"{message}. Moved to {target}; rerun the sweep (`scalinglab sweep run FILE --out "
            f"{store.root}`) to recompute them."
        )
    ids = {t.task_id for t in tasks}
    if not check.good:
        return pd.DataFrame(columns=[*KEY, "loss", "train_loss", "scalinglab_version"]), ids
    frame = pa.concat_tables(list(check.good.values())).to_pandas()
    if frame.duplicated(_key(frame)).any():  # impossible after verification: a guard, never silent
        raise ConfigError(f"The sweep in {str(store.root)!r} holds duplicated rows.")
    return frame, ids


def _axes(frame) -> list[str]:
    """The columns that name a row's point: the axes, and a dynamics sweep's step columns."""
    return [*AXES, *(c for c in DYNAMICS if c in frame.columns)]


def _key(frame) -> list[str]:
    return [*_axes(frame), "seed"]


def load_results(out_dir: str | Path, check_version: bool = True):
    """All verified rows of a sweep as a :class:`pandas.DataFrame`, one per (axes, seed).

    Columns: the grid axes (:data:`~.config.AXES`), ``seed`` (the seed index), ``loss``,
    ``train_loss``, ``resolution`` (the rounding floor, docs/theory.md §4), ``task_id``,
    ``seed_entropy``, ``task_seconds``, ``backend``, ``warning`` and ``scalinglab_version``;
    sorted by the axes and the seed. Warns if a row was written by another package version.
    """
    return _load(out_dir, check_version)[0]


def _load(out_dir: str | Path, check_version: bool):
    """The verified rows (sorted, version-checked) and the sweep's task ids."""
    from .. import __version__

    store = SweepStore(out_dir)
    manifest = store.manifest()
    frame, ids = _verified_rows(store)
    frame = frame.sort_values(_key(frame), kind="stable").reset_index(drop=True)
    versions = set(frame["scalinglab_version"]) | {manifest.get("scalinglab_version")}
    others = sorted(str(v) for v in versions - {__version__})
    if check_version and others:
        warnings.warn(
            f"The sweep in {str(out_dir)!r} was written by scalinglab {', '.join(others)}; "
            f"this is {__version__}. Numbers may differ from a rerun with this version.",
            UserWarning,
            stacklevel=3,
        )
    return frame, ids


def collect(out_dir: str | Path, check_version: bool = True):
    """One row per grid point: the seed mean and standard error of the losses.

    Columns: the grid axes, ``loss`` and ``train_loss`` (means over seeds), ``loss_sem`` and
    ``train_loss_sem`` (sample s.d. over seeds / sqrt(seeds); NaN for one seed, as
    :func:`~scalinglab.simulation.result.seed_mean_sem`) and ``seeds`` (the number of finished
    seeds); sorted by the axes. Warns if the sweep is not complete.
    """
    import pandas as pd

    rows, ids = _load(out_dir, check_version)
    done = set(rows["task_id"]) if not rows.empty else set()
    if done != ids:
        failed = len(set(SweepStore(out_dir).failures()) & (ids - done))
        warnings.warn(
            f"The sweep in {str(out_dir)!r} is incomplete ({len(done)} of {len(ids)} "
            f"tasks done, {failed} failed): some points have fewer seeds.",
            UserWarning,
            stacklevel=2,
        )
    if rows.empty:
        return pd.DataFrame(columns=[*AXES, *STATS])
    axes = _axes(rows)
    grouped = rows.groupby(axes, sort=True)
    table = grouped.agg(
        loss=("loss", "mean"),
        loss_std=("loss", "std"),
        train_loss=("train_loss", "mean"),
        train_loss_std=("train_loss", "std"),
        seeds=("loss", "size"),
    ).reset_index()
    root = np.sqrt(table["seeds"].to_numpy(dtype=np.float64))
    table["loss_sem"] = table.pop("loss_std") / root
    table["train_loss_sem"] = table.pop("train_loss_std") / root
    return table[[*axes, *STATS]]


def check_table_path(path: str | Path) -> Path:
    """``path`` if it names a .parquet or .csv file, else a :class:`ConfigError`."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS or path.is_dir():
        raise ConfigError(
            f"The 'out' parameter must be a file ending in {' or '.join(FORMATS)}. "
            f"Got {str(path)!r} instead."
        )
    return path


def write_table(table, path: str | Path) -> None:
    """Write ``table`` to ``path`` atomically, as Parquet or CSV by its extension.

    The file is written to a temporary name beside it and renamed, so a full disk leaves the
    previous file intact. Raises :class:`ConfigError` for another extension; an
    :class:`OSError` of the disk propagates (the caller reports it).
    """
    path = check_table_path(path)
    if path.suffix.lower() == ".parquet":
        atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))
    else:
        atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
