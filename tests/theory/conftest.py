"""Brute-force references for the theory tests: full O(M) sums and scipy brentq.

The root solves and sums are independent of the package's solvers (Euler–Maclaurin sums, a
vectorised safeguarded Newton). The general-ridge loss formula below is the spec's §6.2 retyped,
so it checks numerics, not the formula: the formula itself is checked against explicit
finite-size Monte Carlo on independent draws (tests/simulation/test_independent_draws.py and
test_equivalent.py::test_train_and_test_loss_vs_finite_size_brute_force) and, at γ = 0, against
the separately derived ridgeless closed form :func:`brute_ridgeless_loss` (spec §6.3).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import brentq

from _helpers.brute_force import power_law_spectrum as power_law


def brute_functionals(lam: np.ndarray, v2: np.ndarray, delta: float) -> dict[str, float]:
    """d1, d2, e, b1, b2 of spec §6.1 as plain sums (math.fsum for accuracy)."""
    import math

    r = lam / (lam + delta)
    return {
        "d1": math.fsum(r),
        "d2": math.fsum(r * r),
        "e": math.fsum(delta * lam / (lam + delta) ** 2),
        "b1": delta * math.fsum(v2 / (lam + delta)),
        "b2": delta**2 * math.fsum(v2 / (lam + delta) ** 2),
    }


def brute_delta_P(lam: np.ndarray, P: float) -> float:
    """Δ_P: Σ λ/(λ+Δ) = P, by brentq on the full sum."""
    return brentq(lambda d: np.sum(lam / (lam + d)) - P, 1e-300, lam.sum(), xtol=1e-300, rtol=1e-15)


def brute_delta(lam: np.ndarray, N: float, T: float, ridge_lambda: float) -> float:
    """Δ on the physical branch: Δ(N−d1)(T−d1) = γ' with d1 < min(N, T), by brentq."""
    P = min(N, T)
    lo = brute_delta_P(lam, P) if P < lam.size else 0.0

    def g(d: float) -> float:
        d1 = np.sum(lam / (lam + d))
        return d * (N - d1) * (T - d1) - ridge_lambda

    hi = ridge_lambda / (N * T) + lam.sum() * (1 / N + 1 / T)
    return brentq(g, lo * (1 + 1e-15) if lo > 0 else 1e-300, hi, xtol=1e-300, rtol=1e-15)


def brute_loss(lam, v2, N, T, ridge_lambda, noise_var) -> float:
    """General-ridge DE loss (spec §6.2) from brute-force sums."""
    d = brute_delta(lam, N, T, ridge_lambda)
    f = brute_functionals(lam, v2, d)
    nd, td = N - f["d1"], T - f["d1"]
    D = nd * td + f["e"] * (N + T - 2 * f["d1"])
    return (
        T * (nd * f["b2"] + f["e"] * f["b1"]) + noise_var * (f["d2"] * nd + f["e"] * f["d1"])
    ) / (2 * D)


def brute_ridgeless_loss(lam, sigma_w2_over_M, N, T, noise_var) -> float:
    """Ridgeless isotropic loss (spec §6.3), from Δ_P of :func:`brute_delta_P`; P < M, N ≠ T.

    N < T: L = [(σ_w²/2M) N Δ_N + (σ²/2) N/T]/(1 − N/T);
    T < N: L = (σ_w²/2M) T Δ_T/(1 − T/N) + (σ²/2)[d2/(T − d2) + T/(N − T)], d2 at Δ_T.
    """
    if N < T:
        d = brute_delta_P(lam, N)
        return (0.5 * sigma_w2_over_M * N * d + 0.5 * noise_var * N / T) / (1 - N / T)
    d = brute_delta_P(lam, T)
    d2 = brute_functionals(lam, lam, d)["d2"]
    return 0.5 * sigma_w2_over_M * T * d / (1 - T / N) + 0.5 * noise_var * (
        d2 / (T - d2) + T / (N - T)
    )


@pytest.fixture
def reference() -> SimpleNamespace:
    """The brute-force reference functions above, for use in tests."""
    return SimpleNamespace(
        power_law=power_law,
        functionals=brute_functionals,
        delta_P=brute_delta_P,
        delta=brute_delta,
        loss=brute_loss,
        ridgeless_loss=brute_ridgeless_loss,
    )
