"""Kernels of the learners on standardised inputs (``mean |x|² = d``, docs/exponents.md §1).

===============  ==========================================================================
``linear``       ``k(x, z) = x·z/d``
``rbf``          ``k(x, z) = exp(−|x − z|²/(2σ²))``
``laplace``      ``k(x, z) = exp(−|x − z|/σ)``
``arccos``       the arc-cosine kernel of order 1, ``E_u[relu(u·x) relu(u·z)]`` with
                 ``u ~ N(0, I/d)``: the infinite-width kernel of ReLU random features,
                 ``√(q q')/(2π)·[√(1−ρ²) + (π − arccos ρ)ρ]``, ``q = |x|²/d``, ``ρ = cos∠(x, z)``
``relu-ntk``     the neural tangent kernel of a bias-free ReLU network with ``depth`` hidden
                 layers in the NTK parametrisation (He scaling ``c = 2``), Jacot et al. 2018,
                 Arora et al. 2019: ``Σ⁰ = x·z/d``, ``Σʰ = c·E[relu(a) relu(b)]``,
                 ``Σ̇ʰ = c·E[relu'(a) relu'(b)]`` over ``(a, b) ~ N(0, Σʰ⁻¹)``,
                 ``Θ⁰ = Σ⁰``, ``Θʰ = Θʰ⁻¹ Σ̇ʰ + Σʰ``; the kernel is ``Θ^depth``
===============  ==========================================================================

The bandwidth rule: ``σ = bandwidth · √(2d)``, where ``√(2d)`` is the root-mean-square distance
between two independent standardised inputs, so ``bandwidth = 1`` puts a typical pair at one
length scale whatever the input dimension.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_float, check_int

__all__ = ["KERNELS", "kernel_matrix"]

KERNELS = ("linear", "laplace", "rbf", "relu-ntk", "arccos")

_BLOCK = 4096  # rows per block, so that a T x T kernel never needs a second T x T temporary


def _sq_distances(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``|x_i − z_j|²`` by the Gram expansion, clipped at 0 (round-off)."""
    sq = np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", Z, Z)[None, :]
    sq -= 2.0 * (X @ Z.T)
    return np.maximum(sq, 0.0, out=sq)


def _arccos_step(dot: np.ndarray, qx: np.ndarray, qz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(2·E[relu(a)relu(b)], 2·E[relu'(a)relu'(b)])`` for ``(a, b)`` with covariance
    ``[[qx, dot], [dot, qz]]`` (Cho & Saul 2009, orders 1 and 0)."""
    norm = np.sqrt(np.outer(qx, qz))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.clip(np.where(norm > 0, dot / norm, 0.0), -1.0, 1.0)
    angle = np.arccos(rho)
    value = norm / np.pi * (np.sqrt(1.0 - rho * rho) + (np.pi - angle) * rho)
    return value, (np.pi - angle) / np.pi


def _block(kernel: str, X: np.ndarray, Z: np.ndarray, sigma: float, depth: int) -> np.ndarray:
    d = X.shape[1]
    if kernel == "linear":
        return (X @ Z.T) / d
    if kernel in ("rbf", "laplace"):
        sq = _sq_distances(X, Z)
        if kernel == "rbf":
            return np.exp(-sq / (2.0 * sigma * sigma))
        return np.exp(-np.sqrt(sq) / sigma)
    dot = (X @ Z.T) / d
    qx = np.einsum("ij,ij->i", X, X) / d
    qz = np.einsum("ij,ij->i", Z, Z) / d
    if kernel == "arccos":
        return 0.5 * _arccos_step(dot, qx, qz)[0]
    theta = dot.copy()
    for _ in range(depth):  # He scaling keeps the diagonal: Σʰ(x, x) = |x|²/d
        dot, slope = _arccos_step(dot, qx, qz)
        theta = theta * slope + dot
    return theta


def kernel_matrix(
    kernel: str,
    X: np.ndarray,
    Z: np.ndarray | None = None,
    *,
    bandwidth: float = 1.0,
    depth: int = 2,
) -> np.ndarray:
    """The matrix ``k(x_i, z_j)`` of one of :data:`KERNELS` (module docstring).

    Parameters
    ----------
    kernel : str
        One of :data:`KERNELS`.
    X, Z : arrays (n, d), (m, d)
        Standardised inputs (``Z = X`` when None).
    bandwidth : float
        ``σ / √(2d)`` for ``rbf`` and ``laplace``.
    depth : int
        Hidden layers of the network whose NTK ``relu-ntk`` is.

    Examples
    --------
    >>> X = np.eye(2) * np.sqrt(2)
    >>> kernel_matrix("linear", X).round(12).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    >>> round(float(kernel_matrix("arccos", X)[0, 1]), 6)  # ρ = 0: 1/(2π)
    0.159155
    """
    kernel = check_choice("kernel", kernel, KERNELS)
    bandwidth = check_float("bandwidth", bandwidth, 0.0, low_open=True)
    depth = check_int("depth", depth, low=1)
    Z = X if Z is None else Z
    sigma = bandwidth * np.sqrt(2.0 * X.shape[1])
    out = np.empty((X.shape[0], Z.shape[0]))
    for start in range(0, X.shape[0], _BLOCK):
        stop = start + _BLOCK
        out[start:stop] = _block(kernel, X[start:stop], Z, sigma, depth)
    return out
