"""The streaming exact loss against independent brute-force computations (spec §5, §10 D12–D13)."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab import DataModel
from scalinglab._rng import spawn_seeds
from scalinglab.simulation import (
    accumulate,
    draw_instance,
    draw_latent,
    ridge_losses,
    simulate,
)

from _helpers.brute_force import (
    brute_force_loss,
    brute_force_train_loss,
    power_law_spectrum,
    ridge_operator,
)

RIDGES = [0.0, 1e-6, 1e-3, 0.1, 3.0]

_TEACHER = np.arange(1, 71, dtype=float) ** -0.5 / 70
_SPECTRUM = np.linspace(2.0, 0.01, 70)
# Each model with its (λ_J, ω_J) written here from the model's definition (spec §2), not taken
# from the package, so that a wrong spectrum or teacher prior in DataModel cannot cancel out.
MODELS = {
    "isotropic": (
        DataModel(M=70, alpha=0.7, lambda_plus=2.0, sigma_w=1.6, sigma_u=0.6, noise=0.05),
        power_law_spectrum(70, 0.7, 2.0),
        np.full(70, 1.6**2 / 70),
    ),
    "anisotropic": (
        DataModel(M=70, alpha=0.5, noise=0.1, sigma_u=1.7, teacher_power=_TEACHER),
        power_law_spectrum(70, 0.5),
        _TEACHER,
    ),
    "spectrum": (
        DataModel(M=70, spectrum=_SPECTRUM, sigma_w=0.7, noise=0.02),
        _SPECTRUM,
        np.full(70, 0.7**2 / 70),
    ),
}


# (N, T): primal, dual, rank-deficient primal (M < N <= T) and dual (M < T < N).
SIZES = [(20, 45), (45, 20), (90, 120), (120, 90)]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize(("N", "T"), SIZES)
def test_loss_matches_explicit_latent_matrices(name, N, T):
    """The streaming algebra on the simulator's own draws (the draws' law: test_reference)."""
    model, lam, omega = MODELS[name]
    result = simulate(model, N=N, T=T, ridge=RIDGES, seeds=2, seed=3, estimator="full")
    for s, seq in enumerate(spawn_seeds(3, 2)):
        X, U = draw_latent(model, seq, N, T)
        for k, ridge in enumerate(RIDGES):
            want = brute_force_loss(X, U, lam, omega, model.noise, ridge)
            train = brute_force_train_loss(X, U, omega, model.noise, ridge)
            # Same draws, two algebraically equal float64 evaluations: agreement to ~1e-13;
            # 1e-10 leaves room for the conditioning of FᵀF (cond ~ 1e5 here). Where N, T > M
            # the signal part is exactly 0 and both sides carry the rounding floor of the
            # cancelling sum (spec §5.1), which the result reports as its resolution.
            floor = 2 * result.resolution[s, 0, 0, k]
            assert result.loss[s, 0, 0, k] == pytest.approx(want, rel=1e-10, abs=floor)
            assert result.train_loss[s, 0, 0, k] == pytest.approx(train, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(("N", "T"), [(30, 60), (60, 30)])
def test_instance_loss_matches_explicit_teacher_and_sampled_test_set(N, T):
    model = DataModel(M=50, alpha=1.0, noise=0.1)
    result = simulate(model, N=N, T=T, ridge=[0.0, 1e-2], seeds=1, seed=11, instance=True)
    seq = spawn_seeds(11, 1)[0]
    X, U = draw_latent(model, seq, N, T)
    w, eps = draw_instance(model, seq, T)
    lam = power_law_spectrum(50, 1.0)
    rng = np.random.default_rng(12345)
    x_test = rng.standard_normal((100_000, model.M)) * np.sqrt(lam)
    for k, ridge in enumerate([0.0, 1e-2]):
        theta = ridge_operator(X @ U.T, ridge) @ (X @ w + eps)
        beta = U.T @ theta
        exact = 0.5 * (beta - w) @ (lam * (beta - w))
        assert result.instance_loss[0, 0, 0, k] == pytest.approx(exact, rel=1e-10)
        sq = 0.5 * (x_test @ (beta - w)) ** 2
        sem = sq.std(ddof=1) / np.sqrt(sq.size)
        # A sampled test set of 1e5 points: agreement within 4 standard errors.
        assert abs(sq.mean() - exact) < 4 * sem


def test_analytic_average_matches_many_teacher_draws():
    """The loss averaged analytically over (w, ε) equals the mean of per-instance losses."""
    model = DataModel(M=40, alpha=1.0, noise=0.2)
    seq = spawn_seeds(5, 1)[0]
    N, T, ridge = 15, 30, 1e-2
    X, U = draw_latent(model, seq, N, T)
    F = X @ U.T
    H = ridge_operator(F, ridge)
    rng = np.random.default_rng(0)
    lam = power_law_spectrum(40, 1.0)
    draws = 20_000
    w = rng.standard_normal((draws, model.M)) * np.sqrt(1.0 / 40)  # ω_J = σ_w²/M, σ_w = 1
    eps = rng.standard_normal((draws, T)) * model.noise
    beta = (w @ X.T + eps) @ H.T @ U  # (draws, M)
    per = 0.5 * np.sum((beta - w) ** 2 * lam, axis=1)
    exact = simulate(model, N=N, T=T, ridge=ridge, seed=5, estimator="full").loss[0, 0, 0, 0]
    assert abs(per.mean() - exact) < 4 * per.std(ddof=1) / np.sqrt(draws)


@pytest.mark.parametrize(("N", "T", "M"), [(40, 90, 300), (90, 40, 300), (90, 120, 60)])
def test_primal_and_dual_paths_agree(N, T, M):
    model = DataModel(M=M, alpha=1.0, noise=0.05)
    stats = accumulate(model, spawn_seeds(0, 1)[0], N, T, instance=True)
    args = (stats.F, stats.C, stats.B, stats.K, stats.signal, model.noise, np.array(RIDGES))
    primal = ridge_losses(*args, instance=stats.instance, path="primal")
    dual = ridge_losses(*args, instance=stats.instance, path="dual")
    # Spec §10 D13: both evaluation paths agree to 1e-9 on the same draws.
    np.testing.assert_allclose(primal.loss, dual.loss, rtol=1e-9)
    np.testing.assert_allclose(primal.train_loss, dual.train_loss, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(primal.instance_loss, dual.instance_loss, rtol=1e-9)


@pytest.mark.parametrize(("N", "T"), [(100, 400), (400, 100), (150, 220)])
def test_ridge_to_zero_converges_to_ridgeless_path(N, T):
    model = DataModel(M=300, alpha=1.0, noise=0.01)
    ridges = [0.0, 1e-12, 1e-10, 1e-8]
    loss = simulate(model, N=N, T=T, ridge=ridges, seeds=1, seed=2).loss[0, 0, 0]
    gaps = np.abs(loss[1:] / loss[0] - 1)
    # The loss is smooth in γ on (0, ∞) with a finite limit at γ = 0⁺ (spec §8 table 9.8):
    # the gap shrinks with γ and is negligible at γ = 1e-12.
    assert gaps[0] < 1e-6
    assert gaps[0] <= gaps[1] <= gaps[2] + 1e-12


def test_same_seed_is_bit_identical_and_chunking_only_reorders_sums():
    model = DataModel(M=1300, alpha=0.5, noise=0.1)
    kwargs = dict(N=[60, 120], T=[80, 150], ridge=[0.0, 1e-3], seeds=2, seed=9)
    a = simulate(model, **kwargs)
    b = simulate(model, **kwargs)
    assert np.array_equal(a.loss, b.loss) and np.array_equal(a.train_loss, b.train_loss)
    for chunk in (256, 768, 4096):
        c = simulate(model, chunk=chunk, **kwargs)
        # Different chunk sizes only change the summation order of the latent sums.
        np.testing.assert_allclose(c.loss, a.loss, rtol=1e-12)
    other = simulate(model, **{**kwargs, "seed": 10})
    assert not np.allclose(other.loss, a.loss)


def test_grid_points_equal_single_point_runs_with_shared_draws():
    model = DataModel(M=600, alpha=1.0, noise=0.05)
    grid = simulate(model, N=[50, 200], T=[80, 300], ridge=[0.0, 1e-2], seeds=2, seed=4)
    for i, n in enumerate([50, 200]):
        for j, t in enumerate([80, 300]):
            single = simulate(model, N=n, T=t, ridge=[0.0, 1e-2], seeds=2, seed=4)
            # The first rows of a larger draw are the same numbers: only BLAS blocking differs.
            np.testing.assert_allclose(grid.loss[:, i, j], single.loss[:, 0, 0], rtol=1e-11)


def test_independent_draws_differ_per_point_but_are_reproducible():
    model = DataModel(M=400, alpha=1.0)
    kwargs = dict(N=[50, 60], T=[100], ridge=[1e-3], seeds=2, seed=1, shared_draws=False)
    a, b = simulate(model, **kwargs), simulate(model, **kwargs)
    assert np.array_equal(a.loss, b.loss)
    shared = simulate(model, **{**kwargs, "shared_draws": True})
    assert not np.allclose(a.loss[:, 0], shared.loss[:, 0])


@pytest.mark.parametrize("estimator", ["full", "conditional"])
def test_plateau_zero_loss_is_flagged_and_within_the_reported_floor(estimator):
    """N, T > M without noise: the exact loss is 0; the cancelling sum is clipped and flagged."""
    model = DataModel(M=60, alpha=1.0)
    with pytest.warns(UserWarning, match="rounding floor"):
        result = simulate(model, N=80, T=100, ridge=0.0, seeds=3, estimator=estimator)
    assert np.all(result.loss <= result.resolution)


def test_plateau_zero_loss_is_reported_at_the_rounding_floor():
    """The full estimator's floor there is a rounding-level fraction of the signal scale."""
    model = DataModel(M=60, alpha=1.0)
    with pytest.warns(UserWarning, match="rounding floor"):
        result = simulate(model, N=80, T=100, ridge=0.0, seeds=1, estimator="full")
    assert result.loss[0, 0, 0, 0] <= result.resolution[0, 0, 0, 0]
    # The floor is a rounding-level fraction of the signal scale s_ω.
    assert result.resolution[0, 0, 0, 0] < 1e-11 * model.signal_variance()


def _one_loss(seed: int) -> float:
    return float(simulate(DataModel(M=3000), N=50, T=80, seed=seed).loss[0, 0, 0, 0])


@pytest.mark.timeout(120)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_parallel_draws_survive_a_fork():
    """The block-drawing thread pool is rebuilt in forked children (no hang, same numbers)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    here = _one_loss(3)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        there = list(pool.map(_one_loss, [3, 3]))
    assert there == [here, here]


def test_seed_mean_and_standard_error():
    """s.e. = sample sd (n − 1 denominator) / √n over seeds, here by hand: values 1, 2, 4, 9."""
    from scalinglab.simulation.result import seed_mean_sem

    values = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0], [9.0, 5.0]])
    mean, sem = seed_mean_sem(values)
    # mean 4; squared deviations 9, 4, 0, 25 → variance 38/3; s.e. √(38/3)/2
    np.testing.assert_allclose(mean, [4.0, 5.0], rtol=1e-15)
    np.testing.assert_allclose(sem, [np.sqrt(38 / 3) / 2, 0.0], rtol=1e-14)
    assert np.isnan(seed_mean_sem(values[:1])[1]).all()  # one seed: no standard error
