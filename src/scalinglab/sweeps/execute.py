"""Where tasks run: in this process, on a new local Dask cluster, at a Dask scheduler address,
or on a SLURM cluster (dask-jobqueue, see cluster.py).

Tasks go out in batches (:func:`plan_batches`): a few hundred tiny tasks cost one Dask round
trip instead of a few hundred. Each batch runs its tasks with pinned threads
(:func:`~.tasks.run_batch`), so a task's numbers do not depend on where it runs.

Failures: a task that raises is retried inside its batch and then reported with its error.
A worker that dies is handled by Dask (the nanny or the job scheduler restarts it and the batch
is rescheduled); a batch whose workers die too often (``KilledWorker``) is split into single
tasks, and a single task that still gets ``KilledWorker`` is run again alone once the others have
ended, so that only the task that kills its worker is reported failed (a worker's death also
counts against the innocent tasks queued on it). Losing the scheduler or
the cluster is not a task failure: :class:`~.errors.ClusterLost` is raised and the run stops,
keeping every finished task.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._validation import check_int
from ..exceptions import ConfigError
from .cluster import ClusterConfig
from .errors import ClusterLost
from .tasks import Outcome, Task, iter_batch, run_batch

__all__ = ["Execution", "dask_client", "execute", "plan_batches", "plan_execution"]

BATCH_SECONDS = 0.5
"""Target compute per batch: long enough that a Dask round trip (a few ms) is under 1% of it,
short enough that progress, Ctrl-C and the loss of a worker cost little."""
MIN_TASK_SECONDS = 1e-3
"""Floor of the per-task time estimate: a task's Python overhead is about a millisecond."""
BATCHES_PER_WORKER = 4
"""At least this many batches per worker, so that the last ones balance the load."""


@dataclass(frozen=True)
class Execution:
    """How to run: ``mode`` is ``inprocess``, ``local`` (a new LocalCluster), ``address`` or
    ``slurm`` (``cluster`` holds its settings)."""

    mode: str
    workers: int = 1
    address: str | None = None
    cluster: ClusterConfig | None = None
    log_directory: str | None = None  # of the SLURM jobs' output

    def describe(self) -> str:
        if self.mode == "inprocess":
            return "in this process"
        if self.mode == "local":
            return f"a local Dask cluster of {self.workers} worker process(es)"
        if self.mode == "slurm":
            return f"SLURM ({self.cluster.describe()})"
        return f"the Dask scheduler at {self.address}"


def plan_execution(
    scheduler: str | None,
    workers: int | None,
    n_tasks: int,
    tiny: bool = False,
    cluster: ClusterConfig | None = None,
) -> Execution:
    """Choose the execution from ``--scheduler`` / ``--workers`` / ``--cluster``.

    ``cluster`` (a SLURM cluster) excludes the other two. ``scheduler=None``: ``workers`` local
    worker processes (default: one per CPU core, at most one per task, or none for a ``tiny``
    sweep); a single worker or a single task runs in this process. ``"local:K"`` always starts
    a LocalCluster of K workers; any other string is a scheduler address.
    """
    if workers is not None:
        workers = check_int("workers", workers, low=1)
    if cluster is not None:
        if scheduler is not None or workers is not None:
            raise ConfigError(
                "The 'cluster' parameter must not be given with --scheduler or --workers (the "
                f"cluster decides its workers). Got {cluster.kind!r} with them instead."
            )
        return Execution("slurm", cluster.jobs * cluster.processes, cluster=cluster)
    if scheduler is None:
        if workers is not None:
            k = workers
        else:
            k = 1 if tiny else min(os.cpu_count() or 1, n_tasks)
        return Execution("local", k) if k > 1 and n_tasks > 1 else Execution("inprocess")
    if not isinstance(scheduler, str) or not scheduler:
        raise ConfigError(
            "The 'scheduler' parameter must be a Dask scheduler address or 'local:K'. "
            f"Got {scheduler!r} instead."
        )
    if scheduler.startswith("local:"):
        try:
            k = int(scheduler.split(":", 1)[1])
        except ValueError:
            k = 0
        if k < 1:
            raise ConfigError(
                "The 'scheduler' parameter must be 'local:K' with an integer K >= 1 or a "
                f"scheduler address. Got {scheduler!r} instead."
            )
        return Execution("local", k)
    if workers is not None:
        raise ConfigError(
            "The 'workers' parameter must not be given with a scheduler address (the cluster "
            f"decides its workers). Got {workers!r} instead."
        )
    return Execution("address", address=scheduler)


