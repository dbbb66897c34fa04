"""The conditional (Rao–Blackwellised) estimator against the full one (issue 20)."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from scalinglab import ConfigError, DataModel
from scalinglab._rng import spawn_seeds
from scalinglab.simulation import draw_latent, ridge_losses, simulate
from scalinglab.simulation.accumulate import limit_draw_threads
from scalinglab.simulation.backend import Backend
from scalinglab.simulation.conditional import (
    ConditionalStatistics,
    accumulate_conditional,
    condition_on,
    condition_on_features,
    conditional_losses,
    covariances,
    nested_factor,
    orthogonal_factor,
    orthogonal_route,
)

RIDGES = np.array([0.0, 1e-3, 1e-1])

# (M, N, T, noise, alpha): primal and dual, N > M (C singular), T > M, N and T > M, noise and
# ridge 0, and an anisotropic teacher (below); the first three on the Cholesky route (M > 2N),
# the others on the orthogonal one.
CONFIGS = [
    (60, 20, 40, 0.0, 1.0),
    (80, 30, 50, 0.05, 1.0),
    (100, 40, 120, 0.0, 2.0),
    (60, 40, 20, 0.1, 1.0),
    (30, 50, 20, 0.0, 1.0),
    (30, 20, 80, 0.0, 1.0),
    (30, 50, 80, 0.1, 1.0),
    (40, 30, 30, 0.05, 0.5),
    (50, 70, 45, 0.02, 2.0),
]


def _fixed_u(model: DataModel, N: int, seed: int = 1):
    U = np.random.default_rng(seed).standard_normal((N, model.M)) * np.sqrt(model.feature_scale)
    lam, omega = model.eigenvalues(), model.teacher_variances()
    return U, (U * lam) @ U.T, (U * (lam * lam * omega)) @ U.T, float(lam @ omega)


def _condition(model, U, C, D, signal, seq, T):
    """One draw given U by the library's route: factor V where M ≤ 2N, else C."""
    N, M = U.shape
    if orthogonal_route(N, M):
        V, weights = (
            U * np.sqrt(model.eigenvalues()),
            model.eigenvalues() * model.teacher_variances(),
        )
        return condition_on_features(V, weights, signal, seq, T, Backend())
    return condition_on(C.copy(), D, signal, seq, T, M, Backend())


@pytest.mark.parametrize(("M", "N", "T", "noise", "alpha"), CONFIGS)
def test_unbiased_for_a_fixed_u(M, N, T, noise, alpha):
    """For one U, the mean of the conditional loss over F draws equals the mean of the full
    (exact-in-w) loss over X draws. 400 draws each; the means must agree within 3 combined
    standard errors (fixed seeds: the outcome is deterministic)."""
    model = DataModel(M=M, alpha=alpha, noise=noise)
    lam, omega = model.eigenvalues(), model.teacher_variances()
    U, C, D, signal = _fixed_u(model, N)
    rng = np.random.default_rng(2)
    reps = 400
    full, cond = np.empty((reps, RIDGES.size)), np.empty((reps, RIDGES.size))
    for r in range(reps):
        X = rng.standard_normal((T, M)) * np.sqrt(lam)
        F, K, B = X @ U.T, (X * omega) @ X.T, (U * (lam * omega)) @ X.T
        full[r] = ridge_losses(F, C, B, K, signal, noise, RIDGES).loss
        stats = _condition(model, U, C, D, signal, np.random.SeedSequence([3, r]), T)
        cond[r] = conditional_losses(stats, noise, RIDGES).loss
    se = np.hypot(full.std(0, ddof=1), cond.std(0, ddof=1)) / np.sqrt(reps)
    assert np.all(np.abs(cond.mean(0) - full.mean(0)) <= 3 * se)
    # Rao–Blackwell: the conditional variance is no larger (20% margin for sampling error).
    assert np.all(cond.var(0) <= 1.2 * full.var(0))


