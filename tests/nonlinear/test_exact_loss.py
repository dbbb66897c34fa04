"""The exact population loss with nonlinear features (spec §5, §5.1) against a sampled test set."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab import DataModel
from scalinglab._rng import spawn_seeds
from scalinglab.features import feature_map
from scalinglab.simulation import accumulate, draw_instance, draw_latent, ridge_losses, simulate

from _helpers.brute_force import power_law_spectrum


def test_linear_reproduces_the_linear_core_bit_for_bit():
    model = DataModel(M=300, alpha=0.5, noise=0.1)
    kwargs = dict(ridge=[0.0, 1e-2], seeds=2, seed=4, estimator="full")  # the same draws
    res = simulate(model, N=[40, 90], T=[70, 30], **kwargs)
    for s, seq in enumerate(spawn_seeds(4, 2)):
        stats = accumulate(model, seq, 90, 70)
        for i, n in enumerate([40, 90]):
            for j, t in enumerate([70, 30]):
                sub = stats.sub(n, t)
                ref = ridge_losses(sub.F, sub.C, sub.B, sub.K, sub.signal, 0.1, [0.0, 1e-2])
                assert np.array_equal(res.loss[s, i, j], ref.loss)
                assert np.array_equal(res.train_loss[s, i, j], ref.train_loss)


def wiggle(h):
    """A user activation with no closed-form moments (the Mehler-series path)."""
    return np.sin(h) + 0.3 * h


@pytest.mark.parametrize(
    ("activation", "sigma_b"),
    [("relu", 0.0), ("relu", 0.1), ("erf", 0.0), ("erf", 0.1), ("tanh", 0.1), ("quadratic", 0.1),
     (wiggle, 0.1)],
    ids=["relu", "relu-b", "erf", "erf-b", "tanh-b", "quadratic-b", "callable-b"],
)  # fmt: skip
def test_population_loss_matches_sampled_test_set(activation, sigma_b):
    # The exact per-instance loss (fixed teacher w and noise ε) of one draw must equal the mean
    # of ½(θ·φ(x) − w·x)² over 10^5 fresh test points within 4 standard errors: this checks S,
    # the Stein cross moment diag(μ1)UΛw and the biases independently of the kernel formulas.
    model = DataModel(M=60, alpha=1.0, sigma_u=3.0, noise=0.05)
    N, T, ridge = 40, 80, 1e-3
    res = simulate(model, N, T, ridge, seeds=1, seed=7, activation=activation,
                   sigma_b=sigma_b, instance=True)  # fmt: skip
    seq = spawn_seeds(7, 1)[0]
    X, U = draw_latent(model, seq, N, T)
    w, eps = draw_instance(model, seq, T)
    fmap = feature_map(activation, sigma_b)
    b = fmap.draw_bias(seq, N)
    b = np.zeros(N) if b is None else b
    F = fmap.activation(X @ U.T + b)
    theta = np.linalg.solve(F.T @ F + ridge * np.eye(N), F.T @ (X @ w + eps))
    rng = np.random.default_rng(123)
    Xt = rng.standard_normal((10**5, model.M)) * np.sqrt(power_law_spectrum(60, 1.0))
    err = 0.5 * (fmap.activation(Xt @ U.T + b) @ theta - Xt @ w) ** 2
    mean, se = err.mean(), err.std() / np.sqrt(err.size)
    assert abs(res.instance_loss[0, 0, 0, 0] - mean) < 4.0 * se


def test_biases_are_shared_across_the_grid():
    # The first N biases of a seed do not depend on N_max: a sub-grid point equals the point alone.
    model = DataModel(M=80, alpha=1.0)
    grid = simulate(model, N=[30, 60], T=50, ridge=1e-3, seeds=2, activation="relu", sigma_b=0.3)
    alone = simulate(model, N=30, T=50, ridge=1e-3, seeds=2, activation="relu", sigma_b=0.3)
    assert np.allclose(grid.loss[:, 0], alone.loss[:, 0], rtol=1e-10, atol=0)
    fmap = feature_map("relu", 0.3)
    seq = spawn_seeds(0, 1)[0]
    assert np.array_equal(fmap.draw_bias(seq, 60)[:30], fmap.draw_bias(seq, 30))


def test_user_callable_activation_is_named_after_the_function():
    # Its losses are checked against a sampled test set above (the "callable-b" case).
    res = simulate(DataModel(M=50, alpha=1.0, sigma_u=2.0), 20, 40, 1e-3, activation=wiggle)
    assert res.activation == "wiggle" and np.all(np.isfinite(res.loss))


def test_torch_backend_agrees_with_numpy():
    pytest.importorskip("torch")
    model = DataModel(M=70, alpha=1.0)
    for act, sb in [("relu", 0.0), ("erf", 0.0), ("relu", 0.2), ("tanh", 0.0)]:
        a = simulate(model, [20, 50], 40, [0.0, 1e-2], seeds=1, activation=act, sigma_b=sb)
        b = simulate(model, [20, 50], 40, [0.0, 1e-2], seeds=1, activation=act, sigma_b=sb,
                     backend="torch")  # fmt: skip
        assert np.allclose(a.loss, b.loss, rtol=1e-8)
