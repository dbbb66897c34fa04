"""``run_sweep``: validate, lock, verify, skip finished tasks, run the rest, store each as it
ends, and stop with one line (what is saved, how to resume) whatever ends the run early."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..exceptions import ConfigError
from ._progress import task_bar
from .cluster import ClusterConfig
from .config import SweepConfig, load_config
from .errors import ClusterLost, SweepStopped
from .execute import execute, plan_execution
from .store import SweepStore
from .tasks import expand_tasks

__all__ = ["SweepSummary", "run_sweep"]


@dataclass
class SweepSummary:
    """What a :func:`run_sweep` call did.

    ``total`` tasks in the sweep; ``skipped`` were already done before this call; ``done``
    finished in this call; ``failed`` failed in this call (``failures``: task id -> error).
    """

    out_dir: Path
    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    execution: str
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every task of the sweep is done."""
        return self.skipped + self.done == self.total

    def line(self) -> str:
        """A one-line summary for the command line and the log."""
        return (
            f"{self.done} task(s) done in {self.seconds:.1f} s on {self.execution}, "
            f"{self.skipped} already done, {self.failed} failed, of {self.total}; "
            f"results in {self.out_dir}"
        )


class _QuietFileHandler(logging.FileHandler):
    """A log file that never prints a traceback (e.g. when the disk is full): the run's own
    error says what happened."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            super().flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            super().close()


def _logger(path: Path) -> tuple[logging.Logger, logging.Handler]:
    logger = logging.getLogger(f"scalinglab.sweeps.{path.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = _QuietFileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler


TINY_SECONDS = 1.0
"""Sweeps estimated to compute in less than this run in this process by default (a local
cluster takes about a second to start)."""


def task_seconds_estimate(config: SweepConfig, flops_per_second: float = 5e9) -> float:
    """A rough single-core time of one task: the latent accumulation, M (N + T)² (docs/theory.md
    §4), and an eigendecomposition of about 10 min(N, T)³ per (N, T) point, of the largest M.
    Dynamics (docs/dynamics.md): GD adds 2 min(N, T)² per step and point; one-pass SGD (no T)
    an N x N covariance per N and about 10 N per update and batch."""
    Ns, m, dyn = config.grid.N, max(config.grid.M), config.dynamics
    Ts = config.grid.T or Ns
    n, t = max(Ns), max(Ts)
    eigen = sum(10 * min(a, b) ** 3 for a in Ns for b in Ts)
    work = m * (n + t) ** 2 + eigen
    if dyn is not None and dyn.optimizer == "gd":
        work += 2 * len(dyn.steps) * sum(min(a, b) ** 2 for a in Ns for b in Ts)
    elif dyn is not None:
        work += 10 * max(dyn.steps) * sum(Ns) * len(dyn.batch)
    return work / flops_per_second


def _check_resources(config: SweepConfig) -> None:
    """Refuse a sweep the backend or the memory cannot run, before any compute."""
    from ..simulation.accumulate import default_chunk
    from ..simulation.backend import Backend
    from ..simulation.memory import check_fits, simulation_bytes

    Backend(config.backend, config.device, config.dtype)
    n = max(config.grid.N)
    t = max(config.grid.T or (n,))  # one-pass SGD (no T): N x N moments, sized as T = N
    itemsize = 4 if config.dtype == "float32" else 8
    check_fits(simulation_bytes(n, t, default_chunk(n, t), itemsize), f"A task at N = {n}, T = {t}")


FLUSH_SECONDS = 0.5
"""Finished tasks are written together, as one part, at most this long after they end (one
Parquet writer per part keeps the cost per tiny task low; a crash loses at most this much)."""
MAX_PART_TASKS = 2000


class _WriteError(Exception):
    """A part or failure record could not be written (its ``str`` is the OS's reason)."""


class _PartWriter:
    """Buffers finished tasks and writes them as one verified part every
    :data:`FLUSH_SECONDS` (and at the end); records failures at once."""

    def __init__(self, store: SweepStore, logger: logging.Logger, failed: set[str]) -> None:
        self.store, self.logger, self.failed = store, logger, failed
        self.buffer: list[tuple[Any, dict]] = []
        self.saved = 0
        self.last = time.monotonic()

    def add(self, task, columns: dict) -> None:
        self.buffer.append((task, columns))
        if time.monotonic() - self.last >= FLUSH_SECONDS or len(self.buffer) >= MAX_PART_TASKS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            try:
                name = self.store.write_part(self.buffer)
                for task, _ in self.buffer:
                    if task.task_id in self.failed:  # it failed in an earlier run
                        self.store.clear_failure(task.task_id)
            except OSError as err:
                raise _WriteError(err.strerror or str(err)) from None
            for task, columns in self.buffer:
                self.logger.info("done %s %s in %.3f s (%s)", task.task_id, task.params,
                                 columns["task_seconds"][0], name)  # fmt: skip
                if columns["warning"][0]:
                    self.logger.warning("task %s: %s", task.task_id, columns["warning"][0])
            self.saved += len(self.buffer)
            self.buffer.clear()
        self.last = time.monotonic()

    def fail(self, task, error: str) -> None:
        try:
            self.store.write_failure(task, error)
        except OSError as err:
            raise _WriteError(err.strerror or str(err)) from None
        self.logger.error("failed %s %s: %s", task.task_id, task.params, error)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread by :func:`_sigterm_raises` (a BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` takes it for a task's failure)."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`_Terminated` while the run lives (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cluster_config(cluster: Any, config: SweepConfig) -> ClusterConfig | None:
    """The SLURM settings: ``cluster`` ("slurm", a dict or a ClusterConfig) over the file's."""
    if cluster is None or isinstance(cluster, ClusterConfig):
        return cluster
    base = config.cluster or ClusterConfig()
    if isinstance(cluster, str):
        return base.merged(kind=cluster)
    if isinstance(cluster, Mapping):
        return base.merged(**cluster)
    raise ConfigError(
        f"The 'cluster' parameter must be 'slurm' or a table of settings. Got {cluster!r} instead."
    )


def run_sweep(
    config_or_path: SweepConfig | Mapping[str, Any] | str | Path,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    cluster: str | Mapping[str, Any] | ClusterConfig | None = None,
    quiet: bool = True,
    force_new: bool = False,
    rebuild_manifest: bool = False,
    break_lock: bool = False,
    retries: int = 1,
    resources: dict[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep; store finished tasks in verified Parquet parts as they end.

    Parameters
    ----------
    config_or_path : SweepConfig, dict or path to a TOML sweep file
        The sweep (validated fully before any compute; see :mod:`.config`).
    out_dir : path, optional
        Output folder; overrides the file's ``out``.
    scheduler : str, optional
        ``None``: local worker processes (see ``workers``); ``"local:K"``: a new Dask
        LocalCluster of K workers; otherwise the address of a running Dask scheduler.
    workers : int, optional
        Local worker processes (default: one per core, at most one per task; 1 runs the tasks
        in this process, and so does a sweep estimated to take under a second).
    cluster : "slurm", dict or ClusterConfig, optional
        Run on SLURM (dask-jobqueue) with the file's ``[cluster]`` settings updated by these
        (see :mod:`.cluster`). Without ``scheduler`` and ``workers``, a file with a
        ``[cluster]`` table runs on SLURM too.
    quiet : bool
        No progress bar (a log is always written to ``out_dir/sweep.log``).
    force_new : bool
        If ``out_dir`` holds results of a different sweep, move them aside and start over
        (otherwise that is an error).
    rebuild_manifest : bool
        Replace a missing or unreadable manifest with this sweep's; the parts are verified
        against it and only the missing or bad ones recomputed.
    break_lock : bool
        Take the folder over from a run that holds its lock (when that run is known to be
        gone but cannot be proven so, see :mod:`.lock`).
    retries : int
        Further tries of a task that raised before it is recorded as failed.
    resources : dict, optional
        Dask worker resources each batch of tasks needs (e.g. ``{"GPU": 1}``).
    progress : callable, optional
        Called as ``progress(done, total)`` after each task (finished before this call count).

    Returns
    -------
    SweepSummary
        Failed tasks are recorded (``out_dir/failed``) and retried by the next call.

    Raises
    ------
    ConfigError
        Bad input: the file, an option, an unusable or locked output folder.
    SweepStopped
        The environment ended the run early (disk full, lost cluster, Ctrl-C, SIGTERM): the
        message says how many tasks are saved and how to resume; ``exit_code`` is 1, 130 or
        143.
    """
    config = load_config(config_or_path)
    retries = check_int("retries", retries, low=0)
    source = Path(config_or_path).read_text() if isinstance(config_or_path, str | Path) else None
    out = out_dir if out_dir is not None else config.out
    if out is None:
        raise ConfigError(
            "The 'out' parameter must be given (--out, or `out = ...` in the sweep file). "
            "Got None instead."
        )
    slurm = _cluster_config(cluster, config)
    if slurm is None and scheduler is None and workers is None:
        slurm = config.cluster
    _check_resources(config)
    tasks = expand_tasks(config)
    estimate = task_seconds_estimate(config)
    resume = f"scalinglab sweep run {config_or_path if source is not None else 'FILE'} --out {out}"
    store = SweepStore(out)
    store.open(
        config, source, force_new=force_new, rebuild_manifest=rebuild_manifest,
        break_lock=break_lock,
    )  # fmt: skip
    logger, handler = _logger(store.log_path)
    try:
        check = store.check_parts(tasks)
        if check.bad:
            message = check.message(store.parts)
            target = store.quarantine(check)
            logger.warning("%s; moved to %s", message, target)
            warnings.warn(f"{message}. Moved to {target}; recomputing them.", UserWarning,
                          stacklevel=2)  # fmt: skip
        pending = [t for t in tasks if t.task_id not in check.done]
        tiny = len(pending) * estimate < TINY_SECONDS
        execution = plan_execution(scheduler, workers, len(pending), tiny=tiny, cluster=slurm)
        if execution.mode == "slurm":
            execution = replace(execution, log_directory=str(store.root / "slurm-logs"))
        summary = SweepSummary(
            out_dir=Path(out),
            total=len(tasks),
            skipped=len(tasks) - len(pending),
            done=0,
            failed=0,
            seconds=0.0,
            execution=execution.describe(),
        )
        logger.info(
            "sweep %s: %d tasks, %d already done, running %d on %s",
            config.content_hash()[:12],
            summary.total,
            summary.skipped,
            len(pending),
            summary.execution,
        )
        start = time.perf_counter()
        stop: tuple[str, int] | None = None
        writer = _PartWriter(store, logger, set(store.failures()))
        try:
            with _sigterm_raises(), task_bar("sweep", enabled=not quiet) as bar:
                callbacks = [c for c in (bar, progress) if c is not None]
                for callback in callbacks:
                    callback(summary.skipped, summary.total)
                ended = 0
                for task, columns, error in execute(
                    pending, execution, retries, resources, estimate
                ):
                    if error is None:
                        writer.add(task, columns)
                    else:
                        writer.fail(task, error)
                        summary.failed += 1
                        summary.failures[task.task_id] = error
                    ended += 1
                    for callback in callbacks:
                        callback(summary.skipped + ended, summary.total)
                    if store.lock.lost:
                        stop = ("another run took over the lock of this folder", 1)
                        break
                writer.flush()
        except _WriteError as err:
            stop = (f"could not write to {out} ({err})", 1)
        except KeyboardInterrupt:
            stop = ("interrupted (Ctrl-C)", 130)
        except _Terminated:
            stop = ("terminated (SIGTERM)", 143)
        except ClusterLost as err:
            stop = (str(err), 1)
        summary.done = writer.saved
        summary.seconds = time.perf_counter() - start
        if stop is not None:
            with contextlib.suppress(_WriteError):
                writer.flush()  # what was computed before the stop
            saved = len(store.check_parts(tasks).done)  # counted on disk, verified
            line = (
                f"Sweep stopped: {stop[0]}. {saved} of {len(tasks)} tasks are saved in {out}; "
                f"rerun `{resume}` to resume."
            )
            logger.error("%s", line)
            raise SweepStopped(line, stop[1])
        logger.info("%s", summary.line())
    finally:
        logger.removeHandler(handler)
        handler.close()
        store.release()
    return summary
