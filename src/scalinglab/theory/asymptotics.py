"""Closed forms of the power-law model: continuum, finite-M and near-M limits (docs/theory.md
§7–§10).

These are asymptotic checks, not replacements for the exact discrete sums (docs/theory.md §7:
"always evaluate the exact discrete sums"). Unless stated otherwise the teacher is isotropic, the
labels noise-free and the loss carries the factor ½.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .solvers import bracketed_newton

__all__ = [
    "ContinuumOptimum",
    "c_alpha",
    "continuum_compute_optimal_loss",
    "continuum_d1",
    "continuum_delta",
    "continuum_loss",
    "continuum_optimum",
    "midpoint_d1",
    "midpoint_delta",
    "near_M_p_delta",
    "scaling_delta",
]


def c_alpha(alpha: float) -> float:
    """``C_α = ∫₀^∞ du/(1+u^{1+α}) = (π/(1+α))/sin(π/(1+α))`` (docs/theory.md §1, §7)."""
    a = 1.0 + alpha
    return (np.pi / a) / np.sin(np.pi / a)


def continuum_d1(delta: object, alpha: float, lambda_plus: float = 1.0, half: bool = True):
    """Continuum ``d1(Δ) ≈ C_α (λ_+/Δ)^{1/(1+α)} − ½`` (the −½ only with ``half``), docs/theory.md
    §7."""
    d = np.asarray(delta, dtype=np.float64)
    return c_alpha(alpha) * (lambda_plus / d) ** (1.0 / (1.0 + alpha)) - (0.5 if half else 0.0)


def continuum_delta(P: object, alpha: float, lambda_plus: float = 1.0, half: bool = True):
    """``Δ_P ≈ λ_+ (C_α/(P + ½))^{1+α}`` (``P`` instead of ``P+½`` without ``half``), §7."""
    P = np.asarray(P, dtype=np.float64)
    return lambda_plus * (c_alpha(alpha) / (P + (0.5 if half else 0.0))) ** (1.0 + alpha)


def continuum_loss(
    N: object,
    T: object,
    alpha: float,
    M: float,
    sigma_w: float = 1.0,
    lambda_plus: float = 1.0,
    noise: float = 0.0,
    half: bool = True,
):
    """Ridgeless continuum loss ``(σ_w²/2M) P Δ_P/(1 − P/Q)`` plus the continuum noise terms.

    Noise (docs/theory.md §7): ``σ²N/(2(T−N))`` for N < T and ``(σ²/2)[α + T/(N−T)]`` for T < N.
    Without ``half`` the signal term is ``(σ_w² λ_+ C_α^{1+α}/2M) P^{−α}/(1 − P/Q)``. Infinite at
    N = T. Valid for ``1 ≪ P ≪ M``.
    """
    N, T = np.broadcast_arrays(np.asarray(N, dtype=np.float64), np.asarray(T, dtype=np.float64))
    P, Q = np.minimum(N, T), np.maximum(N, T)
    var = noise**2
    with np.errstate(divide="ignore", invalid="ignore"):
        signal = sigma_w**2 / (2.0 * M) * P * continuum_delta(P, alpha, lambda_plus, half)
        signal = signal / (1.0 - P / Q)
        noise_part = np.where(N < T, var * N / (2.0 * (T - N)), 0.5 * var * (alpha + T / (N - T)))
    return np.where(N == T, np.inf, signal + noise_part)


def _h(z: np.ndarray, alpha: float) -> np.ndarray:
    """``h(z) = ₂F₁(1, 1/(1+α); 1 + 1/(1+α); −z) = ∫₀¹ dx/(1 + z x^{1+α})``."""
    b = 1.0 / (1.0 + alpha)
    return special.hyp2f1(1.0, b, 1.0 + b, -np.asarray(z, dtype=np.float64))


def midpoint_d1(delta: object, M: int, alpha: float, lambda_plus: float = 1.0):
    """Finite-M midpoint-rule closed form of d1 (docs/theory.md §7):

    ``d1(Δ) ≈ (M+½) h(Δ(M+½)^{1+α}/λ_+) − ½ h(Δ 2^{−(1+α)}/λ_+)``.
    """
    d = np.asarray(delta, dtype=np.float64)
    a = 1.0 + alpha
    return (M + 0.5) * _h(d * (M + 0.5) ** a / lambda_plus, alpha) - 0.5 * _h(
        d * 2.0 ** (-a) / lambda_plus, alpha
    )


def _solve_decreasing(func, target: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Root in log Δ of a decreasing ``func(Δ) = target`` (bisection, vectorised)."""
    target = np.asarray(target, dtype=np.float64)
    flat = target.reshape(-1)

    def g(x: np.ndarray, idx: np.ndarray):
        return flat[idx] - func(np.exp(x)), np.full(x.shape, np.nan)

    x, _ = bracketed_newton(g, np.full(flat.shape, lo), np.full(flat.shape, hi))
    return np.exp(x).reshape(target.shape)