def test_anisotropic_teacher_is_unbiased():
    model = DataModel(
        M=50, alpha=1.0, noise=0.05, teacher_power=np.arange(1, 51, dtype=float) ** -1.5
    )
    a = simulate(model, N=[20, 70], T=[35, 90], ridge=RIDGES, seeds=48, seed=5, estimator="full")
    b = simulate(
        model, estimator="conditional", N=[20, 70], T=[35, 90], ridge=RIDGES, seeds=48, seed=5
    )
    assert b.estimator == "conditional"
    # Independent draws of U and of the data: 3 combined standard errors.
    assert np.all(np.abs(a.loss_mean - b.loss_mean) <= 3 * np.hypot(a.loss_sem, b.loss_sem))


def test_covariances_match_the_full_estimators_u():
    """C and D_ω are summed from the same U as the full estimator draws, for any chunking."""
    model = DataModel(M=1300, alpha=1.0, teacher_power=np.linspace(2.0, 0.5, 1300))
    seq = spawn_seeds(4, 1)[0]
    _, U = draw_latent(model, seq, 40, 1)
    lam, omega = model.eigenvalues(), model.teacher_variances()
    C, D, signal = covariances(model, seq, 40, Backend(), chunk=512)
    # The same sums in another order: agreement to rounding (1e-12 relative).
    np.testing.assert_allclose(C, (U * lam) @ U.T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(D, (U * (lam * lam * omega)) @ U.T, rtol=1e-12, atol=1e-15)
    assert signal == pytest.approx(float(lam @ omega), rel=1e-13)


def test_covariances_do_not_depend_on_the_thread_count():
    """The threaded partial sums give the same bits as one thread, with any BLAS threads."""
    model = DataModel(M=3000, alpha=1.0)
    seq = spawn_seeds(5, 1)[0]
    threaded = covariances(model, seq, 70, Backend(), chunk=512)
    with limit_draw_threads(1):
        single = covariances(model, seq, 70, Backend(), chunk=512)
        with threadpool_limits(1):
            single_blas = covariances(model, seq, 70, Backend(), chunk=512)
    for other in (single, single_blas):
        assert np.array_equal(threaded[0], other[0]) and np.array_equal(threaded[1], other[1])
        assert threaded[2] == other[2]


@pytest.mark.parametrize(("N", "M"), [(50, 200), (90, 60)])
def test_nested_factor_reproduces_c_and_is_nested(N, M):
    model = DataModel(M=M, alpha=1.0)
    C, _, _ = covariances(model, spawn_seeds(0, 1)[0], N, Backend(), None)
    L = nested_factor(C.copy(), M)
    assert L.shape == (N, min(N, M))
    # C = L Lᵀ to rounding, amplified by cond(C) ~ 1e8 at N = 1.5 M (1e-9 relative to max C).
    np.testing.assert_allclose(L @ L.T, C, atol=1e-9 * np.abs(C).max())
    head = nested_factor(C[:30, :30].copy(), M)
    np.testing.assert_allclose(head, L[:30, :30], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("N", "T", "M"), [(40, 90, 300), (90, 40, 300), (90, 120, 60), (80, 50, 60)]
)
def test_primal_and_dual_paths_agree(N, T, M):
    model = DataModel(M=M, alpha=1.0, noise=0.05)
    stats = accumulate_conditional(model, spawn_seeds(0, 1)[0], N, T)
    primal = conditional_losses(stats, model.noise, RIDGES, path="primal")
    dual = conditional_losses(stats, model.noise, RIDGES, path="dual")
    # Two algebraically equal evaluations of the same draw (spec §10 D13: 1e-9).
    np.testing.assert_allclose(primal.loss, dual.loss, rtol=1e-9)
    np.testing.assert_allclose(primal.train_loss, dual.train_loss, rtol=1e-8, atol=1e-15)


def test_grid_points_equal_single_point_runs():
    """One draw serves the grid: the leading block of F = Z Lᵀ is the draw of each point."""
    model = DataModel(M=400, alpha=1.0, noise=0.05)
    Ns, Ts = [50, 200, 500], [80, 300]
    grid = simulate(model, estimator="conditional", N=Ns, T=Ts, ridge=RIDGES, seeds=2, seed=4)
    for i, n in enumerate(Ns):
        for j, t in enumerate(Ts):
            single = simulate(
                model, estimator="conditional", N=n, T=t, ridge=RIDGES, seeds=2, seed=4
            )
            # Same numbers, different BLAS blocking and Cholesky sizes: 1e-9 relative.
            np.testing.assert_allclose(grid.loss[:, i, j], single.loss[:, 0, 0], rtol=1e-9)


def test_training_loss_is_unbiased_across_draws():
    model = DataModel(M=200, alpha=1.0, noise=0.1)
    kw = dict(N=[30, 300], T=[60, 150], ridge=[1e-3, 1e-1], seeds=48, seed=2)
    a = simulate(model, estimator="full", **kw)
    b = simulate(model, estimator="conditional", **kw)
    gap = np.abs(a.train_loss_mean - b.train_loss_mean)
    assert np.all(gap <= 3 * np.hypot(a.train_loss_sem, b.train_loss_sem) + 1e-12)


def test_torch_matches_numpy_on_the_same_draws():
    pytest.importorskip("torch")
    model = DataModel(M=300, alpha=1.0, noise=0.05)
    kw = dict(N=[40, 350], T=[90, 200], ridge=RIDGES, seeds=2, seed=3)
    a = simulate(model, estimator="conditional", **kw)
    b = simulate(model, estimator="conditional", backend="torch", **kw)
    assert b.estimator == a.estimator == "conditional"
    # The same NumPy draws in both; only LAPACK/BLAS implementations differ: 1e-10 relative
    # where C is well conditioned (N < M), and within the reported rounding floors at N > M
    # (cond(C) ~ 1e8 there, measured gap 2e-8 relative).
    np.testing.assert_allclose(b.loss[:, 0], a.loss[:, 0], rtol=1e-10)
    assert np.all(np.abs(b.loss - a.loss) <= a.resolution + b.resolution)
    np.testing.assert_allclose(b.train_loss[:, 0], a.train_loss[:, 0], rtol=1e-9, atol=1e-15)


def test_estimator_choice_and_errors():
    model = DataModel(M=100, alpha=1.0)
    kw = dict(N=20, T=30, seeds=1)
    assert simulate(model, **kw).estimator == "conditional"
    assert simulate(model, activation="relu", **kw).estimator == "full"
    assert simulate(model, instance=True, **kw).estimator == "full"
    assert simulate(model, dtype="float32", **kw).estimator == "full"
    with pytest.raises(ConfigError, match="'estimator' parameter 'conditional' needs linear"):
        simulate(model, activation="relu", estimator="conditional", **kw)
    with pytest.raises(ConfigError, match="'instance' parameter"):
        simulate(model, instance=True, estimator="conditional", **kw)
    with pytest.raises(ConfigError, match="'dtype' parameter"):
        simulate(model, dtype="float32", estimator="conditional", **kw)
    with pytest.raises(ConfigError, match="'estimator' parameter"):
        simulate(model, estimator="sampled", **kw)


def test_ill_conditioned_covariance_is_flagged_with_the_full_estimator_as_remedy():
    """alpha = 8: cond(C) ~ 1e16, so C⁻¹ is unreliable on the Cholesky route (M > 2N). The
    conditional estimate is flagged (its reported floor covers its gap to the full estimator,
    which stays accurate)."""
    from scalinglab import NumericalWarning

    model = DataModel(M=60, alpha=8.0)
    kw = dict(N=25, T=80, ridge=[0.0, 1e-3], seeds=8, seed=1)
    with pytest.warns(NumericalWarning, match="estimator='full'"):
        cond = simulate(model, estimator="conditional", **kw)
    with pytest.warns(NumericalWarning):  # the full estimator's ridge-0 loss is ~1e-13
        full = simulate(model, estimator="full", **kw)
    gap = np.abs(cond.loss_mean - full.loss_mean)
    assert np.all(gap <= cond.resolution.max(axis=0) + 3 * np.hypot(cond.loss_sem, full.loss_sem))


# Where M ≤ 2N the conditional estimator factors V = UΛ^{1/2} itself (the orthogonal route).
# For N ≥ M it is then the full estimator in rotated coordinates: with Z = Z_X Q̃ᵀ for the
# whitened inputs Z_X = XΛ^{-1/2} of one draw of X, both give the same loss on the same draw.
# ``singular`` makes U's leading M x M block singular to ~1e-12 (as for seed 32 of 2026 at
# M = 500, N = 1000: cond(C[:M, :M]) = 6e16), where the old Cholesky-of-C route mis-whitened
# D_ω and returned losses up to 30x too large.
SAME_DRAW = [  # (M, N, T, noise, singular): T = M ± 2 (near interpolation), N = M and 2M
    (40, 80, 38, 0.0, True),
    (40, 80, 42, 0.01, True),
    (40, 80, 38, 0.003, False),
    (40, 40, 38, 0.01, True),
    (40, 40, 42, 0.0, True),
    (40, 60, 20, 0.01, True),
]


@pytest.mark.parametrize(("M", "N", "T", "noise", "singular"), SAME_DRAW)
def test_orthogonal_route_equals_the_full_estimator_on_the_same_draw(M, N, T, noise, singular):
    model = DataModel(M=M, alpha=2.0, noise=noise)
    lam, omega = model.eigenvalues(), model.teacher_variances()
    rng = np.random.default_rng(6)
    U = rng.standard_normal((N, M)) * np.sqrt(model.feature_scale)
    if singular:
        U[M - 1] = rng.standard_normal(M - 1) @ U[: M - 1] / np.sqrt(M) + 1e-12 * U[M - 1]
    L, Dw, Qt = orthogonal_factor(U * np.sqrt(lam), lam * omega)
    Z_X = rng.standard_normal((T, M))
    X = Z_X * np.sqrt(lam)
    ridges = np.array([0.0, 1e-9, 1e-6, 1e-3])
    C, signal = (U * lam) @ U.T, float(lam @ omega)
    full = ridge_losses(X @ U.T, C, (U * (lam * omega)) @ X.T, (X * omega) @ X.T, signal,
                        noise, ridges)  # fmt: skip
    for path in ("primal", "dual"):
        stats = ConditionalStatistics(L, None, Z_X @ Qt.T, None, signal, N, T, [Dw])
        cond = conditional_losses(stats, noise, ridges, path=path)
        # Two evaluations of the same loss, both backward stable: they differ by rounding,
        # amplified near interpolation (measured <= 1e-7 relative; zero losses within floors).
        gap = np.abs(cond.loss - full.loss)
        assert np.all(gap <= 1e-6 * full.loss + full.resolution + cond.resolution)


def test_no_outlier_seeds_where_cs_leading_block_is_ill_conditioned():
    """N ≥ M and T ≥ M without noise: the exact loss at ridge 0 is 0 for every seed. The old
    Cholesky-of-C route returned up to 4e-7 (9 of 64 values above their floors) at alpha 2,
    where C's leading M x M block is nearly singular for some seeds."""
    model = DataModel(M=40, alpha=2.0)
    with pytest.warns(UserWarning, match="rounding floor"):
        result = simulate(
            model, N=[40, 80], T=[40, 60], ridge=0.0, seeds=16, seed=3, estimator="conditional"
        )
    assert np.all(result.loss <= result.resolution)


@pytest.mark.slow
def test_issue_outlier_configuration_has_no_outlier_seed():
    """The configuration where the outlier was found (M = 500, alpha = 1, noise 0.003,
    N = 1000, T = 480, 48 seeds, seed 2026). Before the orthogonal route, seed 32 was 37x the
    median (4.5e-3); the full estimator's largest seed is 1.3x its median."""
    model = DataModel(M=500, alpha=1.0, noise=0.003)
    result = simulate(model, N=1000, T=480, seeds=48, seed=2026, estimator="conditional")
    loss = result.loss[:, 0, 0, 0]
    assert loss.max() <= 3.0 * np.median(loss)
    # The finite-size theory there is 1.213e-4 (docs/estimators.md); 3 standard errors.
    assert abs(loss.mean() - 1.213e-4) <= 3 * loss.std(ddof=1) / np.sqrt(loss.size)


@pytest.mark.parametrize("estimator", ["full", "conditional"])
def test_progress_moves_within_a_draw(estimator):
    # A draw at large M reports the fraction of its latent columns summed (the bar and its ETA
    # move chunk by chunk, not only per draw): 8 chunks of 256 columns per draw, 2 draws.
    calls = []
    model = DataModel(M=2048, alpha=1.0)
    simulate(model, N=20, T=30, seeds=2, estimator=estimator, chunk=256,
             progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {2}
    assert done == sorted(done) and done[-1] == 2
    assert [d for d in done if d < 1] == pytest.approx([k / 8 for k in range(1, 8)])
