"""In-process, local workers and a Dask cluster give identical tables; worker deaths survive."""

from __future__ import annotations

import dask
import pytest

from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import load_config, load_results, run_sweep, sweep_status
from scalinglab.sweeps.execute import plan_execution
from scalinglab.sweeps.tasks import FAULT_ENV, expand_tasks
from sweeps.sweep_helpers import assert_same_rows, small_sweep


def test_inprocess_local_workers_and_a_dask_cluster_give_identical_tables(tmp_path):
    from distributed import LocalCluster

    serial = run_sweep(small_sweep(), tmp_path / "serial", workers=1)
    local = run_sweep(small_sweep(), tmp_path / "local", workers=2)
    assert serial.execution == "in this process" and "2 worker" in local.execution
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False},
        worker_dashboard_address=None,
    ) as cluster:
        remote = run_sweep(small_sweep(), tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert remote.execution.startswith("the Dask scheduler at tcp://")
    assert serial.ok and local.ok and remote.ok
    reference = load_results(tmp_path / "serial")
    # Exactly equal: every task draws from its own stream and computes the same operations.
    assert_same_rows(load_results(tmp_path / "local"), reference)
    assert_same_rows(load_results(tmp_path / "dask"), reference)


def test_a_worker_that_dies_once_is_retried_by_dask(tmp_path, monkeypatch):
    victim = expand_tasks(load_config(small_sweep()))[2].task_id
    marker = tmp_path / "died-once"
    monkeypatch.setenv(FAULT_ENV, f"exit-once:{victim}:{marker}")
    summary = run_sweep(small_sweep(), tmp_path / "out", scheduler="local:2")
    assert marker.exists()  # the worker really died in the task
    assert summary.ok and summary.failed == 0
    monkeypatch.delenv(FAULT_ENV)
    reference = run_sweep(small_sweep(), tmp_path / "ref", workers=1)
    assert reference.ok
    assert_same_rows(load_results(tmp_path / "out"), load_results(tmp_path / "ref"))


@pytest.mark.slow  # Dask retries a dying worker (fast: test_a_worker_that_dies_once_...)
def test_a_task_that_always_kills_its_worker_is_recorded_failed(tmp_path, monkeypatch):
    victim = expand_tasks(load_config(small_sweep()))[2].task_id
    monkeypatch.setenv(FAULT_ENV, f"exit:{victim}")
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        summary = run_sweep(small_sweep(), tmp_path, workers=2)
    assert summary.failed == 1 and summary.done == 11
    assert "KilledWorker" in summary.failures[victim]
    status = sweep_status(tmp_path)
    assert (status.done, status.failed) == (11, 1)


def test_execution_plans():
    assert plan_execution(None, None, 1).mode == "inprocess"
    assert plan_execution(None, 1, 50).mode == "inprocess"
    assert plan_execution(None, 3, 50).workers == 3
    assert plan_execution("local:4", None, 1).workers == 4
    assert plan_execution("tcp://10.0.0.1:8786", None, 9).address == "tcp://10.0.0.1:8786"
    with pytest.raises(ConfigError, match="'scheduler' parameter must be 'local:K'"):
        plan_execution("local:x", None, 3)
    with pytest.raises(ConfigError, match="'workers' parameter must be an integer"):
        plan_execution(None, 0, 3)
    with pytest.raises(ConfigError, match="'workers' parameter must not be given"):
        plan_execution("tcp://10.0.0.1:8786", 2, 3)


def test_tiny_sweeps_run_in_process_by_default(tmp_path):
    from scalinglab.sweeps.run import task_seconds_estimate

    assert task_seconds_estimate(load_config(small_sweep())) < 1e-2
    summary = run_sweep(small_sweep(), tmp_path)
    assert summary.execution == "in this process" and summary.ok
    assert plan_execution(None, None, 50, tiny=True).mode == "inprocess"
    assert plan_execution(None, 2, 50, tiny=True).mode == "local"
