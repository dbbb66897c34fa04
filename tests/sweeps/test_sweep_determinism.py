"""The same numbers wherever a task runs: collected Parquet files are byte-identical across
``--workers 1`` (in this process, with every BLAS thread the caller allows), ``--workers 2``,
a Dask LocalCluster whose workers run two threads each, and a resume of one pending task."""

from __future__ import annotations

import os
import shutil

from threadpoolctl import threadpool_limits

from scalinglab.sweeps import collect, run_sweep, write_table
from scalinglab.sweeps import run as run_module
from sweeps.sweep_helpers import small_sweep


def _sweep() -> dict:
    # Sizes where multi-threaded BLAS blocks its reductions differently from one thread.
    config = small_sweep(seeds=2)
    config["grid"] = {**config["grid"], "M": [400], "N": [120, 260], "T": [150, 300]}
    return config


def _collected(out) -> bytes:
    target = out.with_suffix(".parquet")
    write_table(collect(out), target)
    return target.read_bytes()


def test_collected_parquet_is_byte_identical_across_execution_modes(tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(run_module, "FLUSH_SECONDS", 0.0)  # a part per task

    config = _sweep()
    threads = max(2, os.cpu_count() or 1)
    with threadpool_limits(threads):  # the driver's BLAS may use every core
        serial = run_sweep(config, tmp_path / "serial", workers=1)
    local = run_sweep(config, tmp_path / "local", workers=2)
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False},
        worker_dashboard_address=None,
    ) as cluster:
        remote = run_sweep(config, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert serial.execution == "in this process" and "2 worker" in local.execution
    assert remote.execution.startswith("the Dask scheduler")
    assert serial.ok and local.ok and remote.ok
    # A resume with exactly one pending task: it runs in this process.
    shutil.copytree(tmp_path / "local", tmp_path / "resumed")
    next((tmp_path / "resumed" / "parts").glob("*.parquet")).unlink()
    with threadpool_limits(threads):
        resumed = run_sweep(config, tmp_path / "resumed")
    assert resumed.done == 1 and resumed.execution == "in this process"

    reference = _collected(tmp_path / "serial")
    for name in ("local", "dask", "resumed"):
        assert _collected(tmp_path / name) == reference, name
