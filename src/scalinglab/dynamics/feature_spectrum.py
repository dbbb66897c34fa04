"""Deterministic equivalent of the feature covariance ``C = UΛUᵀ`` at complex arguments (docs §4).

For ``z`` off the negative real axis (feature units) let ``Δ(z)`` (λ-units, ``s² = σ_u²/M``)
solve the infinite-T limit of the ridge fixed point,

.. math::  Δ\\,(N - d_1(Δ)) = z/s^2,\\qquad d_1(Δ) = \\sum_J \\frac{λ_J}{λ_J + Δ},

continued analytically from ``z > 0``. Then (N < M)

.. math::

    \\operatorname{tr}(C+z)^{-1} ≃ \\frac{1}{s^2 Δ},\\qquad
    \\operatorname{tr} G (C+z)^{-1} ≃ τ(Δ) = \\sum_J \\frac{v_J^2 λ_J}{λ_J + Δ},

with ``G = UΛΩΛUᵀ`` and ``v_J² = ω_J λ_J``. A sum ``Σ_k w_k ψ(c_k)`` over the eigenvalues of
C, for ψ analytic (a polynomial in c: the SGD recursion), is the contour integral
``(1/π) Im ∫ ψ(ζ) G_w(ζ) dζ`` along a path below the positive real axis from 0 to a point
``R`` beyond the spectrum (the reflection above closes the contour). The path is the ray
``ζ = r e^{−iδ}`` followed by an arc ``|ζ| = R``; its Gauss–Legendre nodes become the (complex)
modes of :func:`~scalinglab.dynamics.recursion.sgd_mode_losses`. Nothing is smeared: the
identity is exact for the deterministic equivalent, and its accuracy is that of the
deterministic equivalent at distance ``r sin δ`` from the spectrum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import ConfigError
from ..model import DataModel

HEAD = 128  # latent directions summed exactly before the quadrature of the tail
PANELS_PER_DECADE = 2
ORDER = 8  # Gauss–Legendre nodes per panel
RAY_ANGLE = 0.25  # δ (radians): distance of the contour from the spectrum, relative to |ζ|
DECADES_BELOW = 4.0  # the ray starts this many decades below the bulk edge


@dataclass(frozen=True)
class LatentQuadrature:
    """Nodes ``λ_q``, weights ``w_q`` and target powers ``v_q²`` with ``Σ_J f ≈ Σ_q w_q f``."""

    lam: np.ndarray
    weight: np.ndarray
    power: np.ndarray  # v² = ω λ at each node

    @property
    def total(self) -> float:
        return float(self.weight @ self.lam)

    @property
    def signal(self) -> float:
        return float(self.weight @ self.power)


def _gauss_panels(lo: float, hi: float, panels: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [lo, hi] split into equal panels."""
    x, w = np.polynomial.legendre.leggauss(ORDER)
    edges = np.linspace(lo, hi, panels + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel()


def latent_quadrature(model: DataModel) -> LatentQuadrature:
    """The latent sums of the model: exact head, and for the isotropic power law with
    ``M > HEAD`` the midpoint-rule integral ``∫_{J0+½}^{M+½} f(λ(J)) dJ`` of the tail by
    Gauss–Legendre panels in log J (the summands vary on the scale J/(1+α) ≫ 1 there)."""
    if not (model.is_power_law and model.isotropic) or model.M <= 2 * HEAD:
        lam = model.eigenvalues()
        return LatentQuadrature(lam, np.ones_like(lam), model.teacher_variances() * lam)
    head = model.eigenvalues(0, HEAD)
    lo, hi = np.log(HEAD + 0.5), np.log(model.M + 0.5)
    panels = max(2, int(np.ceil(PANELS_PER_DECADE * (hi - lo) / np.log(10.0))))
    x, w = _gauss_panels(lo, hi, panels)
    J = np.exp(x)
    tail = model.lambda_plus * J ** (-(1.0 + model.alpha))
    lam = np.concatenate([head, tail])
    weight = np.concatenate([np.ones(HEAD), w * J])
    omega = model.sigma_w**2 / model.M
    return LatentQuadrature(lam, weight, omega * lam)


def _sums(delta: np.ndarray, quad: LatentQuadrature, tau: bool = True) -> tuple[np.ndarray, ...]:
    """d1, e = Δ Σ λ/(λ+Δ)² and (``tau=True``) τ = Σ v²λ/(λ+Δ) at each (complex) Δ."""
    inv = 1.0 / (quad.lam[None, :] + delta[:, None])
    r = quad.lam * inv
    d1 = r @ quad.weight
    r *= inv
    e = delta * (r @ quad.weight)
    if not tau:
        return d1, e
    return d1, e, inv @ (quad.power * quad.lam * quad.weight)


def _real_delta(
    r: np.ndarray, N: int, s2: float, quad: LatentQuadrature, T: float | None = None
) -> np.ndarray:
    """Δ > 0 with ``Δ(N − d1)(1 − d1/T) = r/s²`` for real r > 0 on the branch
    ``d1 < min(N, T)`` (T = None: T → ∞); bisection in log Δ, then Newton."""
    inv_T = 0.0 if T is None else 1.0 / T
    P = N if T is None else min(N, T)
    lo = np.full(r.shape, np.log(quad.lam.min()) - 60.0)
    hi = np.log((r / s2 + quad.total) / N * (1.0 + quad.total * inv_T)) + 2.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        d = np.exp(mid)
        d1 = _sums(d, quad, tau=False)[0].real
        h = np.where(d1 < P, d * (N - d1) * (1.0 - d1 * inv_T) - r / s2, -1.0)
        lo, hi = np.where(h < 0, mid, lo), np.where(h < 0, hi, mid)
    x = 0.5 * (lo + hi)
    for _ in range(8):  # Newton in log Δ: g' = 1 + e/(N − d1) + e/(T − d1)
        d1, e = (a.real for a in _sums(np.exp(x), quad, tau=False))
        ok = d1 < P
        n_gap, t_gap = np.where(ok, N - d1, 1.0), np.where(ok, 1.0 - d1 * inv_T, 1.0)
        g = x + np.log(n_gap) + np.log(t_gap) - np.log(r / s2)
        step = g / (1.0 + e / n_gap + e * inv_T / t_gap)
        x = np.where(ok, np.clip(x - step, lo, hi), x)
    return np.exp(x)


def solve_delta(
    z: np.ndarray, N: int, s2: float, quad: LatentQuadrature, T: float | None = None
) -> np.ndarray:
    """Δ(z) on the physical sheet of ``Δ(N − d1)(1 − d1/T) = z/s²`` (T = None: T → ∞): the real
    root at ``|z|``, continued along ``|z| e^{iθ}`` from θ = 0 to arg z by Newton steps
    (``h' = (N − d1)(1 − d1/T) + e(1 − d1/T + (N − d1)/T)``)."""
    z = np.asarray(z, dtype=np.complex128)
    inv_T = 0.0 if T is None else 1.0 / T
    r, angle = np.abs(z), np.angle(z)
    delta = _real_delta(r, N, s2, quad, T).astype(np.complex128)
    rotations = 10
    for k in range(1, rotations + 1):
        target = r * np.exp(1j * angle * k / rotations) / s2
        for _ in range(2 if k < rotations else 14):
            d1, e = _sums(delta, quad, tau=False)
            t_gap = 1.0 - d1 * inv_T
            h = delta * (N - d1) * t_gap - target
            delta = delta - h / ((N - d1) * t_gap + e * (t_gap + (N - d1) * inv_T))
    d1, _ = _sums(delta, quad, tau=False)
    resid = np.abs(delta * (N - d1) * (1.0 - d1 * inv_T) * s2 / z - 1.0)
    if not np.all(resid < 1e-7):
        raise ConfigError(
            "The 'N' parameter gives a feature spectrum whose deterministic equivalent did not "
            f"converge (residual {float(resid.max()):.1e}). Got N = {N} instead."
        )
    return delta


def top_edge(N: int, s2: float, quad: LatentQuadrature, T: float | None = None) -> float:
    """The largest eigenvalue of C (T = None) or of FᵀF/T in the deterministic equivalent:
    ``−max z(Δ)`` over the real branch ``Δ < −λ_1`` of ``z(Δ) = s²Δ(N − d1)(1 − d1/T)``."""
    inv_T = 0.0 if T is None else 1.0 / T
    lam1 = float(quad.lam.max())
    grid = np.geomspace(1e-8, 1e3, 240)
    for _ in range(3):  # refine the grid around the maximum
        x = -lam1 * (1.0 + grid)
        d1 = _sums(x, quad, tau=False)[0]
        z = s2 * x * (N - d1) * (1.0 - d1 * inv_T)
        i = int(np.argmax(z))
        grid = np.geomspace(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)], 40)
    return float(-z[i])


