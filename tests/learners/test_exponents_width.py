"""The mlp's lazy width prediction against an independent computation: the linearised network.

A bias-free network with one hidden layer of N ReLU units, ``f(x) = √(2/N) Σ_i a_i relu(u_i·x)``
(``u_i ~ N(0, I/d)``, ``a_i ~ N(0, 1)``), trained in the lazy regime is ridge regression with its
empirical NTK at initialisation (the initial function removed),
``Θ_N(x, z) = (2/N) Σ_i [relu(u_i·x) relu(u_i·z) + a_i² relu'(u_i·x) relu'(u_i·z) x·z/d]``,
whose mean over the draws is ``relu-ntk`` with depth 1. The exponent study predicts its width
curve as that of ``P = N (d + 1)`` random features of ``relu-ntk``, P the network's parameters
per output (docs/exponents.md §3).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import cho_factor, cho_solve

from learners.learners_helpers import planted
from scalinglab.learners.exponents import predict_exponent
from scalinglab.learners.kernels import kernel_matrix
from scalinglab.learners.mlp import lazy_features
from scalinglab.realdata.predict import decay_exponent


def _linearised_losses(X_tr, Y_tr, X_te, Y_te, widths, ridge, rng) -> list[float]:
    d = X_tr.shape[1]
    out = []
    for N in widths:
        U = rng.standard_normal((N, d)) / np.sqrt(d)
        a = rng.standard_normal(N)

        def parts(Z, U=U, a=a):
            pre = Z @ U.T
            return np.maximum(pre, 0.0), (pre > 0) * a

        F, G = parts(X_tr)
        F_te, G_te = parts(X_te)
        K = 2.0 / N * (F @ F.T + (G @ G.T) * (X_tr @ X_tr.T / d))
        K_te = 2.0 / N * (F_te @ F.T + (G_te @ G.T) * (X_te @ X_tr.T / d))
        coef = cho_solve(cho_factor(K + ridge * np.eye(len(K))), Y_tr)
        out.append(0.5 * float(np.mean(np.sum((K_te @ coef - Y_te) ** 2, axis=1))))
    return out


def _kernel_loss(X_tr, Y_tr, X_te, Y_te, ridge) -> float:
    """Kernel ridge with ``relu-ntk`` (depth 1): the linearised network's N → ∞ limit."""
    K = kernel_matrix("relu-ntk", X_tr, depth=1)
    K_te = kernel_matrix("relu-ntk", X_te, X_tr, depth=1)
    coef = cho_solve(cho_factor(K + ridge * np.eye(len(K))), Y_tr)
    return 0.5 * float(np.mean(np.sum((K_te @ coef - Y_te) ** 2, axis=1)))


@pytest.mark.slow  # ~30 s of CPU: 21 Gram matrices of 1600 rows and a 1200-point pool
def test_lazy_width_curve_against_linearised_network():
    # planted data (d = 100): the lazy model of width N has P = N (d + 1) features, so its
    # interpolation peak (P = T = 1600) is at N = 16 and widths 64...1024 are on the
    # variance-limited side, where the excess over the kernel limit falls as ~1/P
    X, Y = planted(3200, 100, 1.0, teachers=10, seed=11)
    d, T, widths = X.shape[1], 1600, [8, 16, 32, 64, 128, 256, 1024]
    pred, lam, _ = predict_exponent(
        X, Y, [400, 800, T], np.ones(3, dtype=bool), kernel="relu-ntk", ridge=1e-6,
        n_pool=1200, fit_ranks=(3, 120), n_boot=0, seed=11, depth=1, widths=widths,
        feature_counts=[lazy_features(n, d, 1) for n in widths],
    )  # fmt: skip
    rng = np.random.default_rng(11)
    lazy, kernel = [], []
    for s in range(3):
        rows = np.random.default_rng(100 + s).permutation(X.shape[0])
        test, train = rows[:400], rows[400 : 400 + T]
        parts = X[train], Y[train], X[test], Y[test]
        lazy.append(_linearised_losses(*parts, widths, lam, rng))
        kernel.append(_kernel_loss(*parts, lam))
    lazy_mean, kernel_mean = np.mean(lazy, axis=0), float(np.mean(kernel))
    # the peak where the network's parameters reach T, as predicted (a model counting one
    # feature per unit would put it at N = T)
    assert widths[int(np.argmax(lazy_mean))] == widths[int(np.argmax(pred.width_loss))] == 16
    # past it, the excess over the kernel limit (each side's own limit: the prediction of the
    # kernel-limit level has its own error, checked by the data-exponent tests) falls with the
    # same exponent: 1.09 predicted; linearised networks (3 seeds) measure 1.00 here and 0.90
    # on another draw of the networks, so 0.25 covers that spread and the d + 1 features of one
    # unit not being independent
    wide = slice(3, None)
    N = np.asarray(widths[wide], dtype=float)
    measured = decay_exponent(N, lazy_mean[wide] - kernel_mean)
    predicted = decay_exponent(N, pred.width_loss[wide] - pred.loss[-1])
    assert abs(predicted - measured) < 0.25, (predicted, measured)
    assert 0.7 < measured < 1.3  # variance-limited: ~1 (Bahri et al. 2021)
