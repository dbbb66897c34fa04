"""The output folder of a sweep: manifest, verified parts, failures, lock.

Layout of ``DIR``::

    manifest.json           sweep file text, validated content, its SHA-256, package version
    parts/<hash>.parquet    verified files of finished tasks, one per batch (see parts.py)
    failed/<task_id>.json   a task that failed: its parameters, seed and error (removed when it
                            later succeeds)
    quarantine/<time>/      bad part files moved aside, with reasons.txt (never deleted)
    sweep.log               a log of every run in this folder
    .lock                   the run in progress (see lock.py)

Small files are written to a hidden temporary name in the same folder and renamed
(``os.replace`` is atomic on POSIX), so a crash leaves either the whole file or none; readers
ignore hidden names. A task is done exactly when a part that verifies holds it, which makes a
rerun resume where the last one stopped, with one row per (parameters, seed, N, T, ridge).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from .config import SweepConfig, load_config
from .errors import SweepStopped
from .lock import SweepLock, lock_holder
from .parts import PartCheck, quarantine, verify_parts, write_part
from .tasks import Task, expand_tasks

__all__ = ["SweepStatus", "SweepStore", "sweep_status"]

MANIFEST = "manifest.json"
PARTS = "parts"
FAILED = "failed"
LOG = "sweep.log"


def atomic_write(path: Path, write, sync: bool = True) -> None:
    """Write ``path`` via ``write(tmp_path)`` to a hidden temporary file, fsync, rename.

    The rename is atomic, so readers and reruns see the whole old file or the whole new one,
    also when the disk fills up while writing (the temporary file is removed).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        if sync:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1)))


def rebuild_hint(root: Path) -> str:
    return (
        f"Rerun `scalinglab sweep run FILE --out {root} --rebuild-manifest` with its sweep file "
        "to rebuild it from the finished parts (nothing is recomputed)."
    )