@dataclass(frozen=True)
class ContourModes:
    """Complex modes for the SGD recursion: ``Σ_k w_k ψ(c_k) = Re Σ_q m_q ψ(ζ_q)``."""

    zeta: np.ndarray
    counts: np.ndarray  # the eigenvalue-counting measure: m_q for w_k = 1
    u0: np.ndarray  # the initial per-mode loss measure: w_k = u_k(0) = q_kᵀGq_k/c_k
    floor: float  # L0 = s_ω − tr(C⁺G) = b1(Δ_N)
    c_top: float


def contour_modes(model: DataModel, N: int, R_max: float | None = None) -> ContourModes:
    """Contour nodes and measures of the feature spectrum of ``N < M`` features (docs §4).

    ``R_max`` bounds the arc radius (the region where the SGD map ``a(ζ)`` is contracting).
    """
    if N >= model.M:
        raise ConfigError(
            f"The 'N' parameter must be below M = {model.M} for the SGD theory. Got {N} instead."
        )
    quad = latent_quadrature(model)
    s2 = model.feature_scale
    c_top = top_edge(N, s2, quad)
    R = 1.5 * c_top if R_max is None else min(1.5 * c_top, R_max)
    if R <= 1.02 * c_top:
        raise ConfigError(
            "The 'lr' parameter must leave the SGD map contracting beyond the top of the "
            f"feature spectrum (c_max = {c_top:.4g}). Got a learning rate too close to the "
            "stability limit instead."
        )
    delta_N = _real_delta(np.array([1e-300]), N, s2, quad)[0]
    # lowest bulk scale: z(Δ) ≈ s² Δ_N (N − d1) is tiny; start the ray well below s² Δ_N
    c_low = s2 * delta_N * max(1.0, N - float(_sums(np.array([2 * delta_N + 0j]), quad)[0][0].real))
    lo, hi = np.log(c_low) - DECADES_BELOW * np.log(10.0), np.log(R)
    panels = max(4, int(np.ceil(PANELS_PER_DECADE * (hi - lo) / np.log(10.0))))
    x, wx = _gauss_panels(lo, hi, panels)
    rot = np.exp(-1j * RAY_ANGLE)
    ray = np.exp(x) * rot
    phi, wphi = _gauss_panels(-RAY_ANGLE, 0.0, 2)
    arc = R * np.exp(1j * phi)
    zeta = np.concatenate([ray, arc])
    dzeta = np.concatenate([ray * wx, 1j * arc * wphi])
    delta = solve_delta(-zeta, N, s2, quad)
    tau = _sums(delta, quad)[2]
    tau_N = _sums(np.array([delta_N + 0j]), quad)[2][0]
    G_count = -1.0 / (s2 * delta)  # Σ_k 1/(ζ − c_k)
    G_u0 = (tau_N - tau) / zeta  # Σ_k (g_k/c_k)/(ζ − c_k)
    scale = -1j / np.pi  # (1/π) Im(x) = Re(−i x/π)
    floor = max(quad.signal - float(tau_N.real), 0.0)
    return ContourModes(zeta=zeta, counts=scale * dzeta * G_count, u0=scale * dzeta * G_u0,
                        floor=floor, c_top=c_top)  # fmt: skip
