"""Cost of the sweep machinery (issues 5 and 14), with baselines measured in the same run.

Tiny tasks (issue 14): one task is M = 100, N = 10, 20, T = 15, 30, two ridges (8 rows, about
2 ms). Measured, alternating, ``--rounds`` times (the minimum of each is reported):

* bare: the tasks' own computation (:func:`~scalinglab.sweeps.tasks.run_task`'s work, threads
  pinned) in a plain loop in this process;
* in-process sweep (``workers=1``) of the same tasks: validation, lock, verification, Parquet
  parts with task id and checksum, manifest, log. Printed: the overhead per task (goal:
  <= 2 ms);
* ``--cluster-tasks`` (2,000) tasks on one 2-worker LocalCluster (single-threaded workers),
  started once: the sweep at its address, and a plain ``client.map(run_task, tasks)`` whose
  results are gathered in the driver. Printed: their ratio (goal: the sweep <= 1.5x).

``--long-tasks K`` adds the issue-5 figures: K tasks of about a second (M = 4000, N = T = 200,
400, 800, three ridges), in-process and on 1 and 2 local Dask workers, against the bare loop
and a plain process pool (the machine's parallel ceiling).

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--tasks 1000] [--cluster-tasks 2000]
[--rounds 2] [--long-tasks 0]``. On a machine shared with other work the figures are noisy;
the load average is printed with them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scalinglab.sweeps import expand_tasks, load_config, load_results, run_sweep
from scalinglab.sweeps.execute import Execution, dask_client
from scalinglab.sweeps.tasks import _compute, run_task, task_threads


def tiny_config(tasks: int) -> dict:
    return {"seeds": tasks, "seed": 0,
            "grid": {"M": [100], "N": [10, 20], "T": [15, 30], "ridge": [0.0, 0.1]}}  # fmt: skip


def long_config(tasks: int) -> dict:
    return {
        "seeds": tasks,
        "seed": 0,
        "grid": {"M": [4000], "N": [200, 400, 800], "T": [200, 400, 800], "ridge": [0, 1e-3, 1e-2]},
    }


def bare(config: dict) -> float:
    """The tasks' computation in a plain loop: no machinery around it."""
    tasks = expand_tasks(load_config(config))
    start = time.perf_counter()
    with task_threads():
        for task in tasks:
            _compute(task)
    return time.perf_counter() - start


def swept(config: dict, root: Path, **how) -> float:
    """Wall seconds of a fresh sweep (everything run_sweep does, from validation to the log)."""
    out = root / "run"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = run_sweep(config, out, quiet=True, **how)
    seconds = time.perf_counter() - start
    assert summary.ok, summary.failures
    return seconds


def client_map(client, config: dict) -> float:
    """A plain ``client.map`` of the per-task function, results gathered in the driver."""
    from distributed import as_completed

    tasks = expand_tasks(load_config(config))
    start = time.perf_counter()
    futures = client.map(run_task, tasks, pure=False)
    for _future, result in as_completed(futures, with_results=True):
        assert result["loss"]
    return time.perf_counter() - start


def _import_task_module(_: object = None) -> bool:
    import scalinglab.simulation
    import scalinglab.sweeps.tasks  # noqa: F401

    return True


