"""The output folder of a sweep: a Parquet dataset of finished tasks, a manifest, failures.

Layout of ``DIR``::

    manifest.json           sweep file text, validated content, its SHA-256, package version
    parts/<task_id>.parquet one file per finished task (rows: N x T x ridge of one seed)
    failed/<task_id>.json   the error of a task that failed (removed when it later succeeds)
    sweep.log               a log of every run in this folder
    .lock                   the pid of the run in progress

Each file is written to a hidden temporary name in the same folder, flushed to disk and then
renamed (``os.replace`` is atomic on POSIX), so a crash leaves either the whole file or none;
readers ignore hidden names. A task is done exactly when its part file exists, which makes a
rerun resume where the last one stopped, with one row per (parameters, seed, ridge).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import ConfigError
from .config import AXES, SweepConfig, load_config
from .tasks import Task, expand_tasks

__all__ = ["SweepStatus", "SweepStore", "collect", "load_results", "sweep_status"]

MANIFEST = "manifest.json"
PARTS = "parts"
FAILED = "failed"
LOG = "sweep.log"
LOCK = ".lock"


def _atomic_write(path: Path, write) -> None:
    """Write ``path`` via ``write(tmp_path)`` to a hidden temporary file, fsync, rename.

    The rename is atomic, so readers and reruns see the whole file or none. (The folder is
    not fsynced: after a power cut a rename may be lost, and the task is simply recomputed.)
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1)))