def midpoint_delta(P: object, M: int, alpha: float, lambda_plus: float = 1.0):
    """Δ_P from the midpoint ₂F₁ form: ``midpoint_d1(Δ_P) = P`` (0 < P < M)."""
    lo = np.log(lambda_plus) - (1.0 + alpha) * np.log(M) - 60.0
    hi = np.log(lambda_plus) + 60.0
    return _solve_decreasing(lambda d: midpoint_d1(d, M, alpha, lambda_plus), P, lo, hi)


def scaling_delta(p: object, alpha: float):
    """δ(p) with ``h(δ) = p``: at fixed ``p = P/M``, ``Δ_P ≈ λ_+ M^{−(1+α)} δ(p)`` (§7)."""
    return _solve_decreasing(lambda d: _h(d, alpha), p, -60.0, 60.0)


def near_M_p_delta(P: object, M: int, alpha: float, lambda_plus: float = 1.0):
    """Near ``P → M⁻``: ``P Δ_P ≈ (2+α) λ_+ P (M−P)/M^{2+α}`` (docs/theory.md §7; linear
    vanishing)."""
    P = np.asarray(P, dtype=np.float64)
    return (2.0 + alpha) * lambda_plus * P * (M - P) / float(M) ** (2.0 + alpha)


@dataclass(frozen=True)
class ContinuumOptimum:
    """Continuum optimal-ridge solution (docs/theory.md §8): ``nu`` = d1 at the optimum."""

    nu: np.ndarray
    loss: np.ndarray
    ridge: np.ndarray


def continuum_optimum(
    N: object,
    T: object,
    alpha: float,
    M: float,
    sigma_w: float = 1.0,
    sigma_u: float = 1.0,
    lambda_plus: float = 1.0,
) -> ContinuumOptimum:
    """Noise-free isotropic continuum optimum (``1 ≪ N, T ≪ M``), docs/theory.md §8.

    With ``K = σ_w² λ_+ C_α^{1+α}/(2M)`` and ``c_α = 1 − 2/(α(α+1))``:
    ``ν* = 2NT/[(N+T) + √((N+T)² − 4c_α NT)]``,
    ``L* = K ν*^{−(1+α)} NT/[(N+T) − 2(α−1)ν*/α]`` and
    ``γ* = (σ_u² λ_+ C_α^{1+α}/M) ν*^{−(1+α)} (N−ν*)(T−ν*)``. For α = 1:
    ``γ* = π²σ_u²λ_+/(4M)`` and ``L* = (π²σ_w²λ_+/8M)(1/N + 1/T)``.
    """
    N, T = np.broadcast_arrays(np.asarray(N, dtype=np.float64), np.asarray(T, dtype=np.float64))
    a = 1.0 + alpha
    ca = c_alpha(alpha) ** a
    K = sigma_w**2 * lambda_plus * ca / (2.0 * M)
    c = 1.0 - 2.0 / (alpha * (alpha + 1.0))
    S = N + T
    nu = 2.0 * N * T / (S + np.sqrt(S * S - 4.0 * c * N * T))
    loss = K * nu ** (-a) * N * T / (S - 2.0 * (alpha - 1.0) * nu / alpha)
    ridge = sigma_u**2 * lambda_plus * ca / M * nu ** (-a) * (N - nu) * (T - nu)
    return ContinuumOptimum(nu, loss, ridge)


def continuum_compute_optimal_loss(
    budget: object, alpha: float, M: float, sigma_w: float = 1.0, lambda_plus: float = 1.0
):
    """Loss on the compute frontier ``N = T = √C`` in the continuum (docs/theory.md §9), ∝
    ``C^{−α/2}``.

    For α = 1 this is ``(π² σ_w² λ_+/(4M)) C^{−1/2}``.
    """
    root = np.sqrt(np.asarray(budget, dtype=np.float64))
    return continuum_optimum(root, root, alpha, M, sigma_w, 1.0, lambda_plus).loss
