"""The pool eigensystem, the extended spectrum and the kernel-ridge learning curve against
independent computations."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from learners.learners_helpers import planted
from scalinglab.learners.kernels import kernel_matrix
from scalinglab.learners.spectrum import (
    BinnedSpectrum,
    extend_spectrum,
    learning_curve,
    pool_spectrum,
    spectral_exponents,
)
from scalinglab.theory.spectral import ArraySpectrum


def _krr_loss(xi: np.ndarray, power: np.ndarray, T: float, lam: float) -> float:
    """Kernel-ridge deterministic equivalent written out: Δ(T − Σ ξ/(ξ+Δ)) = λ,
    L = ½ Σ v² Δ²/(ξ+Δ)² / (1 − Σ (ξ/(ξ+Δ))²/T)."""
    delta = brentq(lambda D: D * (T - np.sum(xi / (xi + D))) - lam, 1e-300, 1e6, xtol=1e-300,
                   rtol=1e-15)  # fmt: skip
    r = xi / (xi + delta)
    return 0.5 * np.sum(power * (1 - r) ** 2) / (1 - np.sum(r * r) / T)


def test_kernel_limit_matches_the_written_out_kernel_ridge_equivalent():
    k = np.arange(1, 3001, dtype=np.float64)
    xi, power = k**-1.6, k**-1.3
    spec = ArraySpectrum(xi, power)
    for T in (10.0, 100.0, 1000.0):
        for lam in (1e-6, 1e-2):
            # N = 1e15 stands for N = ∞: O(T/N) relative, so 1e-8 is loose
            got = float(learning_curve(spec, T, lam))
            assert abs(got / _krr_loss(xi, power, T, lam) - 1) < 1e-8


def test_binned_spectrum_equals_the_expanded_one():
    lam, power, counts = np.array([1.0, 0.3, 0.01]), np.array([0.5, 0.2, 0.09]), [1, 4, 9]
    expanded = ArraySpectrum(np.repeat(lam, counts), np.repeat(power / counts, counts))
    binned = BinnedSpectrum(lam, power, counts)
    delta = np.array([1e-3, 0.05, 2.0])
    a, b = expanded.functionals(delta), binned.functionals(delta)
    for name in ("d1", "d2", "e", "b1", "b2"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-13)
    assert binned.M == 14 and abs(binned.total - expanded.total) < 1e-14


def test_weighted_pool_equals_the_pool_with_duplicated_points():
    X, Y = planted(30, 8, 1.0, teachers=2)
    counts = np.random.default_rng(3).integers(1, 4, size=30)
    weighted = pool_spectrum(kernel_matrix("rbf", X), Y, counts / counts.sum())
    rows = np.repeat(np.arange(30), counts)
    plain = pool_spectrum(kernel_matrix("rbf", X[rows]), Y[rows])
    top = 30  # the duplicated pool has the same 30 non-zero modes
    np.testing.assert_allclose(weighted.eigenvalues, plain.eigenvalues[:top], atol=1e-12)
    np.testing.assert_allclose(weighted.target_power, plain.target_power[:top], atol=1e-10)
    assert abs(weighted.trace - plain.trace) < 1e-12


def test_extension_keeps_the_trace_and_the_target_power():
    X, Y = planted(600, 400, 0.8, teachers=3)
    spec = pool_spectrum(kernel_matrix("linear", X), Y, keep=200)
    exps = spectral_exponents(spec, (3, 60))
    ext = extend_spectrum(spec, exps, 1e6)
    # capacity of the planted covariance: 1 + alpha; the sample spectrum's top 60 ranks of
    # 600 samples sit within a few per cent of it
    assert abs(exps.capacity - 1.8) < 0.1
    np.testing.assert_allclose(ext.total, spec.trace, rtol=1e-9)
    np.testing.assert_allclose(ext.target_power.sum(), spec.target_variance, rtol=1e-9)
