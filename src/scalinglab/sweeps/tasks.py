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

A dynamics sweep (``[dynamics]``, docs/dynamics.md) has the same tasks: one seed of one point
runs :func:`~scalinglab.dynamics.simulate_gd` (every N, T and step on the draw of
:func:`~scalinglab.simulation.simulate` with the task's seed) or
:func:`~scalinglab.dynamics.simulate_sgd` (every N, batch and step on that seed's U).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import AXES, DynamicsConfig, SweepConfig

__all__ = [
    "POINT_AXES",
    "TASK_THREADS",
    "Task",
    "expand_tasks",
    "iter_batch",
    "run_batch",
    "run_task",
]

POINT_AXES = tuple(a for a in AXES if a not in ("N", "T", "ridge"))
"""The axes that define a task's draw; N, T and ridge are evaluated together inside a task."""

TASK_THREADS = 1
"""BLAS, draw and PyTorch threads of every task, wherever it runs (:func:`task_threads`).
One: a sweep's parallelism is its tasks, one per worker core."""

FAULT_ENV = "SCALINGLAB_SWEEP_TEST_FAULT"
"""Test hook: ``raise:ID``, ``exit:ID`` or ``exit-once:ID:MARKER`` makes task ``ID`` raise, kill
its process (``os._exit``), or kill it only while the file ``MARKER`` does not exist yet;
``sleep:ID:SECONDS`` slows it down. ``ID`` may be ``*`` (every task)."""


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
    estimator: str | None = None
    dynamics: DynamicsConfig | None = None

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.point)

    @property
    def rows(self) -> int:
        """The number of rows the task gives: N x T x ridge, or N x (T or batch) x steps."""
        if self.dynamics is None:
            return len(self.N) * len(self.T) * len(self.ridge)
        sizes = self.T if self.dynamics.optimizer == "gd" else self.dynamics.batch
        return len(self.N) * len(sizes) * len(self.dynamics.steps)

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


Outcome = tuple[Task, dict[str, list] | None, str | None]
"""What running a task gives: ``(task, columns, None)`` or ``(task, None, error line)``."""


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
                    T=grid.T or (),
                    ridge=grid.ridge,
                    base_seed=config.seed,
                    backend=config.backend,
                    device=config.device,
                    dtype=config.dtype,
                    estimator=config.estimator,
                    dynamics=config.dynamics,
                )
            )
    return tasks


def _test_fault(task: Task) -> None:
    """The fault-injection hook of :data:`FAULT_ENV` (tests of failure handling only)."""
    spec = os.environ.get(FAULT_ENV, "")
    if not spec:
        return
    action, task_id, *rest = spec.split(":", 2)
    if task_id not in (task.task_id, "*"):
        return
    if action == "sleep":
        time.sleep(float(rest[0]))
    elif action == "raise":
        raise RuntimeError(f"injected failure in task {task_id}")
    elif action == "exit" or (action == "exit-once" and not os.path.exists(rest[0])):
        if rest:
            open(rest[0], "w").close()
        os._exit(3)


class _Pins:
    """The process-wide thread pins, shared by concurrent batches (a Dask worker may run
    several threads): the first batch to start sets them, the last to end restores them."""

    lock = threading.Lock()
    users = 0
    stack: ExitStack | None = None


def _torch_threads(threads: int) -> Iterator[None]:
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def task_threads(torch: bool = False) -> Iterator[None]:
    """Run with :data:`TASK_THREADS` BLAS/OpenMP, draw and (``torch``) PyTorch threads.

    Pinned in every process a task may run in (the driver, a local or remote Dask worker, a
    SLURM job), so that a task performs the same floating-point operations in the same order
    everywhere: its numbers are bit-identical wherever it runs. (BLAS results depend on the
    thread count through the blocking of the reductions; the draws do not, see
    :func:`~scalinglab.simulation.accumulate.limit_draw_threads`.) The pins are process-wide
    and held while any batch runs (:class:`_Pins`).
    """
    from threadpoolctl import threadpool_limits

    from ..simulation.accumulate import limit_draw_threads

    with _Pins.lock:
        if _Pins.users == 0:
            stack = ExitStack()
            stack.enter_context(threadpool_limits(TASK_THREADS))
            stack.enter_context(limit_draw_threads(TASK_THREADS))
            _Pins.stack = stack
        if torch and not getattr(_Pins.stack, "torch", False):
            _Pins.stack.enter_context(contextmanager(_torch_threads)(TASK_THREADS))
            _Pins.stack.torch = True
        _Pins.users += 1
    try:
        yield
    finally:
        with _Pins.lock:
            _Pins.users -= 1
            if _Pins.users == 0:
                _Pins.stack.close()
                _Pins.stack = None