def _environment(err: OSError, root: Path) -> None:
    """Raise :class:`SweepStopped` for a full disk or an I/O error (not the user's doing)."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
        raise SweepStopped(
            f"Sweep not started: could not write to {root} ({err.strerror}); nothing was "
            "computed or changed. Free some space and rerun."
        ) from None


class SweepStore:
    """Reads and writes one sweep's output folder (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.lock = SweepLock(self.root)
        self.digest: str | None = None  # the content hash of the sweep opened for writing

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
        """The manifest, or a :class:`ConfigError` saying how to rebuild a missing or bad one."""
        path = self.root / MANIFEST
        try:
            data = json.loads(path.read_bytes())
            load_config(data["config"])
            if not isinstance(data["hash"], str):
                raise TypeError("hash")
        except FileNotFoundError:
            if any(self._names(self.parts, ".parquet")):
                raise ConfigError(
                    f"The 'out' folder {str(self.root)!r} holds results but no {MANIFEST}. "
                    + rebuild_hint(self.root)
                ) from None
            raise ConfigError(
                f"The 'out' folder must hold a sweep (a {MANIFEST}). Got {str(self.root)!r} "
                "instead."
            ) from None
        except IsADirectoryError:
            raise ConfigError(
                f"The 'out' folder must be a folder. Got {str(self.root)!r} instead."
            ) from None
        except (ValueError, KeyError, TypeError, ConfigError) as err:
            reason = type(err).__name__ if isinstance(err, UnicodeDecodeError) else str(err)
            raise ConfigError(
                f"The manifest {str(path)!r} is unreadable ({reason.splitlines()[0][:100]}). "
                + rebuild_hint(self.root)
            ) from None
        return data

    def config(self) -> SweepConfig:
        return load_config(self.manifest()["config"])

    # ---------------------------------------------------------------- opening a run
    def open(
        self,
        config: SweepConfig,
        source: str | None,
        force_new: bool = False,
        rebuild_manifest: bool = False,
        break_lock: bool = False,
    ) -> bool:
        """Lock the folder and prepare it for ``config``; return True if it held this sweep.

        Raises :class:`ConfigError` if the folder is not writable, is locked by a live run, has
        an unreadable manifest (unless ``rebuild_manifest``) or holds results of a different
        sweep (unless ``force_new``: they are then moved to ``superseded-<hash>-<time>/``).
        """
        self.digest = config.content_hash()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.lock.acquire(break_lock=break_lock)
        except OSError as err:
            _environment(err, self.root)
            raise ConfigError(
                f"The 'out' folder must be a writable folder. Got {str(self.root)!r} instead "
                f"({err.strerror})."
            ) from None
        try:
            return self._prepare(config, source, force_new, rebuild_manifest)
        except OSError as err:
            self.lock.release()
            _environment(err, self.root)
            raise ConfigError(
                f"The 'out' folder must be a writable folder. Got {str(self.root)!r} instead "
                f"({err.strerror})."
            ) from None
        except BaseException:
            self.lock.release()
            raise

    def _prepare(self, config: SweepConfig, source, force_new: bool, rebuild: bool) -> bool:
        digest = config.content_hash()
        path = self.root / MANIFEST
        old = None
        if path.exists() or any(self._names(self.parts, ".parquet")):
            if rebuild:
                if path.exists():  # kept, never deleted
                    stamp = time.strftime("%Y%m%d-%H%M%S")
                    os.replace(path, self.root / f"{MANIFEST}.replaced-{stamp}")
            else:
                old = self.manifest()
        same = old is not None and old["hash"] == digest
        if old is not None and not same:
            if not force_new:
                raise ConfigError(
                    f"The 'out' folder {str(self.root)!r} holds results of a different sweep "
                    f"(hash {old['hash'][:12]}, this sweep {digest[:12]}). Use --force-new "
                    "(force_new=True) to start over, keeping the old results in a "
                    "superseded-* subfolder, or choose another output folder."
                )
            aside = self.root / f"superseded-{old['hash'][:12]}-{time.strftime('%Y%m%d-%H%M%S')}"
            aside.mkdir()
            for name in (MANIFEST, PARTS, FAILED):
                if (self.root / name).exists():
                    shutil.move(self.root / name, aside / name)
        self.parts.mkdir(exist_ok=True)
        self.failed.mkdir(exist_ok=True)
        for folder in (self.parts, self.failed, self.root):
            for stale in folder.glob(".*.tmp"):
                if not stale.name.startswith(".lock."):
                    stale.unlink(missing_ok=True)
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

    def release(self) -> None:
        """Remove this driver's lock (never another's)."""
        self.lock.release()

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

    def write_part(self, outcomes) -> str:
        """Write finished ``(task, columns)`` pairs as one verified part (see parts.py)."""
        return write_part(self.parts, self.digest, outcomes)

    def check_parts(self, tasks: list[Task] | None = None) -> PartCheck:
        """Verify every part against the sweep (see :func:`~.parts.verify_parts`)."""
        manifest = self.manifest()
        tasks = expand_tasks(load_config(manifest["config"])) if tasks is None else tasks
        return verify_parts(self.parts, {t.task_id: t for t in tasks}, manifest["hash"])

    def quarantine(self, check: PartCheck) -> Path | None:
        """Move the bad parts of ``check`` aside; return the quarantine folder (None if none)."""
        if not check.bad:
            return None
        return quarantine(self.root, self.parts, check.bad)

    def failures(self) -> dict[str, dict[str, Any]]:
        """``task_id -> record`` (``params``, ``seed``, ``error``) of the recorded failures."""
        out = {}
        for name in self._names(self.failed, ".json"):
            try:
                record = json.loads((self.failed / f"{name}.json").read_text())
                if not isinstance(record.get("error"), str):
                    raise ValueError("no error")
            except (OSError, ValueError, AttributeError):
                record = {"error": "unreadable failure record", "params": {}, "seed": None}
            out[name] = record
        return out

    def write_failure(self, task: Task, error: str) -> None:
        """Record a failed task with its parameters and error (the next run retries it)."""
        record = {
            "task_id": task.task_id,
            "params": task.params,
            "seed": task.seed_index,
            "error": error,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _write_json(self.failed / f"{task.task_id}.json", record)

    def clear_failure(self, task_id: str) -> None:
        (self.failed / f"{task_id}.json").unlink(missing_ok=True)


@dataclass
class SweepStatus:
    """A sweep folder's tasks: counts, failures (id -> record), bad parts (file -> reason)."""

    total: int
    done: int
    failed: int
    pending: int
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad: dict[str, str] = field(default_factory=dict)
    running: str | None = None

    @property
    def complete(self) -> bool:
        return self.done == self.total


def sweep_status(out_dir: str | Path) -> SweepStatus:
    """Done (verified), pending and failed tasks of the sweep in ``out_dir``; bad parts listed.

    Reads only: bad parts are reported here and quarantined by the next run or ``collect``.
    """
    store = SweepStore(out_dir)
    tasks = expand_tasks(store.config())
    check = store.check_parts(tasks)
    ids = {t.task_id for t in tasks}
    done = check.done
    failures = {k: v for k, v in store.failures().items() if k in ids and k not in done}
    return SweepStatus(
        total=len(ids),
        done=len(done),
        failed=len(failures),
        pending=len(ids) - len(done) - len(failures),
        failures=failures,
        bad=check.bad,
        running=lock_holder(out_dir),
    )
