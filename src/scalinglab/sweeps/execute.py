"""Where tasks run: in this process, or on Dask workers (a new LocalCluster or an existing one).

Local parallel workers are a :class:`dask.distributed.LocalCluster` of single-threaded worker
processes, so that local and remote runs share one code path: Dask's futures, its retries
(``retries`` re-runs a task that raised) and its handling of workers that die (the nanny
restarts the worker and the scheduler reschedules the task; after
``distributed.scheduler.allowed-failures`` deaths the task fails with ``KilledWorker``, which is
recorded like any other failure). Tasks limit BLAS to one thread in worker processes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._validation import check_int
from ..exceptions import ConfigError
from .tasks import Task, run_task

__all__ = ["Execution", "dask_client", "execute", "plan_execution"]

Outcome = tuple[Task, dict[str, list] | None, BaseException | None]


@dataclass(frozen=True)
class Execution:
    """How to run: ``mode`` is ``inprocess``, ``local`` (a new LocalCluster) or ``address``."""

    mode: str
    workers: int = 1
    address: str | None = None

    def describe(self) -> str:
        if self.mode == "inprocess":
            return "in this process"
        if self.mode == "local":
            return f"a local Dask cluster of {self.workers} worker process(es)"
        return f"the Dask scheduler at {self.address}"


def plan_execution(
    scheduler: str | None, workers: int | None, n_tasks: int, tiny: bool = False
) -> Execution:
    """Choose the execution from ``--scheduler`` / ``--workers`` and the number of tasks.

    ``scheduler=None``: ``workers`` local worker processes (default: one per CPU core, at most
    one per task, or none for a ``tiny`` sweep); a single worker or a single task runs in this
    process. ``"local:K"`` always starts a LocalCluster of K workers; any other string is a
    scheduler address.
    """
    if workers is not None:
        workers = check_int("workers", workers, low=1)
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


@contextmanager
def dask_client(execution: Execution) -> Iterator[Any]:
    """A Dask client: on a new LocalCluster of single-threaded workers, or at an address."""
    import dask
    from distributed import Client, LocalCluster

    if execution.mode == "local":
        # Saturation 1: a worker holds only the task it runs, so if it dies no queued
        # bystander is blamed (counted towards allowed-failures) with it.
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(
                n_workers=execution.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                worker_dashboard_address=None,
                silence_logs=logging.CRITICAL,
            )
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(execution.address, timeout="20s")
    except OSError as exc:
        raise ConfigError(
            "The 'scheduler' parameter must be the address of a reachable Dask scheduler. "
            f"Got {execution.address!r} instead ({exc})."
        ) from None
    with client:
        yield client


def execute(
    tasks: Sequence[Task],
    execution: Execution,
    retries: int = 1,
    resources: dict[str, float] | None = None,
) -> Iterator[Outcome]:
    """Run ``tasks``; yield ``(task, columns, None)`` or ``(task, None, error)`` as each ends.

    A task that raises (after ``retries`` Dask retries; none in this process) or whose worker
    died too often is yielded with its error; the other tasks go on.
    """
    if execution.mode == "inprocess":
        for task in tasks:
            try:
                yield task, run_task(task), None
            except Exception as exc:
                yield task, None, exc
        return
    from distributed import as_completed

    with dask_client(execution) as client:
        futures = {}
        for task in tasks:
            future = client.submit(
                run_task,
                task,
                1,
                pure=False,
                retries=retries,
                resources=resources,
            )
            futures[future.key] = (future, task)
        for future in as_completed([f for f, _ in futures.values()]):
            _, task = futures.pop(future.key)
            try:
                columns = future.result()
            except Exception as exc:
                yield task, None, exc
            else:
                yield task, columns, None
            future.release()