class SweepStore:
    """Reads and writes one sweep's output folder (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def parts(self) -> Path:
        return self.root / PARTS

    @property
    def failed(self) -> Path:
        return self.root / FAILED

    @property
    def log_path(self) -> Path:
        return self.root / LOG

    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(
                f"The 'out' folder must hold a sweep (a {MANIFEST}). Got {str(self.root)!r} "
                "instead."
            ) from None

    # ---------------------------------------------------------------- opening a run
    def open(self, config: SweepConfig, source: str | None, force_new: bool = False) -> bool:
        """Prepare the folder for ``config``; return True if it already held this sweep.

        Raises :class:`ConfigError` if the folder holds results of a different sweep (unless
        ``force_new``: they are then moved to ``superseded-<hash>-<time>/``) or if another run
        is writing to it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock()
        digest = config.content_hash()
        path = self.root / MANIFEST
        old = json.loads(path.read_text()) if path.exists() else None
        has_results = any(self._names(self.parts, ".parquet")) or any(
            self._names(self.failed, ".json")
        )
        same = old is not None and old.get("hash") == digest
        if (old is not None or has_results) and not same:
            old_hash = (old or {}).get("hash", "unknown")
            if not force_new:
                self.release()
                raise ConfigError(
                    f"The 'out' folder {str(self.root)!r} holds results of a different sweep "
                    f"(hash {old_hash[:12]}, this sweep {digest[:12]}). Use --force-new "
                    "(force_new=True) to start over, keeping the old results in a "
                    "superseded-* subfolder, or choose another output folder."
                )
            aside = self.root / f"superseded-{old_hash[:12]}-{time.strftime('%Y%m%d-%H%M%S')}"
            aside.mkdir()
            for name in (MANIFEST, PARTS, FAILED):
                if (self.root / name).exists():
                    shutil.move(self.root / name, aside / name)
        self.parts.mkdir(exist_ok=True)
        self.failed.mkdir(exist_ok=True)
        for folder in (self.parts, self.failed, self.root):
            for stale in folder.glob(".*.tmp"):
                stale.unlink()
        if not same:
            from .. import __version__

            _write_json(
                path,
                {
                    "hash": digest,
                    "config": config.canonical(),
                    "source": source,
                    "scalinglab_version": __version__,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                },
            )
        return same

    def _lock(self) -> None:
        import psutil

        lock = self.root / LOCK
        while True:
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    pid = int(lock.read_text() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and pid != os.getpid() and psutil.pid_exists(pid):
                    raise ConfigError(
                        f"The 'out' folder {str(self.root)!r} is in use by another sweep run "
                        f"(pid {pid}). Got it as the output of this run instead."
                    ) from None
                lock.unlink(missing_ok=True)  # left by a run that was killed
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return

    def release(self) -> None:
        """Remove this process's lock."""
        (self.root / LOCK).unlink(missing_ok=True)

    # ------------------------------------------------------------------ task files
    @staticmethod
    def _names(folder: Path, suffix: str) -> list[str]:
        if not folder.is_dir():
            return []
        return [
            e.name[: -len(suffix)]
            for e in os.scandir(folder)
            if e.name.endswith(suffix) and not e.name.startswith(".")
        ]

    def done_ids(self) -> set[str]:
        """Ids of the tasks whose part file exists."""
        return set(self._names(self.parts, ".parquet"))

    def failures(self) -> dict[str, str]:
        """``task_id -> error`` of the recorded failures."""
        out = {}
        for name in self._names(self.failed, ".json"):
            try:
                out[name] = json.loads((self.failed / f"{name}.json").read_text())["error"]
            except (OSError, ValueError, KeyError):
                out[name] = "unreadable failure record"
        return out

    def write_part(self, task: Task, columns: dict[str, list]) -> None:
        """Store a finished task atomically and drop an earlier failure record of it."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(columns)
        _atomic_write(
            self.parts / f"{task.task_id}.parquet", lambda tmp: pq.write_table(table, tmp)
        )
        (self.failed / f"{task.task_id}.json").unlink(missing_ok=True)

    def write_failure(self, task: Task, error: BaseException) -> None:
        """Record a failed task with its error (it is retried by the next run)."""
        record = {
            "task_id": task.task_id,
            "params": task.params,
            "seed": task.seed_index,
            "error": f"{type(error).__name__}: {error}",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _write_json(self.failed / f"{task.task_id}.json", record)


@dataclass
class SweepStatus:
    """Counts of a sweep folder's tasks; ``failures`` maps task ids to their errors."""

    total: int
    done: int
    failed: int
    pending: int
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.done == self.total


def _stored_config(store: SweepStore) -> SweepConfig:
    return load_config(store.manifest()["config"])


def sweep_status(out_dir: str | Path) -> SweepStatus:
    """Done, pending and failed tasks of the sweep in ``out_dir`` (from its manifest)."""
    store = SweepStore(out_dir)
    ids = {t.task_id for t in expand_tasks(_stored_config(store))}
    done = store.done_ids() & ids
    failures = {k: v for k, v in store.failures().items() if k in ids and k not in done}
    return SweepStatus(
        total=len(ids),
        done=len(done),
        failed=len(failures),
        pending=len(ids) - len(done) - len(failures),
        failures=failures,
    )


def load_results(out_dir: str | Path, check_version: bool = True):
    """All rows of a sweep as a :class:`pandas.DataFrame`: one per (parameters, seed, ridge).

    Columns: the grid axes (:data:`~.config.AXES`), ``seed`` (the seed index), ``loss``,
    ``train_loss``, ``resolution`` (the rounding floor, docs/theory.md §4), ``task_id``,
    ``seed_entropy``, ``task_seconds``, ``backend``, ``warning`` and ``scalinglab_version``;
    sorted by the axes and the seed. Warns if a row was written by another package version.
    """
    import pandas as pd
    import pyarrow.dataset as ds

    from .. import __version__

    store = SweepStore(out_dir)
    manifest = store.manifest()
    if store.done_ids():
        try:
            frame = ds.dataset(store.parts, format="parquet").to_table().to_pandas()
        except (OSError, ValueError) as err:  # pyarrow.ArrowInvalid is a ValueError
            raise ConfigError(
                f"The 'out' folder {str(out_dir)!r} holds unreadable result files ({err}). "
                "Move the damaged part files away and run the sweep again to recompute them."
            ) from None
    else:
        frame = pd.DataFrame(columns=[*AXES, "seed", "loss", "train_loss", "scalinglab_version"])
    missing = [axis for axis in (*AXES, "seed", "loss") if axis not in frame.columns]
    if missing:
        raise ConfigError(
            f"The 'out' folder {str(out_dir)!r} holds results without the column(s) "
            f"{', '.join(missing)} (written by an older scalinglab?). Rerun the sweep with "
            "--force-new to recompute them."
        )
    frame = frame.sort_values([*AXES, "seed"], kind="stable").reset_index(drop=True)
    versions = set(frame["scalinglab_version"]) | {manifest.get("scalinglab_version")}
    others = sorted(str(v) for v in versions - {__version__})
    if check_version and others:
        warnings.warn(
            f"The sweep in {str(out_dir)!r} was written by scalinglab {', '.join(others)}; "
            f"this is {__version__}. Numbers may differ from a rerun with this version.",
            UserWarning,
            stacklevel=2,
        )
    return frame


def collect(out_dir: str | Path, check_version: bool = True):
    """One row per grid point: the seed mean and standard error of the losses.

    Columns: the grid axes, ``loss_mean``, ``loss_sem`` (sample s.d. over seeds / sqrt(seeds);
    NaN for one seed, as :func:`~scalinglab.simulation.result.seed_mean_sem`),
    ``train_loss_mean``, ``train_loss_sem`` and ``seeds`` (the number of finished seeds).
    Warns if the sweep is not complete.
    """
    import pandas as pd

    status = sweep_status(out_dir)
    if not status.complete:
        warnings.warn(
            f"The sweep in {str(out_dir)!r} is incomplete ({status.done} of {status.total} "
            f"tasks done, {status.failed} failed): some points have fewer seeds.",
            UserWarning,
            stacklevel=2,
        )
    rows = load_results(out_dir, check_version=check_version)
    if rows.empty:
        return pd.DataFrame(
            columns=[*AXES, "loss_mean", "loss_sem", "train_loss_mean", "train_loss_sem", "seeds"]
        )
    grouped = rows.groupby(list(AXES), sort=True)
    table = grouped.agg(
        loss_mean=("loss", "mean"),
        loss_std=("loss", "std"),
        train_loss_mean=("train_loss", "mean"),
        train_loss_std=("train_loss", "std"),
        seeds=("loss", "size"),
    ).reset_index()
    root = np.sqrt(table["seeds"].to_numpy(dtype=np.float64))
    table.insert(table.columns.get_loc("loss_std"), "loss_sem", table.pop("loss_std") / root)
    table.insert(
        table.columns.get_loc("train_loss_std"),
        "train_loss_sem",
        table.pop("train_loss_std") / root,
    )
    return table
