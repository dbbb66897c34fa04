"""Kernels against their definitions: closed forms and a Monte Carlo NTK."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.exceptions import ConfigError
from scalinglab.learners.kernels import KERNELS, kernel_matrix


def _points(n=5, d=7, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X, np.random.default_rng(seed + 1).standard_normal((3, d))


def test_distance_kernels_match_their_formulas():
    X, Z = _points()
    dist = np.linalg.norm(X[:, None, :] - Z[None, :, :], axis=2)
    sigma = 0.7 * np.sqrt(2 * X.shape[1])
    # the Gram expansion of |x - z|² loses ~1e-15 relative; 1e-12 leaves margin
    np.testing.assert_allclose(kernel_matrix("laplace", X, Z, bandwidth=0.7),
                               np.exp(-dist / sigma), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(kernel_matrix("rbf", X, Z, bandwidth=0.7),
                               np.exp(-(dist**2) / (2 * sigma**2)), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(kernel_matrix("linear", X, Z), X @ Z.T / 7, rtol=1e-13)


def test_arccos_is_the_relu_feature_kernel_by_monte_carlo():
    X, Z = _points(3, 4)
    U = np.random.default_rng(5).standard_normal((400_000, 4)) / 2.0  # u ~ N(0, I/d), d = 4
    mc = np.maximum(X @ U.T, 0) @ np.maximum(Z @ U.T, 0).T / U.shape[0]
    # 4e5 draws: relative standard error ~ 0.3 %, so 2 % is over 5 standard errors
    np.testing.assert_allclose(kernel_matrix("arccos", X, Z), mc, rtol=0.02, atol=2e-3)


def test_relu_ntk_matches_the_empirical_ntk_of_a_wide_network():
    """One hidden layer, f = a·relu(Wx/√d)·√(2/m): Θ = Σ_j [(2/m) relu_j relu_j'
    + (2/m) a_j² relu'_j relu'_j' x·z/d] averaged over a wide random layer."""
    X, Z = _points(3, 4)
    d, m = 4, 400_000
    rng = np.random.default_rng(7)
    W, a = rng.standard_normal((m, d)), rng.standard_normal(m)
    hx, hz = X @ W.T / np.sqrt(d), Z @ W.T / np.sqrt(d)
    readout = 2.0 * np.maximum(hx, 0) @ np.maximum(hz, 0).T / m
    hidden = 2.0 * ((hx > 0) * a**2) @ (hz > 0).T / m * (X @ Z.T / d)
    # Monte Carlo over 4e5 units: ~0.5 % relative error; 3 % tolerance
    np.testing.assert_allclose(kernel_matrix("relu-ntk", X, Z, depth=1), readout + hidden,
                               rtol=0.03, atol=3e-3)  # fmt: skip


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_are_positive_semidefinite(kernel):
    X, _ = _points(40, 6)
    K = kernel_matrix(kernel, X, depth=3)
    np.testing.assert_allclose(K, K.T, atol=1e-12)
    assert np.linalg.eigvalsh(K).min() > -1e-10


def test_bad_kernel_names_the_parameter():
    with pytest.raises(ConfigError, match="'kernel' parameter"):
        kernel_matrix("poly", np.ones((2, 2)))
