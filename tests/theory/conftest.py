"""Independent brute-force references for the theory tests: full O(M) sums and scipy brentq."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import brentq


def power_law(M: int, alpha: float, lambda_plus: float = 1.0) -> np.ndarray:
    return lambda_plus * np.arange(1, M + 1, dtype=np.float64) ** (-(1.0 + alpha))


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


@pytest.fixture
def reference() -> SimpleNamespace:
    """The brute-force reference functions above, for use in tests."""
    return SimpleNamespace(
        power_law=power_law,
        functionals=brute_functionals,
        delta_P=brute_delta_P,
        delta=brute_delta,
        loss=brute_loss,
    )
