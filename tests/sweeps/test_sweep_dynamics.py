"""Dynamics sweeps: GD and one-pass SGD curves as sweep tasks, rows in the common schema."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from scalinglab import DataModel
from scalinglab.dynamics import simulate_gd, simulate_sgd
from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import collect, expand_tasks, load_config, load_results, run_sweep
from scalinglab.sweeps.collect import STATS
from scalinglab.sweeps.config import AXES
from scalinglab.sweeps.tasks import TASK_THREADS


def dynamics_sweep(optimizer: str, **dynamics) -> dict:
    grid = {"M": [200], "alpha": [1.0], "N": [20, 50], "noise": [0.1]}
    if optimizer == "gd":
        grid["T"] = [30, 80]
    table = {"optimizer": optimizer, "lr": 0.05 if optimizer == "sgd" else 0.5,
             "steps": [0, 10, 100]} | dynamics  # fmt: skip
    return {"seeds": 2, "seed": 3, "grid": grid, "dynamics": table}


@pytest.mark.parametrize("optimizer", ["gd", "sgd"])
def test_dynamics_rows_equal_the_simulator_on_the_task_seed_and_resume(optimizer, tmp_path):
    config = dynamics_sweep(optimizer, **({"batch": [1, 4]} if optimizer == "sgd" else {}))
    tasks = expand_tasks(load_config(config))
    assert len(tasks) == 2 and tasks[0].rows == 2 * 2 * 3  # N x (T or batch) x steps
    summary = run_sweep(config, tmp_path / "out", workers=1)
    assert summary.ok
    rows = load_results(tmp_path / "out")
    assert len(rows) == 2 * 12
    # each row is the simulator's loss on the task's own seed (exact: same calls, same seed)
    model = DataModel(M=200, alpha=1.0, noise=0.1)
    dyn = config["dynamics"]
    for task in tasks:
        with threadpool_limits(TASK_THREADS):  # as a task runs: BLAS sums depend on threads
            if optimizer == "gd":
                res = simulate_gd(model, [20, 50], [30, 80], dyn["steps"], dyn["lr"],
                                  seed=task.seed_sequence())  # fmt: skip
            else:
                res = simulate_sgd(model, [20, 50], dyn["steps"], dyn["lr"], batch=[1, 4],
                                   seed=task.seed_sequence())  # fmt: skip
        mine = rows[rows["task_id"] == task.task_id]
        want = res.to_frame().sort_values(["N", "T", "batch", "step"])
        got = mine.sort_values(["N", "T", "batch", "step"])
        np.testing.assert_array_equal(got["loss"].to_numpy(), want["loss"].to_numpy())
        np.testing.assert_array_equal(got["T"].to_numpy(), want["T"].to_numpy())
    if optimizer == "sgd":  # a row's T is the samples seen
        np.testing.assert_array_equal(rows["T"], rows["step"] * rows["batch"])
        assert rows["train_loss"].isna().all()
    # resumable: a second run finds every task done and computes nothing
    again = run_sweep(config, tmp_path / "out", workers=1)
    assert again.ok and again.done == 0 and again.skipped == 2
    table = collect(tmp_path / "out")
    assert list(table.columns) == [*AXES, "optimizer", "lr", "schedule", "batch", "step", *STATS]
    assert len(table) == 12 and set(table["seeds"]) == {2}
    start = table[table["step"] == 0]
    assert np.all(start["loss_sem"] == 0)  # θ_0 = 0: the loss at step 0 is the signal, any draw


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"grid": {"M": [200], "N": [20], "T": [30]}}, "'grid.T' parameter must be left out"),
        ({"grid": {"M": [200], "N": [20], "ridge": [0.1]}}, "'grid.ridge' parameter must be 0.0"),
        ({"dynamics": {"optimizer": "adam", "lr": 0.1, "steps": [1]}}, "'dynamics.optimizer'"),
        ({"dynamics": {"lr": 0.1, "steps": [-1]}}, "'dynamics.steps' parameter must be"),
        ({"dynamics": {"lr": 0.1, "steps": [1], "speed": 2}}, "unknown key 'dynamics.speed'"),
        ({"dynamics": {"steps": [1]}}, "'dynamics.lr' parameter is required"),
        ({"backend": "torch"}, "'backend' and 'dtype' parameters must be"),
    ],
)
def test_bad_dynamics_sweeps_are_named(change, match):
    config = dynamics_sweep("sgd") | change
    with pytest.raises(ConfigError, match=match):
        load_config(config)


def test_gd_needs_T_and_ridge_sweeps_keep_their_hash():
    with pytest.raises(ConfigError, match=r"'grid\.T' parameter is required"):
        load_config({"grid": {"N": [10]}, "dynamics": {"optimizer": "gd", "lr": 1, "steps": 1}})
    with pytest.raises(ConfigError, match=r"'grid\.T' parameter is required"):
        load_config({"grid": {"N": [10]}})
    ridge = load_config({"grid": {"N": [10], "T": [20]}})
    assert "dynamics" not in ridge.canonical()  # older sweeps' hashes are unchanged
