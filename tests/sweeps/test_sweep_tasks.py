"""Tasks: seeds spawned from the base seed by identity; rows equal brute-force losses."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab._rng import spawn_seeds
from scalinglab.model import DataModel
from scalinglab.sweeps import expand_tasks, load_config
from scalinglab.sweeps.tasks import run_task
from sweeps.sweep_helpers import small_sweep

from _helpers.brute_force import brute_force_loss, brute_force_train_loss, power_law_spectrum


def test_expansion_counts_and_task_identity():
    tasks = expand_tasks(load_config(small_sweep()))
    assert len(tasks) == 2 * 2 * 3  # alphas x noises x seeds
    assert len({t.task_id for t in tasks}) == len(tasks)
    entropies = {(t.seed_sequence().entropy, t.seed_sequence().spawn_key) for t in tasks}
    assert len(entropies) == len(tasks)
    # Every task's stream comes from the base seed (7), keyed by its point and seed index.
    assert all(t.seed_sequence().entropy == 7 for t in tasks)
    assert all(t.seed_sequence().spawn_key[-1] == t.seed_index for t in tasks)


def test_seeds_do_not_depend_on_grid_order_or_size():
    base = {
        t.task_id: t.seed_sequence().spawn_key for t in expand_tasks(load_config(small_sweep()))
    }
    grid = small_sweep()["grid"] | {"alpha": [2.0, 1.0, 0.5], "noise": [0.5, 0.0]}
    other = expand_tasks(load_config(small_sweep(grid=grid)))
    shared = [t for t in other if t.task_id in base]
    assert len(shared) == len(base)  # the 0.5 alpha adds tasks without renaming the old ones
    assert all(t.seed_sequence().spawn_key == base[t.task_id] for t in shared)


def test_changing_the_base_seed_changes_every_stream():
    a = expand_tasks(load_config(small_sweep()))
    b = expand_tasks(load_config(small_sweep(seed=8)))
    assert [t.task_id for t in a] == [t.task_id for t in b]
    assert all(x.seed_sequence().entropy != y.seed_sequence().entropy for x, y in zip(a, b))


def test_rows_equal_the_brute_force_loss_of_their_seed_draws():
    """Each row is the exact loss of the task's own draw: explicit M x M matrices on the
    (U, X) of the task's seed (leading rows, spec §5.1), with λ_J and ω_J written here."""
    import dataclasses

    from scalinglab.simulation import draw_latent

    # the full estimator draws X (the conditional one draws F from its law given U instead)
    task = dataclasses.replace(expand_tasks(load_config(small_sweep()))[5], estimator="full")
    rows = run_task(task)
    assert len(rows["loss"]) == 2 * 2 * 2
    assert set(rows["seed_entropy"]) == {
        f"7:{'.'.join(map(str, task.key_words))}.{task.seed_index}.0"
    }
    p = task.params
    model = DataModel(M=p["M"], alpha=p["alpha"], noise=p["noise"])
    lam, omega = power_law_spectrum(p["M"], p["alpha"]), np.full(p["M"], 1.0 / p["M"])
    seq = spawn_seeds(task.seed_sequence(), 1)[0]  # the ".0" of seed_entropy above
    X, U = draw_latent(model, seq, max(rows["N"]), max(rows["T"]))
    for i in range(len(rows["loss"])):
        n, t, ridge = rows["N"][i], rows["T"][i], rows["ridge"][i]
        want = brute_force_loss(X[:t], U[:n], lam, omega, p["noise"], ridge)
        train = brute_force_train_loss(X[:t], U[:n], omega, p["noise"], ridge)
        # Same draws, streaming sums vs explicit matrices: ~1e-13 (cond(FᵀF) ≤ 1e4 here).
        np.testing.assert_allclose(rows["loss"][i], want, rtol=1e-10)
        np.testing.assert_allclose(rows["train_loss"][i], train, rtol=1e-9, atol=1e-15)


def test_a_point_hits_the_rounding_floor_as_a_recorded_warning_not_an_error():
    # N, T >= M without noise: the exact loss is 0 and the simulation warns (spec §5.1).
    config = load_config({"grid": {"M": [20], "N": [40], "T": [40]}})
    rows = run_task(expand_tasks(config)[0])
    assert "NumericalWarning" in rows["warning"][0]


def test_a_task_pins_its_threads_whatever_the_callers_settings():
    """Bit-identical whatever BLAS thread count the calling process uses (issue: 65 of 96 rows
    differed between --workers 1 and 2 when in-process tasks used every BLAS thread)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    config = small_sweep()
    config["grid"] = {**config["grid"], "M": [400], "N": [150, 300], "T": [200, 350]}
    task = expand_tasks(load_config(config))[0]
    with threadpool_limits(1):
        one = run_task(task)
    with threadpool_limits(2):
        two = run_task(task)
        # the caller's setting is restored after the task
        assert all(i["num_threads"] <= 2 for i in threadpool_info())
    assert one["loss"] == two["loss"] and one["train_loss"] == two["train_loss"]


@pytest.mark.parametrize("activation", ["relu"])
def test_activation_and_bias_reach_the_simulation(activation):
    from scalinglab.simulation import simulate

    grid = {"M": [50], "N": [10], "T": [20], "activation": [activation], "sigma_b": [0.5]}
    task = expand_tasks(load_config({"grid": grid}))[0]
    rows = run_task(task)
    direct = simulate(DataModel(M=50), N=10, T=20, seed=task.seed_sequence(),
                      activation=activation, sigma_b=0.5)  # fmt: skip
    np.testing.assert_allclose(rows["loss"][0], direct.loss[0, 0, 0, 0], rtol=1e-12)
    assert rows["activation"] == [activation] and rows["sigma_b"] == [0.5]


def test_backend_settings_reach_the_simulation():
    pytest.importorskip("torch")
    config = small_sweep(backend="torch", device="cpu", dtype="float64")
    task = expand_tasks(load_config(config))[0]
    numpy_task = expand_tasks(load_config(small_sweep()))[0]
    rows, reference = run_task(task), run_task(numpy_task)
    assert rows["backend"][0] == "torch:cpu:float64"
    # Same NumPy draws copied into torch (backend.py); only the BLAS differs: agree to rounding.
    np.testing.assert_allclose(rows["loss"], reference["loss"], rtol=1e-9)
