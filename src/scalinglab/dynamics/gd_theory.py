"""Deterministic equivalent of full-batch GD at finite T (docs/dynamics.md §4b).

Given U, the training data are a Gaussian design ``φ ~ N(0, C)`` with ``y = φᵀθ* + r``
(§2). GD from 0 gives ``θ_t − θ* = −p_t(Σ̂)θ* + g_t(Σ̂)Fᵀr/T`` with ``Σ̂ = FᵀF/T``,
``p_t(x) = (1 − lr x)^t`` and ``q_t = 1 − p_t = x g_t``. Averaged over w (``Θ = E θ*θ*ᵀ``)::

    2L_t − L0 = tr(ΘC) − 2 tr(ΘC q_t(Σ̂)) + tr(Θ q_t(Σ̂) C q_t(Σ̂)) + (σ_r²/T) tr(C q_t(Σ̂)²/Σ̂).

Each trace is a contour integral of resolvents ``(Σ̂ + z)⁻¹`` around the spectrum of Σ̂ (the
integrands vanish at x = 0, so the null space of an N > T design needs no enclosing). The
deterministic equivalents, with Δ(z) the ridge fixed point ``Δ(N − d1)(T − d1) = zT/s²`` of
``theory`` at the complex ridge ``zT`` and ``κ = s²Δ(N − d1)``:

* ``(Σ̂ + z)⁻¹ ≃ (κ/z)(C + κ)⁻¹`` (one resolvent), so ``tr(ΘC(Σ̂+z)⁻¹) ≃ (τ_N − τ(Δ))/z`` and
  ``tr(C(Σ̂+z)⁻¹) ≃ (κ/z) d1(Δ)``;
* ``tr(Θ(Σ̂+z1)⁻¹C(Σ̂+z2)⁻¹) ≃ (κ1κ2/(z1z2)) tr(ΘR1CR2)/(1 − tr(CR1CR2)/T)``,
  ``R_i = (C + κ_i)⁻¹`` (two resolvents; at z1 = z2 the ridge bias ``κ²θᵀRCRθ/(1 − df2/T)``);

and the traces over C by partial fractions of ``tr(C+κ)⁻¹ = 1/(s²Δ)`` and
``tr(G(C+κ)⁻¹) = τ(Δ) = Σ_J v_J²λ_J/(λ_J + Δ)`` (§4).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_float, check_int
from ..exceptions import ConfigError
from ..model import DataModel
from ._checks import check_model, parse_steps
from .feature_spectrum import (
    DECADES_BELOW,
    PANELS_PER_DECADE,
    RAY_ANGLE,
    _gauss_panels,
    _real_delta,
    _sums,
    latent_quadrature,
    solve_delta,
    top_edge,
)
from .result import DynamicsResult
from .schedules import Schedule, learning_rates, log_residual


def _contour(x_low: float, R: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed contour around (0, R]: the lower path (ray and arc) and its reflection."""
    lo, hi = np.log(x_low) - DECADES_BELOW * np.log(10.0), np.log(R)
    panels = max(4, int(np.ceil(PANELS_PER_DECADE * (hi - lo) / np.log(10.0))))
    x, wx = _gauss_panels(lo, hi, panels)
    ray = np.exp(x) * np.exp(-1j * RAY_ANGLE)
    phi, wphi = _gauss_panels(-RAY_ANGLE, 0.0, 2)
    arc = R * np.exp(1j * phi)
    zeta = np.concatenate([ray, arc])
    dzeta = np.concatenate([ray * wx, 1j * arc * wphi])
    return np.concatenate([zeta, zeta.conj()]), np.concatenate([dzeta, -dzeta.conj()])


