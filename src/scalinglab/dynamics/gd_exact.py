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
:func:`gd_filter` is such a filter (a
:data:`~scalinglab.simulation.ridge_loss.SpectralFilter`): both estimators of ``simulate``
(full and conditional) evaluate the loss with it in place of the ridge filter.
"""

from __future__ import annotations

import numpy as np

from .schedules import log_residual


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
