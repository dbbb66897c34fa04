"""Optimal ridge (spec §6.5, D15) and compute-optimal allocation (§6.6)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from scalinglab import ConfigError, DataModel
from scalinglab.theory import compute_optimal, optimal_ridge, predict


@pytest.mark.parametrize(
    ("alpha", "N", "T", "var"),
    [(0.5, 500, 1000, 0.0), (1.0, 800, 800, 1e-5), (2.0, 300, 1500, 1e-6), (1.0, 2600, 3000, 1e-5)],
)
def test_optimal_ridge_vs_dense_grid(alpha, N, T, var):
    """D15: γ* within one step of a dense-grid argmin of the DE; L* rel 1e-6 (and ≤ grid min)."""
    model = DataModel(M=2000, alpha=alpha, noise=np.sqrt(var))
    opt = optimal_ridge(model, N, T)
    ridges = np.logspace(-9, 3, 2401)  # step 0.005 decades
    loss = predict(model, N, T, ridges).loss
    best = int(np.argmin(loss))
    step = ridges[1] / ridges[0]
    assert ridges[best] / step <= float(opt.ridge) <= ridges[best] * step
    assert float(opt.loss) <= loss[best] * (1 + 1e-12)
    assert float(opt.loss) == pytest.approx(loss[best], rel=1e-6)
    # consistency: the DE at γ* reproduces L*
    assert float(predict(model, N, T, float(opt.ridge)).loss) == pytest.approx(
        float(opt.loss), rel=1e-9
    )
    assert bool(opt.converged)


def _brute_optimum(reference, M, alpha, N, T, var):
    """(γ*, L*) by bounded Brent in log γ on the brute-force loss (plain sums + brentq)."""
    lam = reference.power_law(M, alpha)

    def loss(log_ridge: float) -> float:  # γ' = γ/s² = γM (σ_u = 1)
        return reference.loss(lam, lam / M, N, T, np.exp(log_ridge) * M, var)

    # the minimum is bracketed by a coarse scan (the loss is unimodal in log γ, spec §6.5)
    grid = np.linspace(np.log(1e-8), np.log(10.0), 61)
    i = int(np.argmin([loss(g) for g in grid]))
    res = minimize_scalar(loss, bounds=(grid[max(i - 1, 0)], grid[min(i + 1, 60)]),
                          method="bounded", options={"xatol": 1e-7})  # fmt: skip
    return float(np.exp(res.x)), float(res.fun)


def test_optimal_ridge_table_9_3(reference):
    """Spec table 9.3 (theory columns, 5 printed digits), traced to a brute-force minimisation."""
    cases = [
        (0.5, 500, 1000, 0.0, 2.7192e-02, 3.5034e-05),
        (0.5, 800, 800, 1e-5, 3.4313e-02, 3.2108e-05),
        (1.0, 500, 1000, 0.0, 7.4406e-04, 1.5218e-06),
        (1.0, 800, 800, 1e-5, 8.4202e-03, 2.6682e-06),
    ]
    for alpha, N, T, var, ridge, loss in cases:
        brute_ridge, brute_loss = _brute_optimum(reference, 2000, alpha, N, T, var)
        # the printed digits (rel 2e-4 covers their rounding and the flat minimum's γ*)
        assert brute_ridge == pytest.approx(ridge, rel=2e-4)
        assert brute_loss == pytest.approx(loss, rel=2e-4)
        res = optimal_ridge(DataModel(M=2000, alpha=alpha, noise=np.sqrt(var)), N, T)
        assert float(res.ridge) == pytest.approx(brute_ridge, rel=2e-4)
        assert float(res.loss) == pytest.approx(brute_loss, rel=1e-8)


def test_optimal_ridge_vectorised_and_saturated_case():
    model = DataModel(M=1000, alpha=1.0)
    N = np.array([100, 400, 1500])[:, None]
    T = np.array([200, 400, 2000])[None, :]
    res = optimal_ridge(model, N, T)
    assert res.loss.shape == (3, 3) and np.all(np.isfinite(res.loss))
    ridge0 = predict(model, N, T, 0.0).loss
    assert np.all(res.loss <= ridge0 * (1 + 1e-12))
    # noise-free and N, T > M: the ridgeless solution is exact (loss 0), so γ* = 0
    assert res.ridge[2, 2] == 0.0 and res.loss[2, 2] == 0.0


@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_equiparameterization(alpha, reference):
    """§6.6: noise-free, isotropic, optimal ridge ⇒ N* = T* = √C on N·T = C."""
    res = compute_optimal(DataModel(M=4000, alpha=alpha), [4e5, 1e6])
    # golden section to 1e-7 in log N; the symmetric optimum is found to ~1e-4 (flat minimum).
    np.testing.assert_allclose(res.N / res.T, 1.0, rtol=1e-3)
    np.testing.assert_allclose(res.N, np.sqrt([4e5, 1e6]), rtol=1e-3)
    assert res.N_exponent == pytest.approx(0.5, abs=1e-3)
    # the optimum at N = T = 1000 (C = 1e6) by brute-force minimisation over γ, and the spec
    # table 9.3 spot check for α = 1 (γ* = 4.304e-4, L* = 5.3393e-7, its printed digits)
    ridge, loss = _brute_optimum(reference, 4000, alpha, 1000, 1000, 0.0)
    assert res.loss[1] == pytest.approx(loss, rel=1e-6)
    assert res.ridge[1] == pytest.approx(ridge, rel=1e-3)
    if alpha == 1.0:
        assert loss == pytest.approx(5.3393e-07, rel=2e-4)
        assert ridge == pytest.approx(4.304e-04, rel=1e-3)
    # and off the diagonal of N·T = C the brute-force optimum is worse (the frontier's minimum)
    for N in (800.0, 1250.0):
        assert _brute_optimum(reference, 4000, alpha, N, 1e6 / N, 0.0)[1] > loss


def test_noise_moves_optimum_to_fewer_features_and_custom_cost():
    noisy = compute_optimal(DataModel(M=4000, alpha=1.0, noise=np.sqrt(5e-6)), 1e6)
    assert 0.25 < float(noisy.N[0] / noisy.T[0]) < 0.4  # spec §6.6: 0.30–0.37
    # a cost that charges features twice: same frontier with budget C/2
    model = DataModel(M=4000, alpha=1.0)
    doubled = compute_optimal(model, 2e6, cost=lambda n, t: 2 * n * t)
    assert float(doubled.N[0]) == pytest.approx(1000.0, rel=1e-3)
    with pytest.raises(ConfigError, match="'budget' parameter"):
        compute_optimal(model, 0.5)
