"""Cost of the sweep machinery (issue 5), with the bare compute measured in the same run.

The sweep has tasks of about one second (M = 4000, N = T = 200, 400, 800, three ridges:
one shared draw and 9 eigendecompositions per task). Every computation uses one BLAS thread
(as the sweep's worker processes do), so that the figures compare like with like. Measured,
alternating, ``--rounds`` times (the minimum of each is reported):

* bare: the tasks' ``simulate`` calls in a plain loop in this process;
* in-process: the sweep with ``workers=1`` (validation, expansion, Parquet parts written with
  fsync, manifest, log);
* 1 and 2 local Dask workers (``scheduler="local:K"``), and the fixed cost of starting and
  stopping such a cluster (with a trivial call that imports the task module on every worker);
* the ceiling: the same tasks on a plain ``ProcessPoolExecutor`` of 1 and 2 warm processes,
  i.e. the parallel speed-up this machine offers at the moment of the run.

Printed: (a) the in-process overhead, over bare and over the tasks' own compute seconds
(``task_seconds``, timed inside each task: robust to load changes between measurements);
(b) the same for one Dask worker, with and without the fixed start/stop cost; (c) the
throughput of two Dask workers over one, next to the plain-process ceiling.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--tasks 8] [--rounds 3]``. On a machine
shared with other work the figures are noisy; the load average is printed with them.
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

from threadpoolctl import threadpool_limits

from scalinglab import DataModel
from scalinglab.simulation import simulate
from scalinglab.simulation.accumulate import limit_draw_threads
from scalinglab.sweeps import expand_tasks, load_config, load_results, run_sweep
from scalinglab.sweeps.execute import Execution, dask_client


def sweep_config(tasks: int) -> dict:
    return {
        "seeds": tasks,
        "seed": 0,
        "grid": {"M": [4000], "N": [200, 400, 800], "T": [200, 400, 800], "ridge": [0, 1e-3, 1e-2]},
    }


def bare(config: dict) -> float:
    """The tasks' simulate calls in a plain loop: the compute with no machinery around it."""
    start = time.perf_counter()
    for task in expand_tasks(load_config(config)):
        _simulate_task(task)
    return time.perf_counter() - start


def _simulate_task(task) -> None:
    p = task.params
    model = DataModel(M=p["M"], alpha=p["alpha"], noise=p["noise"])
    with threadpool_limits(1), limit_draw_threads(1):
        simulate(model, N=list(task.N), T=list(task.T), ridge=list(task.ridge), seeds=1,
                 seed=task.seed_sequence())  # fmt: skip


def pool(config: dict, processes: int) -> float:
    """The tasks on a warm plain process pool: the machine's parallel ceiling."""
    tasks = expand_tasks(load_config(config))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as executor:
        list(executor.map(_import_task_module, range(processes)))
        start = time.perf_counter()
        list(executor.map(_simulate_task, tasks))
        return time.perf_counter() - start


def swept(config: dict, root: Path, **how) -> tuple[float, float]:
    """Wall seconds of a sweep and the sum of its tasks' own compute seconds."""
    out = root / "run"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = run_sweep(config, out, quiet=True, **how)
    seconds = time.perf_counter() - start
    assert summary.ok, summary.failures
    compute = load_results(out).drop_duplicates("task_id")["task_seconds"].sum()
    return seconds, float(compute)


def _import_task_module(_: object = None) -> bool:
    import scalinglab.sweeps.tasks  # noqa: F401

    return True


def cluster_fixed_cost(workers: int) -> float:
    """Start a local cluster as the sweep does, import the task module on it, stop it."""
    start = time.perf_counter()
    with dask_client(Execution("local", workers)) as client:
        client.run(_import_task_module)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16, help="tasks per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating repeats")
    args = parser.parse_args()
    config = sweep_config(args.tasks)
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}")
    times: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        root = Path(tmp)
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
    n = args.tasks
    print(f"tasks: {n}, bare compute {t['bare'] / n:.3f} s/task (1 BLAS thread)")
    print(f"all times (s): {times}")
    (w_in, c_in), (w_one, c_one), (w_two, _) = t["inprocess"], t["one"], t["two"]
    print(f"(a) in-process sweep {w_in:.2f} s: overhead {100 * (w_in / t['bare'] - 1):+.1f}% "
          f"over bare ({t['bare']:.2f} s), {100 * (w_in / c_in - 1):+.1f}% over its tasks' "
          f"compute ({c_in:.2f} s) (goal < 5%)")  # fmt: skip
    print(f"(b) 1 Dask worker {w_one:.2f} s: overhead {100 * (w_one / c_one - 1):+.1f}% over its "
          f"tasks' compute ({c_one:.2f} s) in total, "
          f"{100 * ((w_one - t['fixed1']) / c_one - 1):+.1f}% without the cluster start/stop "
          f"({t['fixed1']:.2f} s); {100 * (w_one / t['bare'] - 1):+.1f}% over bare "
          "(goal < 5%)")  # fmt: skip
    print(f"(c) 2 Dask workers {w_two:.2f} s: throughput {w_one / w_two:.2f}x of 1 worker in "
          f"total, {(w_one - t['fixed1']) / (w_two - t['fixed2']):.2f}x without the start/stop; "
          f"plain process pool 2 vs 1 on this machine now: {t['pool1'] / t['pool2']:.2f}x "
          "(goal >= 1.7x)")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
