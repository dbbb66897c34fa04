"""Sweep tasks: one seed of one data model with all its N, T and ridges (a shared draw).

A task is the cheapest unit to compute together (docs/theory.md §4): for one seed of one
(M, alpha, noise, sigma_w, sigma_u, lambda_plus, sigma_b, activation),
:func:`~scalinglab.simulation.simulate`
accumulates the latent sums once at the largest (N, T) and evaluates every (N, T, ridge).

Seeds: task (point, s) draws from ``SeedSequence(seed, spawn_key=(*h, s))``, where ``seed`` is
the sweep's base seed and ``h`` four 32-bit words of the SHA-256 of the point's parameters. So
every task's stream is independent of every other's, does not depend on the order or size of
the grid, and a task computes the same numbers wherever and whenever it runs. The full
entropy and spawn key is stored with every row (``seed_entropy``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import AXES, SweepConfig

__all__ = ["POINT_AXES", "Task", "expand_tasks", "run_task"]

POINT_AXES = tuple(a for a in AXES if a not in ("N", "T", "ridge"))
"""The axes that define a task's draw; N, T and ridge are evaluated together inside a task."""

FAULT_ENV = "SCALINGLAB_SWEEP_TEST_FAULT"
"""Test hook: ``raise:ID``, ``exit:ID`` or ``exit-once:ID:MARKER`` makes task ``ID`` raise, kill
its process (``os._exit``), or kill it only while the file ``MARKER`` does not exist yet."""


@dataclass(frozen=True)
class Task:
    """One seed of one grid point, with every N, T and ridge of the sweep."""

    point: tuple[tuple[str, Any], ...]
    seed_index: int
    N: tuple[int, ...]
    T: tuple[int, ...]
    ridge: tuple[float, ...]
    base_seed: int
    backend: str = "numpy"
    device: str = "cpu"
    dtype: str = "float64"

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.point)

    @property
    def key_words(self) -> tuple[int, ...]:
        """Four 32-bit words of the SHA-256 of the point's parameters (its identity)."""
        text = json.dumps(self.params, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).digest()
        return tuple(int.from_bytes(digest[4 * i : 4 * i + 4], "little") for i in range(4))

    @property
    def task_id(self) -> str:
        """A stable file-name-safe id: point hash and seed index."""
        return "".join(f"{w:08x}" for w in self.key_words[:2]) + f"-s{self.seed_index}"

    def seed_sequence(self) -> np.random.SeedSequence:
        """The task's own stream: base seed, spawn key = (point hash, seed index)."""
        return np.random.SeedSequence(self.base_seed, spawn_key=(*self.key_words, self.seed_index))


def expand_tasks(config: SweepConfig) -> list[Task]:
    """All tasks of a sweep: the outer product of the point axes times ``seeds``."""
    grid = config.grid
    tasks = []
    for values in itertools.product(*(getattr(grid, a) for a in POINT_AXES)):
        point = tuple(zip(POINT_AXES, values))
        for s in range(config.seeds):
            tasks.append(
                Task(
                    point=point,
                    seed_index=s,
                    N=grid.N,
                    T=grid.T,
                    ridge=grid.ridge,
                    base_seed=config.seed,
                    backend=config.backend,
                    device=config.device,
                    dtype=config.dtype,
                )
            )
    return tasks


def _test_fault(task: Task) -> None:
    """The fault-injection hook of :data:`FAULT_ENV` (tests of failure handling only)."""
    spec = os.environ.get(FAULT_ENV, "")
    if not spec:
        return
    action, task_id, *rest = spec.split(":", 2)
    if task_id != task.task_id:
        return
    if action == "raise":
        raise RuntimeError(f"injected failure in task {task_id}")
    if action == "exit" or (action == "exit-once" and not os.path.exists(rest[0])):
        if rest:
            open(rest[0], "w").close()
        os._exit(3)


def run_task(task: Task, blas_threads: int | None = None) -> dict[str, list]:
    """Compute one task; return its rows (one per N, T, ridge) as a dict of columns.

    ``blas_threads`` limits the BLAS/OpenMP threads for the duration of the task (1 in worker
    processes, so that K workers on K cores do not oversubscribe). Warnings raised by the
    simulation (e.g. :class:`~scalinglab.NumericalWarning`) are recorded in a ``warning`` column.
    """
    from .. import __version__
    from ..model import DataModel
    from ..simulation import simulate

    _test_fault(task)
    params = task.params
    model = DataModel(
        M=params["M"],
        alpha=params["alpha"],
        lambda_plus=params["lambda_plus"],
        sigma_w=params["sigma_w"],
        sigma_u=params["sigma_u"],
        noise=params["noise"],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        if blas_threads is None:
            result = _simulate(simulate, model, task)
        else:
            from threadpoolctl import threadpool_limits

            from ..simulation.accumulate import limit_draw_threads

            with threadpool_limits(blas_threads), limit_draw_threads(blas_threads):
                result = _simulate(simulate, model, task)
        seconds = time.perf_counter() - start
    warning = "; ".join(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    shape = result.loss.shape[1:]
    n_idx, t_idx, r_idx = (a.ravel() for a in np.indices(shape))
    rows = n_idx.size
    columns: dict[str, list] = {a: [params[a]] * rows for a in POINT_AXES}
    columns["N"] = [int(v) for v in result.N[n_idx]]
    columns["T"] = [int(v) for v in result.T[t_idx]]
    columns["ridge"] = [float(v) for v in result.ridge[r_idx]]
    columns["seed"] = [task.seed_index] * rows
    columns["loss"] = result.loss[0].ravel().tolist()
    columns["train_loss"] = result.train_loss[0].ravel().tolist()
    columns["resolution"] = result.resolution[0].ravel().tolist()
    columns["task_id"] = [task.task_id] * rows
    columns["seed_entropy"] = [result.seed_entropy[0]] * rows
    columns["task_seconds"] = [seconds] * rows
    columns["backend"] = [f"{task.backend}:{task.device}:{task.dtype}"] * rows
    columns["warning"] = [warning] * rows
    columns["scalinglab_version"] = [__version__] * rows
    return columns


def _simulate(simulate, model, task: Task):
    return simulate(
        model,
        N=list(task.N),
        T=list(task.T),
        ridge=list(task.ridge),
        seeds=1,
        seed=task.seed_sequence(),
        activation=task.params["activation"],
        sigma_b=task.params["sigma_b"],
        backend=task.backend,
        device=task.device,
        dtype=task.dtype,
    )