def iter_batch(tasks: Sequence[Task], retries: int = 0) -> Iterator[Outcome]:
    """Run ``tasks`` one after the other with pinned threads (:func:`task_threads`).

    Yields one ``(task, columns, None)`` or ``(task, None, error)`` per task as it ends; a task
    that raises is tried ``retries`` more times, then reported with its error as one line.
    """
    from ..simulation import simulate  # noqa: F401 - load BLAS before pinning its threads

    with task_threads(torch=any(t.backend == "torch" for t in tasks)):
        for task in tasks:
            for attempt in range(retries + 1):
                try:
                    columns = _compute(task)
                except Exception as exc:
                    if attempt == retries:
                        yield task, None, " ".join(f"{type(exc).__name__}: {exc}".split())
                else:
                    yield task, columns, None
                    break


def run_batch(tasks: Sequence[Task], retries: int = 0) -> list[Outcome]:
    """All outcomes of :func:`iter_batch` (what a Dask worker runs): batching many tiny tasks
    into one call spreads the fixed costs (thread pinning, a Dask round trip) over them."""
    return list(iter_batch(tasks, retries))


def run_task(task: Task) -> dict[str, list]:
    """Compute one task with pinned threads; return its rows (one per N, T, ridge) as columns.

    Warnings raised by the simulation (e.g. :class:`~scalinglab.NumericalWarning`) are
    recorded in a ``warning`` column.
    """
    from ..simulation import simulate  # noqa: F401 - load BLAS before pinning its threads

    with task_threads(torch=task.backend == "torch"):
        return _compute(task)


def _compute(task: Task) -> dict[str, list]:
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
        if task.dynamics is not None:
            result = _train(model, task)
        else:
            result = _simulate(simulate, model, task)
        seconds = time.perf_counter() - start
    warning = "; ".join(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    if task.dynamics is not None:
        columns = _curve_columns(result, task)
        rows = len(columns["loss"])
    else:
        columns = _ridge_columns(result, task)
        rows = len(columns["loss"])
        columns["resolution"] = result.resolution[0].ravel().tolist()
    columns["task_id"] = [task.task_id] * rows
    columns["task_seconds"] = [seconds] * rows
    columns["backend"] = [f"{task.backend}:{task.device}:{task.dtype}"] * rows
    columns["warning"] = [warning] * rows
    columns["scalinglab_version"] = [__version__] * rows
    return columns


def _ridge_columns(result, task: Task) -> dict[str, list]:
    """The rows of a ridge task: one per (N, T, ridge)."""
    params = task.params
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
    columns["seed_entropy"] = [result.seed_entropy[0]] * rows
    return columns


def _train(model, task: Task):
    """The task's GD or one-pass SGD losses (one seed: the task's stream)."""
    from ..dynamics import simulate_gd, simulate_sgd
    from ..simulation.backend import Backend

    dyn = task.dynamics
    if dyn.optimizer == "gd":
        return simulate_gd(model, list(task.N), list(task.T), list(dyn.steps), dyn.lr,
                           schedule=dyn.schedule, seed=task.seed_sequence(),
                           estimator=task.estimator,
                           backend=Backend(task.backend, task.device))  # fmt: skip
    return simulate_sgd(model, list(task.N), list(dyn.steps), dyn.lr, batch=list(dyn.batch),
                        schedule=dyn.schedule, seed=task.seed_sequence())  # fmt: skip


def _curve_columns(result, task: Task) -> dict[str, list]:
    """The rows of a dynamics task: one per (N, T or batch, step), in the common schema (for
    SGD ``T`` is the samples seen and ``train_loss`` is NaN: one pass has no training set)."""
    from .._rng import entropy_string, spawn_seeds

    records = result.records()
    rows = len(records)
    params = task.params
    columns: dict[str, list] = {a: [params[a]] * rows for a in POINT_AXES}
    for name in ("N", "T", "batch", "step"):
        columns[name] = [int(r[name]) for r in records]
    columns["ridge"] = [0.0] * rows
    columns["optimizer"] = [task.dynamics.optimizer] * rows
    columns["lr"] = [task.dynamics.lr] * rows
    columns["schedule"] = [task.dynamics.schedule] * rows
    columns["seed"] = [task.seed_index] * rows
    columns["loss"] = [float(r["loss"]) for r in records]
    columns["train_loss"] = [float(r.get("train_loss", np.nan)) for r in records]
    # the draw of seed child 0 of the task's stream, as for a ridge task
    columns["seed_entropy"] = [entropy_string(spawn_seeds(task.seed_sequence(), 1)[0])] * rows
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
        estimator=task.estimator,
    )
