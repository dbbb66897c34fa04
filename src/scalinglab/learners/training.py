"""Measured learning curves: the held-out loss of trained learners vs T (docs/exponents.md §4).

For each seed, the rows of the data set are permuted by that seed's generator: the first
``n_test`` rows are the held-out set, the next ``max(T)`` the training rows, and the curve uses
nested prefixes (the first T training rows) so its points share one draw. The loss is
``½ mean_i |f(x_i) − y_i|²`` over the held-out rows (summed over target columns).

* ``kernel``: kernel ridge ``f = k_xᵀ(K_TT + λI)⁻¹Y`` by a Cholesky solve.
* ``rf``: ridge regression on N random features ``σ(Ux)``, ``U ~ N(0, I/d)``, ``σ`` ReLU
  (arc-cosine kernel) or linear, with ``γ = Nλ`` on ``FᵀF`` (so that it tends to kernel ridge).
* ``mlp``: a fully connected ReLU network trained by :mod:`.mlp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._rng import child, root_sequence
from ..realdata.covariance import feature_map
from .kernels import kernel_matrix

__all__ = ["measure_curve", "measure_width_curve", "split"]

_STREAM_SPLIT, _STREAM_FEATURES, _STREAM_NET = 0, 1, 2


def split(n: int, n_test: int, t_max: int, seq: np.random.SeedSequence) -> tuple[np.ndarray, ...]:
    """Held-out rows and training rows (in order) of one seed (module docstring)."""
    rows = np.random.default_rng(child(seq, _STREAM_SPLIT)).permutation(n)
    return rows[:n_test], rows[n_test : n_test + t_max]


def _loss(pred: np.ndarray, Y: np.ndarray) -> float:
    return 0.5 * float(np.mean(np.sum((pred - Y) ** 2, axis=1)))


def _kernel_losses(X_tr, Y_tr, X_te, Y_te, T, ridge, kernel, bandwidth, depth) -> list[float]:
    from scipy.linalg import cho_factor, cho_solve

    K = kernel_matrix(kernel, X_tr, bandwidth=bandwidth, depth=depth)
    K_te = kernel_matrix(kernel, X_te, X_tr, bandwidth=bandwidth, depth=depth)
    out = []
    for t in T:
        A = K[:t, :t] + ridge * np.eye(t)
        coef = cho_solve(cho_factor(A, check_finite=False), Y_tr[:t], check_finite=False)
        out.append(_loss(K_te[:, :t] @ coef, Y_te))
    return out


def _rf_losses(X_tr, Y_tr, X_te, Y_te, points, ridge, kernel, seq) -> list[float]:
    """Losses at each ``(T, N)`` of ``points``: the first N features of one bank, first T rows."""
    activation = "relu" if kernel == "arccos" else "linear"
    n_max = max(n for _, n in points)
    F_all = feature_map(X_tr, n_max, activation, 1.0, child(seq, _STREAM_FEATURES))
    F_te_all = feature_map(X_te, n_max, activation, 1.0, child(seq, _STREAM_FEATURES))
    out = []
    for t, n in points:
        Ft, gamma = F_all[:t, :n], ridge * n
        if n <= t:
            theta = np.linalg.solve(Ft.T @ Ft + gamma * np.eye(n), Ft.T @ Y_tr[:t])
        else:
            theta = Ft.T @ np.linalg.solve(Ft @ Ft.T + gamma * np.eye(t), Y_tr[:t])
        out.append(_loss(F_te_all[:, :n] @ theta, Y_te))
    return out


def measure_width_curve(X: np.ndarray, Y: np.ndarray, widths: list[int], T: int, *,
                        kernel: str, ridge: float, n_test: int, seeds: int,
                        seed: int) -> np.ndarray:  # fmt: skip
    """Held-out losses of random-feature ridge at T training rows for each width N, shape
    ``(seeds, len(widths))``, on the same draws (splits, feature banks) as :func:`measure_curve`."""
    root = root_sequence(seed)
    out = np.empty((seeds, len(widths)))
    for s in range(seeds):
        seq = child(root, s)
        test, train = split(X.shape[0], n_test, T, seq)
        points = [(T, n) for n in widths]
        out[s] = _rf_losses(X[train], Y[train], X[test], Y[test], points, ridge, kernel, seq)
    return out


def measure_curve(
    X: np.ndarray,
    Y: np.ndarray,
    T: list[int],
    *,
    learner: str,
    kernel: str,
    ridge: float,
    n_test: int,
    seeds: int,
    seed: int,
    bandwidth: float = 1.0,
    depth: int = 2,
    width: int = 1000,
    mlp: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Held-out losses, shape ``(seeds, len(T))`` (module docstring); ``progress(seed)`` is
    called after each seed."""
    root = root_sequence(seed)
    out = np.empty((seeds, len(T)))
    for s in range(seeds):
        seq = child(root, s)
        test, train = split(X.shape[0], n_test, max(T), seq)
        args = (X[train], Y[train], X[test], Y[test], T)
        if learner == "kernel":
            out[s] = _kernel_losses(*args, ridge, kernel, bandwidth, depth)
        elif learner == "rf":
            X_tr, Y_tr, X_te, Y_te, _ = args
            points = [(t, width) for t in T]
            out[s] = _rf_losses(X_tr, Y_tr, X_te, Y_te, points, ridge, kernel, seq)
        else:
            from .mlp import mlp_losses

            out[s] = mlp_losses(*args, seed=child(seq, _STREAM_NET), **(mlp or {}))
        if progress is not None:
            progress(s + 1)
    return out
