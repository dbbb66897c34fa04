"""``run_sweep``: validate, expand, skip finished tasks, run the rest, store each as it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..exceptions import ConfigError
from ._progress import task_bar
from .config import SweepConfig, load_config
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


def _logger(path: Path) -> tuple[logging.Logger, logging.Handler]:
    logger = logging.getLogger(f"scalinglab.sweeps.{path.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler


TINY_SECONDS = 1.0
"""Sweeps estimated to compute in less than this run in this process by default (a local
cluster takes about a second to start)."""


def task_seconds_estimate(config: SweepConfig, flops_per_second: float = 5e9) -> float:
    """A rough single-core time of one task: the latent accumulation, M (N + T)² (docs/theory.md
    §4), and an eigendecomposition of about 10 min(N, T)³ per (N, T) point, of the largest M."""
    n, t, m = max(config.grid.N), max(config.grid.T), max(config.grid.M)
    eigen = sum(10 * min(a, b) ** 3 for a in config.grid.N for b in config.grid.T)
    return (m * (n + t) ** 2 + eigen) / flops_per_second


def _check_resources(config: SweepConfig) -> None:
    """Refuse a sweep the backend or the memory cannot run, before any compute."""
    from ..simulation.accumulate import default_chunk
    from ..simulation.backend import Backend
    from ..simulation.memory import check_fits, simulation_bytes

    Backend(config.backend, config.device, config.dtype)
    n, t = max(config.grid.N), max(config.grid.T)
    itemsize = 4 if config.dtype == "float32" else 8
    check_fits(simulation_bytes(n, t, default_chunk(n, t), itemsize), f"A task at N = {n}, T = {t}")


def run_sweep(
    config_or_path: SweepConfig | Mapping[str, Any] | str | Path,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    quiet: bool = True,
    force_new: bool = False,
    retries: int = 1,
    resources: dict[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep and store one Parquet part per finished task.

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
    quiet : bool
        No progress bar (a log is always written to ``out_dir/sweep.log``).
    force_new : bool
        If ``out_dir`` holds results of a different sweep, move them aside and start over
        (otherwise that is an error).
    retries : int
        Dask retries of a task that raised.
    resources : dict, optional
        Dask worker resources each task needs (e.g. ``{"GPU": 1}``).
    progress : callable, optional
        Called as ``progress(done, total)`` after each task (finished before this call count).

    Returns
    -------
    SweepSummary
        Failed tasks are recorded (``out_dir/failed``) and retried by the next call.
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
    _check_resources(config)
    tasks = expand_tasks(config)
    store = SweepStore(out)
    store.open(config, source, force_new=force_new)
    logger, handler = _logger(store.log_path)
    try:
        done_before = store.done_ids()
        pending = [t for t in tasks if t.task_id not in done_before]
        tiny = len(pending) * task_seconds_estimate(config) < TINY_SECONDS
        execution = plan_execution(scheduler, workers, len(pending), tiny=tiny)
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
        with task_bar("sweep", enabled=not quiet) as bar:
            for callback in (bar, progress):
                if callback is not None:
                    callback(summary.skipped, summary.total)
            for task, columns, error in execute(pending, execution, retries, resources):
                if error is None:
                    store.write_part(task, columns)
                    summary.done += 1
                    logger.info("done %s %s in %.3f s", task.task_id, task.params,
                                columns["task_seconds"][0])  # fmt: skip
                    if columns["warning"][0]:
                        logger.warning("task %s: %s", task.task_id, columns["warning"][0])
                else:
                    store.write_failure(task, error)
                    summary.failed += 1
                    summary.failures[task.task_id] = f"{type(error).__name__}: {error}"
                    logger.error("failed %s %s: %s", task.task_id, task.params,
                                 summary.failures[task.task_id])  # fmt: skip
                for callback in (bar, progress):
                    if callback is not None:
                        callback(summary.skipped + summary.done + summary.failed, summary.total)
        summary.seconds = time.perf_counter() - start
        logger.info("%s", summary.line())
    finally:
        logger.removeHandler(handler)
        handler.close()
        store.release()
    return summary