def tiny_figures(args, root: Path) -> None:
    from distributed import Client, LocalCluster

    n = args.tasks
    config = tiny_config(n)
    times: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        times.setdefault("bare", []).append(bare(config))
        times.setdefault("inprocess", []).append(swept(config, root, workers=1))
    big = tiny_config(args.cluster_tasks)
    options = {"dashboard_address": None, "worker_dashboard_address": None}
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, **options) as cluster,
        Client(cluster) as client,
    ):
        client.run(_import_task_module)
        for _ in range(args.rounds):
            times.setdefault("map", []).append(client_map(client, big))
            times.setdefault("sweep2", []).append(
                swept(big, root, scheduler=cluster.scheduler_address)
            )
    t = {k: min(v) for k, v in times.items()}
    print(f"all times (s): { {k: [round(x, 3) for x in v] for k, v in times.items()} }")
    per_task = (t["inprocess"] - t["bare"]) / n * 1e3
    print(f"(1) tiny task: bare {t['bare'] / n * 1e3:.2f} ms/task; in-process sweep of {n} tasks "
          f"{t['inprocess']:.2f} s: overhead {per_task:.2f} ms/task (goal <= 2 ms)")  # fmt: skip
    print(f"(2) {args.cluster_tasks} tiny tasks on a 2-worker cluster: sweep {t['sweep2']:.2f} s "
          f"({t['sweep2'] / args.cluster_tasks * 1e3:.2f} ms/task), plain client.map "
          f"{t['map']:.2f} s ({t['map'] / args.cluster_tasks * 1e3:.2f} ms/task): "
          f"ratio {t['sweep2'] / t['map']:.2f}x (goal <= 1.5x)")  # fmt: skip


def pool(config: dict, processes: int) -> float:
    """The tasks on a warm plain process pool: the machine's parallel ceiling."""
    tasks = expand_tasks(load_config(config))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as executor:
        list(executor.map(_import_task_module, range(processes)))
        start = time.perf_counter()
        list(executor.map(run_task, tasks))
        return time.perf_counter() - start


def cluster_fixed_cost(workers: int) -> float:
    """Start a local cluster as the sweep does, import the task module on it, stop it."""
    start = time.perf_counter()
    with dask_client(Execution("local", workers)) as client:
        client.run(_import_task_module)
    return time.perf_counter() - start


def long_figures(args, root: Path) -> None:
    config = long_config(args.long_tasks)
    times: dict[str, list] = {}
    for _ in range(args.rounds):
        runs = {
            "bare": lambda: bare(config),
            "inprocess": lambda: swept(config, root, workers=1),
            "fixed1": lambda: cluster_fixed_cost(1),
            "one": lambda: swept(config, root, scheduler="local:1"),
            "fixed2": lambda: cluster_fixed_cost(2),
            "two": lambda: swept(config, root, scheduler="local:2"),
            "pool1": lambda: pool(config, 1),
            "pool2": lambda: pool(config, 2),
        }
        for name, run in runs.items():
            times.setdefault(name, []).append(run())
    t = {name: min(values) for name, values in times.items()}
    compute = float(load_results(root / "run").drop_duplicates("task_id")["task_seconds"].sum())
    print(f"long tasks: {args.long_tasks}, bare {t['bare'] / args.long_tasks:.3f} s/task; "
          f"times (s): { {k: round(v, 2) for k, v in t.items()} }")  # fmt: skip
    print(f"(a) in-process sweep: {100 * (t['inprocess'] / t['bare'] - 1):+.1f}% over bare "
          "(goal < 5%)")  # fmt: skip
    print(f"(b) 1 Dask worker: {100 * ((t['one'] - t['fixed1']) / t['bare'] - 1):+.1f}% over "
          f"bare without the cluster start/stop ({t['fixed1']:.2f} s); last run's tasks "
          f"computed {compute:.2f} s")  # fmt: skip
    print(f"(c) 2 Dask workers: {(t['one'] - t['fixed1']) / (t['two'] - t['fixed2']):.2f}x of 1 "
          f"without the start/stop; plain process pool 2 vs 1 now: "
          f"{t['pool1'] / t['pool2']:.2f}x (goal >= 1.7x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tiny tasks in process")
    parser.add_argument("--cluster-tasks", type=int, default=2000, help="tiny tasks on 2 workers")
    parser.add_argument("--rounds", type=int, default=2, help="alternating repeats")
    parser.add_argument("--long-tasks", type=int, default=0, help="~1 s tasks (issue 5)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        tiny_figures(args, Path(tmp))
        if args.long_tasks:
            long_figures(args, Path(tmp))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