def plan_batches(tasks: Sequence[Task], task_seconds: float, workers: int) -> list[list[Task]]:
    """Consecutive batches of about :data:`BATCH_SECONDS` of compute each, and at least
    :data:`BATCHES_PER_WORKER` per worker (one task per batch for tasks longer than that)."""
    if not tasks:
        return []
    by_time = BATCH_SECONDS / max(task_seconds, MIN_TASK_SECONDS)
    by_balance = math.ceil(len(tasks) / (BATCHES_PER_WORKER * max(workers, 1)))
    size = max(1, min(int(by_time), by_balance))
    return [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]


DASK_LOGGERS = ("distributed", "dask_jobqueue")


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Dask's own log lines (reconnect attempts, worker deaths) off the terminal: the sweep
    reports what matters in its one line and in sweep.log."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in DASK_LOGGERS]
    loggers = [logging.getLogger(n) for n in {*DASK_LOGGERS, *names}]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextmanager
def dask_client(execution: Execution) -> Iterator[Any]:
    """A Dask client: on a new LocalCluster of single-threaded workers, on a new SLURM
    cluster, or at an address. A cluster that cannot start raises :class:`ClusterLost`."""
    with _quiet_dask():
        yield from _client(execution)


def _client(execution: Execution) -> Iterator[Any]:
    import dask
    from distributed import Client, LocalCluster

    if execution.mode in ("local", "slurm"):
        try:
            if execution.mode == "local":
                # Saturation 1: a worker holds only the batch it runs, so if it dies no queued
                # bystander is blamed (counted towards allowed-failures) with it.
                settings = {
                    "distributed.scheduler.worker-saturation": 1.0,
                    "distributed.worker.preload": [
                        *dask.config.get("distributed.worker.preload", []),
                        "scalinglab.sweeps._worker",
                    ],
                }
                with dask.config.set(settings):
                    cluster = LocalCluster(
                        n_workers=execution.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard": False},  # None alone still binds :8787
                        worker_dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                    )
            else:
                cluster = execution.cluster.start(execution.log_directory)
            client = Client(cluster)
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise ClusterLost(
                f"could not start {execution.describe()}: {_first_line(exc)}"
            ) from None
        with cluster, client:
            yield client
        return
    try:
        client = Client(execution.address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            "The 'scheduler' parameter must be the address of a reachable Dask scheduler. "
            f"Got {execution.address!r} instead ({_first_line(exc)})."
        ) from None
    with client:
        yield client


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200].rstrip('.')}" if text else type(exc).__name__


def execute(
    tasks: Sequence[Task],
    execution: Execution,
    retries: int = 1,
    resources: dict[str, float] | None = None,
    task_seconds: float = MIN_TASK_SECONDS,
) -> Iterator[Outcome]:
    """Run ``tasks``; yield ``(task, columns, None)`` or ``(task, None, error)`` as each ends.

    ``task_seconds`` (an estimate) sizes the batches. Raises :class:`ClusterLost` if the
    scheduler or cluster goes away (the outcomes yielded so far are final).
    """
    if execution.mode == "inprocess":
        yield from iter_batch(tasks, retries)
        return
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    with dask_client(execution) as client:
        futures: dict[Any, list[Task]] = {}

        def submit(batch: list[Task]):
            future = client.submit(run_batch, batch, retries, pure=False, resources=resources)
            futures[future] = batch
            return future

        workers = execution.workers
        if execution.mode == "address":  # the cluster's workers at the start
            workers = max(1, len(client.scheduler_info().get("workers", {})))
        for batch in plan_batches(tasks, task_seconds, workers):
            submit(batch)
        pending = as_completed(list(futures))
        suspects: list[Task] = []  # single tasks that got KilledWorker next to others
        isolated = False

        def isolate_next() -> bool:
            """Once nothing else runs, submit the next suspect alone; True if one was."""
            if suspects and not futures:
                pending.add(submit([suspects.pop()]))
                return True
            return False

        for future in pending:
            batch = futures.pop(future)
            try:
                outcomes = future.result()
            except KilledWorker as exc:
                if len(batch) > 1:  # find the task that kills its worker: one at a time
                    for task in batch:
                        pending.add(submit([task]))
                elif isolated:  # it ran alone and still killed its worker
                    yield batch[0], None, f"KilledWorker: {_first_line(exc)}"
                else:
                    suspects.append(batch[0])
                isolated = isolate_next() or isolated
                continue
            except Exception as exc:
                # a closed connection, a cancelled future or a closing client: the scheduler
                # or cluster is gone (not a failure of the batch's tasks)
                if (
                    isinstance(exc, OSError | TimeoutError)
                    or future.cancelled()
                    or (client.status != "running")
                ):
                    why = "connection lost" if future.cancelled() else _first_line(exc)
                    raise ClusterLost(f"lost {execution.describe()} ({why})") from None
                raise ClusterLost(  # e.g. workers with another scalinglab version
                    f"a batch could not run on {execution.describe()} ({_first_line(exc)})"
                ) from None
            finally:
                future.release()
            yield from outcomes
            isolated = isolate_next() or isolated