def gd_train_curve(
    model: DataModel, N: int, T: int, steps, lr: float, schedule: Schedule = "constant"
) -> DynamicsResult:
    """Deterministic-equivalent test loss of full-batch GD after each of ``steps`` updates.

    ``θ ← θ − (lr_t/T) Fᵀ(Fθ − y)`` from 0 on T samples with N features (N < M), ``lr_t`` the
    ``schedule`` over ``max(steps)`` (the filter ``p_t(x) = Π_{τ<t}(1 − lr_τ x)``). Accurate
    for large N, T away from the interpolation point N = T.
    """
    model = check_model(model)
    N, T = check_int("N", N, low=1), check_int("T", T, low=1)
    step = parse_steps(steps)
    lr = check_float("lr", lr, 0.0, low_open=True)
    constant = isinstance(schedule, str) and schedule == "constant"
    lrs = lr if constant else learning_rates(schedule, lr, int(step.max()))
    peak = lr if constant or not lrs.size else float(lrs.max())
    if N >= model.M:
        raise ConfigError(
            f"The 'N' parameter must be below M = {model.M} for the GD theory. Got {N} instead."
        )
    quad = latent_quadrature(model)
    s2 = model.feature_scale
    delta_N = _real_delta(np.array([1e-300]), N, s2, quad)[0]
    tau_N = float(_sums(np.array([delta_N + 0j]), quad)[2][0].real)
    floor = max(quad.signal - tau_N, 0.0)
    residual = floor + model.noise**2
    x_top = top_edge(N, s2, quad, T)
    limit = 2.0 * np.cos(RAY_ANGLE) / peak
    R = min(1.5 * x_top, 0.5 * (x_top + limit))
    if R <= 1.02 * x_top:
        raise ConfigError(
            f"The 'lr' parameter must be below the GD stability limit (about {2 / x_top:.4g} "
            f"at N = {N}, T = {T}) with some margin. Got {peak:g} instead."
        )
    delta_P = _real_delta(np.array([1e-300]), N, s2, quad, T)[0]
    zeta, dzeta = _contour(s2 * delta_P, R)
    z = -zeta
    delta = solve_delta(z, N, s2, quad, T)
    d1, e, tau = _sums(delta, quad)
    kappa = s2 * delta * (N - d1)
    m = 1.0 / (s2 * delta)  # tr(C + κ)⁻¹
    dkappa = s2 * (N - d1 + e)  # dκ/dΔ
    inv2 = 1.0 / (quad.lam[None, :] + delta[:, None]) ** 2
    dtau = -(inv2 @ (quad.power * quad.lam * quad.weight)) / dkappa  # dτ/dκ
    dm = -1.0 / (s2 * delta**2 * dkappa)  # dm/dκ

    # two-resolvent kernel W(z_i, z_j) with the partial fractions over C's spectrum
    ki, kj = kappa[:, None], kappa[None, :]
    ti, tj = tau[:, None], tau[None, :]
    mi, mj = m[:, None], m[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        X = tau_N / (ki * kj) + ti / (ki * (ki - kj)) + tj / (kj * (kj - ki))
        Q = (N - ki * mi - kj * mj + ki * kj * (mi - mj) / (kj - ki)) / T
    diag = np.arange(zeta.size)
    X[diag, diag] = (tau_N - tau) / kappa**2 + dtau / kappa
    Q[diag, diag] = (N - 2 * kappa * m - kappa**2 * dm) / T
    W = (ki * kj / (z[:, None] * z[None, :])) * X / (1.0 - Q)

    q = (-np.expm1(log_residual(zeta, lrs, step))).T  # q_t(ζ) = 1 − Π_{τ<t}(1 − lr_τ ζ)
    scale = 1.0 / (2j * np.pi)
    wq = dzeta[:, None] * q
    T1 = scale * (wq * (-(tau_N - tau) / z)[:, None]).sum(axis=0)
    V = scale * ((wq * q / zeta[:, None]) * (-(kappa / z) * d1)[:, None]).sum(axis=0) / T
    T2 = scale**2 * np.sum(wq * (W @ wq), axis=0)
    excess = tau_N - 2.0 * T1.real + T2.real + residual * V.real
    loss = 0.5 * (np.maximum(excess, 0.0) + floor)
    return DynamicsResult(model=model, optimizer="gd", N=np.array([N]), size=np.array([T]),
                          step=step, lr=lr, loss=loss[None, None, None, :],
                          schedule=schedule if isinstance(schedule, str) else "custom",
                          method="theory")  # fmt: skip
