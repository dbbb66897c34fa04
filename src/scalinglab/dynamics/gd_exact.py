"""Exact GD test and training loss at many steps from one eigendecomposition (docs §1).

Full-batch GD from ``θ_0 = 0``, ``θ ← θ − (lr/T) Fᵀ(Fθ − y)``, is a spectral filter of the Gram
matrix: after ``t`` updates ``θ_t = φ_t(FᵀF) Fᵀ y`` with

.. math::  φ_t(s) = \\frac{1 - (1 - η s)^t}{s},\\qquad η = lr/T,

which replaces the ridge filter ``1/(s + γ)`` of :mod:`scalinglab.simulation.ridge_loss`. The
loss averaged analytically over the teacher and the label noise is the same quadratic form in the
filter values ``d_k = φ_t(s_k)``::

    L = ½[s_ω − 2 Σ_k d_k a_k + Σ_kl S'_kl d_l Q_lk d_k + σ² Σ_k S'_kk s_k d_k²]   (primal)

(dual form for T < N as in ``ridge_loss``), and the training residual has eigenvalue
``f_k = 1 − s_k d_k = (1 − η s_k)^t``. Null directions of F carry no component of θ (d = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..simulation.ridge_loss import gram_eigh, product_into, symmetric_product
from .schedules import log_residual


@dataclass
class FilterLosses:
    """Test and training losses for each filter row (one per step) of one draw."""

    loss: np.ndarray
    train_loss: np.ndarray
    top_eigenvalue: float  # largest eigenvalue s_max of FᵀF


def gd_filter(
    s: np.ndarray,
    keep: np.ndarray,
    lr: float,
    T: int,
    steps: np.ndarray,
    lrs: np.ndarray | None = None,
):
    """``d[r, k] = φ_{t_r}(s_k)`` and ``f[r, k] = (1 − η s_k)^{t_r}`` (0 and 1 on null s_k).

    Computed as ``−expm1(t log1p(−ηs))/s`` for ``ηs < 1`` (no cancellation at small ηs).
    With a schedule (``lrs``, the learning rate of each update) the residual is
    ``f = Π_{τ<t}(1 − lr_τ s/T)`` and still ``d = (1 − f)/s``, from the summed logs of
    :func:`.schedules.log_residual`.
    """
    if lrs is not None:
        x = np.where(keep, s, 0.0) / T
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logs = log_residual(x, lrs, steps)
            f = np.exp(logs).real
            one_minus_f = (-np.expm1(logs)).real
            d = np.where(keep, one_minus_f / np.where(keep, s, 1.0), 0.0)
        return d, np.where(keep, f, 1.0)
    eta = lr / T
    x = np.where(keep, eta * s, 0.0)
    t = np.asarray(steps, dtype=np.float64)[:, None]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = x < 1.0
        log_base = np.log1p(-np.where(small, x, 0.0))
        f_small = np.exp(t * log_base)
        one_minus_f = -np.expm1(t * log_base)
        f_big = np.power(1.0 - x, t)
        f = np.where(small, f_small, f_big)
        one_minus_f = np.where(small, one_minus_f, 1.0 - f_big)
        s_safe = np.where(keep, s, 1.0)
        d = np.where(keep, one_minus_f / s_safe, 0.0)
    f = np.where(keep, f, 1.0)
    return d, f


def filter_losses(
    F, S, B, K, signal: float, noise: float, lr: float, steps, lrs: np.ndarray | None = None
) -> FilterLosses:
    """Test and training loss of GD after each of ``steps`` updates (NumPy float64 inputs).

    ``F`` (T, N), ``S = C`` (N, N), ``B = B_ω`` (N, T), ``K = K_ω`` (T, T) and ``s_ω`` as
    accumulated by :func:`scalinglab.simulation.accumulate`; ``lrs`` the learning rate of each
    update for a schedule (None: the constant ``lr``).
    """
    T, N = F.shape
    var = float(noise) ** 2
    primal = N <= T
    gram = F.T @ F if primal else F @ F.T
    s, V = gram_eigh(np, gram)
    s_max = max(float(s[-1]), 0.0)
    cutoff = max(N, T) * np.finfo(np.float64).eps * s_max
    keep = s > cutoff
    d, f = gd_filter(s, keep, lr, T, np.asarray(steps), lrs)
    s_pos = np.where(keep, s, 0.0)
    trK = float(np.trace(K))
    if primal:
        FV = F @ V
        work = B.T @ V  # (T, N), reused as scratch below (fewer fresh allocations)
        work *= FV
        a = np.sum(work, axis=0)
        Sp = symmetric_product(np, V, product_into(S, V, work[:N]))
        Q = symmetric_product(np, FV, product_into(K, FV, work))
        noise_diag = np.diagonal(Sp) * s_pos
        q_over_s = np.where(keep, (np.diagonal(Q) + var * s_pos) / np.where(keep, s, 1.0), 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            train2T = trK + var * T - np.sum((1.0 - f * f) * q_over_s[None, :], axis=1)
        Q *= Sp
        quad_matrix = Q
    else:
        FtY = F.T @ V
        work = B @ V  # (N, T), reused as scratch below
        work *= FtY
        a = np.sum(work, axis=0)
        P = symmetric_product(np, FtY, product_into(S, FtY, work))
        Kp = symmetric_product(np, V, product_into(K, V, work[:T]))
        noise_diag = np.diagonal(P)
        with np.errstate(over="ignore", invalid="ignore"):
            train2T = np.sum((f * f) * (np.diagonal(Kp) + var)[None, :], axis=1)
        Kp *= P
        quad_matrix = Kp
    with np.errstate(over="ignore", invalid="ignore"):
        raw = signal - 2.0 * (d @ a) + np.sum((d @ quad_matrix) * d, axis=1)
        raw += var * ((d * d) @ noise_diag)
        loss = 0.5 * np.clip(raw, 0.0, None)
        train = 0.5 * np.clip(train2T, 0.0, None) / T
    loss = np.where(np.isfinite(loss), loss, np.inf)
    train = np.where(np.isfinite(train), train, np.inf)
    return FilterLosses(loss=loss, train_loss=train, top_eigenvalue=s_max)
