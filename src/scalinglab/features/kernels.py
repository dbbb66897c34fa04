"""Gaussian moments of activations: the feature kernels of nonlinear random features.

For a feature ``φ_i = σ(h_i)`` with pre-activation ``h_i = u_i·x + b_i`` and Gaussian input
``x ~ N(0, Λ)``, the pre-activations are jointly Gaussian: mean ``b``, covariance ``C = UΛUᵀ``
(docs/theory.md §11, §4). Write ``q_i = C_ii``, ``ρ_ij = C_ij/√(q_i q_j)`` and ``α_i = b_i/√q_i``.
An :class:`Activation` returns, elementwise from ``C`` and ``b``:

* the second moment ``S_ij = E[σ(h_i) σ(h_j)]`` (N x N), the matrix the exact loss needs;
* the mean ``m_i = E σ(h_i)`` (for centred spectra and the naive linearisation);
* the Stein slope ``μ1_i = E σ'(h_i)``: by Stein's lemma ``E[σ(h_i) x] = μ1_i Λ u_i``, so the
  cross moment with a linear teacher is ``diag(μ1) UΛΩXᵀ`` (docs/theory.md §4);
* the Hermite-rank excess ``μ*_i² = E σ(h_i)² − m_i² − q_i μ1_i²`` (docs/theory.md §11).

Closed forms (``s = √(1−ρ²)``; ``Φ``, ``φ`` the standard normal cdf and density; ``Φ2`` the
bivariate normal cdf, computed with Owen's T function):

==========  ===================================================================================
linear      ``S = C + b bᵀ``, ``m = b``, ``μ1 = 1``
relu        no bias: degree-1 arc-cosine kernel ``S_ij = √(q_i q_j)/(2π) [s + (π − arccos ρ) ρ]``,
            ``S_ii = q_i/2``, ``m = √(q/2π)``, ``μ1 = ½`` (docs/theory.md §11). With a bias, the
            truncated-bivariate-normal moments (Rosenbaum 1961)
            ``S_ij = b_i b_j P + b_i √q_j E[Z_2 1] + b_j √q_i E[Z_1 1] + √(q_i q_j) E[Z_1 Z_2 1]``
            with ``1 = 1{Z_1 > −α_i, Z_2 > −α_j}``, ``P = Φ2(α_i, α_j; ρ)``,
            ``E[Z_1 1] = φ(α_i) Φ((α_j − ρα_i)/s) + ρ φ(α_j) Φ((α_i − ρα_j)/s)`` and
            ``E[Z_1Z_2 1] = ρP + φ(α_i)[s φ((α_j−ρα_i)/s) − ρα_i Φ((α_j−ρα_i)/s)]
            − ρ α_j φ(α_j) Φ((α_i−ρα_j)/s)`` (both by Stein's lemma on the indicator);
            ``S_ii = (b_i² + q_i) Φ(α_i) + b_i √q_i φ(α_i)``, ``m = bΦ(α) + √q φ(α)``, ``μ1 = Φ(α)``
erf         no bias: arcsine kernel ``S_ij = (2/π) arcsin(2C_ij / √((1+2q_i)(1+2q_j)))``,
            ``μ1 = 2/√(π(1+2q))``. With a bias, ``erf(h) = 2Φ(√2 h) − 1`` and
            ``E[Φ(√2h_i)Φ(√2h_j)] = Φ2(b_i/r_i, b_j/r_j; C_ij/(r_i r_j))``, ``r_i² = ½ + q_i``
            (independent auxiliary normals, so the diagonal needs no special case);
            ``m = erf(b/√(1+2q))``, ``μ1 = 2 exp(−b²/(1+2q))/√(π(1+2q))``
quadratic   ``S_ij = (q_i + b_i²)(q_j + b_j²) + 2C_ij² + 4 b_i b_j C_ij`` (Isserlis),
            ``m = q + b²``, ``μ1 = 2b``
==========  ===================================================================================

Any other activation (``tanh``, a user callable) uses the Mehler (Hermite) expansion of the
bivariate Gaussian: with ``σ(b_i + √q_i z) = Σ_k c_ik h_k(z)`` in the orthonormal Hermite
polynomials ``h_k = He_k/√k!``,

.. math::  S_{ij} = \\sum_{k\\ge0} c_{ik} c_{jk} ρ_{ij}^k ,

the separable form of 2-D Gauss–Hermite quadrature: the coefficients ``c_ik`` come from a
1-D Gauss–Hermite rule of :data:`HERMITE_NODES` nodes per feature, and the N x N part costs
``O(N²K)``. Parseval gives ``Σ_k c_ik² = E σ(h_i)²``, so the truncation error after K terms is
bounded rigorously by ``|ρ_ij|^{K+1} √(t_i t_j)`` with the tails ``t_i = Eσ(h_i)² − Σ_{k≤K} c_ik²``.
K grows until ``max_{i≠j}|ρ_ij|^{K+1} max_i t_i/Eσ(h_i)² ≤`` :data:`HERMITE_TOL` (the diagonal is
set exactly to ``Eσ(h_i)²``); a :class:`NumericalWarning` reports
the bound when :data:`HERMITE_MAX_TERMS` terms are not enough (non-smooth callables). Also
``m_i = c_i0`` and ``μ1_i = c_i1/√q_i`` (Stein), so a callable needs no derivative.

Closed forms without a bias are written with the array-API namespace of ``C`` (NumPy or torch);
the bias and Hermite paths need SciPy special functions and run in NumPy, converting explicitly.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import array_namespace
from scipy import special

from .._arrays import as_numpy
from ..exceptions import ConfigError, NumericalWarning

ACTIVATIONS = ("linear", "relu", "erf", "tanh", "quadratic")

HERMITE_NODES = 200
"""Gauss–Hermite nodes for the Hermite coefficients of a non-closed-form activation."""
HERMITE_MAX_TERMS = 128
"""Most terms of the Mehler series (exact for polynomials of degree 2·200 − 1 − 128)."""
HERMITE_TOL = 1e-12
"""Relative Parseval tail at which the Mehler series stops."""


@dataclass
class FeatureMoments:
    """Gaussian moments of ``σ(h)`` for ``h ~ N(b, C)`` (arrays of C's namespace and device)."""

    second: Any
    """``S = E[σ(h) σ(h)ᵀ]`` (N x N)."""
    mean: Any
    """``m = E σ(h)`` (N,)."""
    slope: Any
    """``μ1 = E σ'(h)`` (N,)."""


def _like(values: np.ndarray, ref: Any) -> Any:
    """A NumPy result as an array of ``ref``'s namespace, dtype and device."""
    if isinstance(ref, np.ndarray):
        return values.astype(ref.dtype, copy=False)
    xp = array_namespace(ref)
    return xp.asarray(values, dtype=ref.dtype, device=ref.device)


def _diag(xp: Any, C: Any) -> Any:
    return xp.linalg.diagonal(C)


def _set_diagonal(xp: Any, S: Any, values: Any) -> Any:
    """``S`` (a fresh array, modified in place where the library allows) with a new diagonal."""
    if isinstance(S, np.ndarray):
        np.fill_diagonal(S, values)
        return S
    if hasattr(S, "diagonal") and hasattr(S, "copy_"):  # torch
        S.diagonal().copy_(values)
        return S
    n = values.shape[0]
    eye = xp.eye(n, dtype=S.dtype, device=getattr(S, "device", None))
    return S * (1.0 - eye) + eye * values[None, :]


def _correlation(xp: Any, C: Any) -> tuple[Any, Any]:
    """``(√q, ρ)`` with ρ clipped to [−1, 1] against rounding."""
    root = xp.sqrt(_diag(xp, C))
    rho = C / (root[:, None] * root[None, :])
    return root, xp.clip(rho, min=-1.0, max=1.0)


def bivariate_normal_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``Φ2(h, k; ρ) = P(Z_1 ≤ h, Z_2 ≤ k)`` for standard normals of correlation ``|ρ| < 1``.

    Owen (1956): ``Φ2 = ½Φ(h) + ½Φ(k) − T(h, (k−ρh)/(h s)) − T(k, (h−ρk)/(k s)) − β`` with
    ``s = √(1−ρ²)`` and ``β = ½`` when ``hk < 0`` (or ``hk = 0`` and ``h + k < 0``), else 0.
    A zero argument is replaced by a tiny one (the limit is continuous).
    """
    tiny = 1e-150
    h = np.where(h == 0.0, tiny, h)
    k = np.where(k == 0.0, tiny, k)
    s = np.sqrt(np.clip(1.0 - rho * rho, 1e-300, None))
    with np.errstate(over="ignore"):
        a_h = (k - rho * h) / (h * s)
        a_k = (h - rho * k) / (k * s)
    beta = np.where(h * k < 0.0, 0.5, 0.0)
    return (
        0.5 * special.ndtr(h)
        + 0.5 * special.ndtr(k)
        - special.owens_t(h, a_h)
        - special.owens_t(k, a_k)
        - beta
    )


def _normal_pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


class Activation:
    """An activation σ with the Gaussian moments of :mod:`this module <.kernels>`."""

    name: str = ""

    def __call__(self, h: Any) -> Any:
        """σ applied elementwise (the training features ``σ(XUᵀ + b)``)."""
        raise NotImplementedError

    def moments(self, C: Any, bias: Any | None = None) -> FeatureMoments:
        """``S``, ``m`` and ``μ1`` for pre-activations ``h ~ N(bias, C)``."""
        raise NotImplementedError

    def slope(self, q: Any, bias: Any | None = None) -> Any:
        """``μ1_i = E σ'(h_i)`` for ``h_i ~ N(b_i, q_i)`` (cheap: O(N))."""
        raise NotImplementedError

    def naive_second(self, C: Any, bias: Any | None = None) -> Any:
        """The naive (μ0, μ1, μ*) linearisation ``m mᵀ + diag(μ1) C diag(μ1) + diag(μ*²)``.

        docs/theory.md §11. ``μ*² = E σ(h)² − m² − q μ1²`` makes the diagonal exact, so the
        result is ``S`` with its off-diagonal replaced by the Hermite ranks 0 and 1 only; that is
        wrong for power-law inputs (O(1) correlations ρ). Provided to show where it fails.
        """
        xp = array_namespace(C)
        mom = self.moments(C, bias)
        naive = mom.mean[:, None] * mom.mean[None, :] + mom.slope[:, None] * C * mom.slope[None, :]
        return _set_diagonal(xp, naive, _diag(xp, mom.second))


class Linear(Activation):
    """``σ(h) = h``: ``S = C + bbᵀ``, ``μ1 = 1``."""

    name = "linear"

    def __call__(self, h: Any) -> Any:
        return h

    def moments(self, C: Any, bias: Any | None = None) -> FeatureMoments:
        xp = array_namespace(C)
        q = _diag(xp, C)
        if bias is None:
            return FeatureMoments(C, xp.zeros_like(q), xp.ones_like(q))
        return FeatureMoments(C + bias[:, None] * bias[None, :], bias, xp.ones_like(q))

    def slope(self, q: Any, bias: Any | None = None) -> Any:
        return array_namespace(q).ones_like(q)


class ReLU(Activation):
    """``σ(h) = max(h, 0)``: arc-cosine kernel (docs/theory.md §11), truncated moments with a
    bias."""

    name = "relu"

    def __call__(self, h: Any) -> Any:
        return array_namespace(h).clip(h, min=0.0)

    def slope(self, q: Any, bias: Any | None = None) -> Any:
        if bias is None:
            return 0.5 * array_namespace(q).ones_like(q)
        return _like(special.ndtr(as_numpy(bias) / np.sqrt(as_numpy(q))), q)

    def moments(self, C: Any, bias: Any | None = None) -> FeatureMoments:
        xp = array_namespace(C)
        if bias is None:
            root, rho = _correlation(xp, C)
            s = xp.sqrt(xp.clip(1.0 - rho * rho, min=0.0))
            S = (root[:, None] * root[None, :]) * (s + (math.pi - xp.acos(rho)) * rho)
            S = _set_diagonal(xp, S / (2.0 * math.pi), 0.5 * root * root)
            mean = root / math.sqrt(2.0 * math.pi)
            return FeatureMoments(S, mean, 0.5 * xp.ones_like(mean))
        Cn, b = as_numpy(C), as_numpy(bias)
        sd = np.sqrt(np.diag(Cn))
        rho = np.clip(Cn / np.outer(sd, sd), -1.0, 1.0)
        a = b / sd
        ai, aj = a[:, None], a[None, :]
        s = np.sqrt(np.clip(1.0 - rho * rho, 1e-300, None))
        P = bivariate_normal_cdf(ai, aj, rho)
        gi = special.ndtr((aj - rho * ai) / s)  # P(Z_2 > −α_j | Z_1 = −α_i)
        gj = special.ndtr((ai - rho * aj) / s)
        pi, pj = _normal_pdf(ai), _normal_pdf(aj)
        ez1 = pi * gi + rho * pj * gj
        ez2 = pj * gj + rho * pi * gi
        ez12 = (
            rho * P
            + pi * (s * _normal_pdf((aj - rho * ai) / s) - rho * ai * gi)
            - rho * aj * pj * gj
        )
        bi, bj = b[:, None], b[None, :]
        si, sj = sd[:, None], sd[None, :]
        S = bi * bj * P + bi * sj * ez2 + bj * si * ez1 + si * sj * ez12
        Phi, pdf = special.ndtr(a), _normal_pdf(a)
        np.fill_diagonal(S, (b * b + sd * sd) * Phi + b * sd * pdf)
        mean = b * Phi + sd * pdf
        return FeatureMoments(_like(S, C), _like(mean, C), _like(Phi, C))


def _erf(h: Any) -> Any:
    if hasattr(h, "detach"):
        import torch

        return torch.special.erf(h)
    return special.erf(h)


class Erf(Activation):
    """``σ(h) = erf(h)``: arcsine kernel; bivariate normal cdf with a bias."""

    name = "erf"

    def __call__(self, h: Any) -> Any:
        return _erf(h)

    def slope(self, q: Any, bias: Any | None = None) -> Any:
        xp = array_namespace(q)
        out = 2.0 / xp.sqrt(math.pi * (1.0 + 2.0 * q))
        if bias is None:
            return out
        return out * xp.exp(-(bias * bias) / (1.0 + 2.0 * q))

    def moments(self, C: Any, bias: Any | None = None) -> FeatureMoments:
        xp = array_namespace(C)
        q = _diag(xp, C)
        slope = self.slope(q, bias)
        if bias is None:
            scale = xp.sqrt(1.0 + 2.0 * q)
            arg = xp.clip(2.0 * C / (scale[:, None] * scale[None, :]), min=-1.0, max=1.0)
            return FeatureMoments((2.0 / math.pi) * xp.asin(arg), xp.zeros_like(q), slope)
        Cn, b = as_numpy(C), as_numpy(bias)
        r = np.sqrt(0.5 + np.diag(Cn))
        h = b / r
        both = bivariate_normal_cdf(h[:, None], h[None, :], Cn / np.outer(r, r))
        single = special.ndtr(h)
        S = 4.0 * both - 2.0 * single[:, None] - 2.0 * single[None, :] + 1.0
        mean = 2.0 * single - 1.0
        return FeatureMoments(_like(S, C), _like(mean, C), slope)


class Quadratic(Activation):
    """``σ(h) = h²``: Isserlis' theorem."""

    name = "quadratic"

    def __call__(self, h: Any) -> Any:
        return h * h

    def slope(self, q: Any, bias: Any | None = None) -> Any:
        xp = array_namespace(q)
        return xp.zeros_like(q) if bias is None else 2.0 * bias

    def moments(self, C: Any, bias: Any | None = None) -> FeatureMoments:
        xp = array_namespace(C)
        q = _diag(xp, C)
        mean = q if bias is None else q + bias * bias
        S = mean[:, None] * mean[None, :] + 2.0 * C * C
        if bias is not None:
            S = S + 4.0 * (bias[:, None] * bias[None, :]) * C
        return FeatureMoments(S, mean, self.slope(q, bias))


class HermiteActivation(Activation):
    """Any activation, by the Mehler series with Gauss–Hermite coefficients (module docstring).

    Parameters
    ----------
    func : callable
        Elementwise σ on NumPy float64 arrays (also called on torch tensors when they are used
        as training features; NumPy-only callables are converted explicitly).
    name : str
        The name recorded with results.
    """

    def __init__(self, func: Callable[[np.ndarray], np.ndarray], name: str) -> None:
        self.func = func
        self.name = name

    def __call__(self, h: Any) -> Any:
        if isinstance(h, np.ndarray):
            return np.asarray(self.func(h), dtype=h.dtype)
        if self.func is np.tanh:
            return array_namespace(h).tanh(h)
        return _like(np.asarray(self.func(as_numpy(h)), dtype=np.float64), h)

    def coefficients(self, q: np.ndarray, bias: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Hermite coefficients ``c_ik``, k = 0..K_max (N x (K_max+1)), and ``E σ(h_i)²``."""
        z, w = np.polynomial.hermite_e.hermegauss(HERMITE_NODES)
        w = w / math.sqrt(2.0 * math.pi)
        b = np.zeros_like(q) if bias is None else bias
        values = np.asarray(self.func(b[:, None] + np.sqrt(q)[:, None] * z[None, :]), float)
        if values.shape != (q.size, z.size) or not np.all(np.isfinite(values)):
            raise ConfigError(
                "The 'activation' parameter must be an elementwise function returning finite "
                f"floats on Gaussian inputs. Got {self.name!r} instead."
            )
        h = np.empty((HERMITE_MAX_TERMS + 1, z.size))
        h[0] = 1.0
        h[1] = z
        for k in range(1, HERMITE_MAX_TERMS):
            h[k + 1] = (z * h[k] - math.sqrt(k) * h[k - 1]) / math.sqrt(k + 1)
        coef = (values * w[None, :]) @ h.T
        return coef, (values * values) @ w

    def slope(self, q: Any, bias: Any | None = None) -> Any:
        qn = as_numpy(q)
        coef, _ = self.coefficients(qn, None if bias is None else as_numpy(bias))
        return _like(coef[:, 1] / np.sqrt(qn), q)

    def moments(self, C: Any, bias: Any | None = None) -> FeatureMoments:
        Cn = as_numpy(C)
        q = np.diag(Cn).copy()
        coef, square = self.coefficients(q, None if bias is None else as_numpy(bias))
        sd = np.sqrt(q)
        rho = np.clip(Cn / np.outer(sd, sd), -1.0, 1.0)
        off = np.abs(rho - np.diag(np.diag(rho)))
        rho_max = float(off.max()) if q.size > 1 else 0.0
        tails = square[:, None] - np.cumsum(coef * coef, axis=1)
        scale = np.maximum(square, np.finfo(float).tiny)
        # bound on |error of S_ij| / sqrt(S_ii S_jj) after K terms: rho_max^(K+1) max_i t_i/E_i
        K = np.arange(HERMITE_MAX_TERMS + 1)
        bounds = rho_max ** (K + 1) * np.max(np.clip(tails, 0.0, None) / scale[:, None], axis=0)
        ok = bounds <= HERMITE_TOL
        terms = int(np.argmax(ok)) if ok.any() else HERMITE_MAX_TERMS
        if not ok.any():
            bound = float(bounds[-1])
            warnings.warn(
                f"The Mehler series of activation {self.name!r} did not converge in "
                f"{HERMITE_MAX_TERMS} terms: relative error bound {bound:.1e} on S "
                "(a non-smooth activation; its feature kernel is approximate).",
                NumericalWarning,
                stacklevel=2,
            )
        S = np.zeros_like(Cn)
        power = np.ones_like(Cn)
        for k in range(terms + 1):
            S += np.outer(coef[:, k], coef[:, k]) * power
            power *= rho
        np.fill_diagonal(S, square)
        return FeatureMoments(_like(S, C), _like(coef[:, 0], C), _like(coef[:, 1] / sd, C))


_REGISTRY: dict[str, Callable[[], Activation]] = {
    "linear": Linear,
    "relu": ReLU,
    "erf": Erf,
    "tanh": lambda: HermiteActivation(np.tanh, "tanh"),
    "quadratic": Quadratic,
}

CLOSED_FORM = ("linear", "relu", "erf", "quadratic")


def get_activation(activation: str | Callable | Activation) -> Activation:
    """The :class:`Activation` named ``activation`` (see :data:`ACTIVATIONS`), or one wrapping a
    user callable (moments by the Mehler series)."""
    if isinstance(activation, Activation):
        return activation
    if callable(activation):
        return HermiteActivation(activation, getattr(activation, "__name__", "custom"))
    if activation not in _REGISTRY:
        raise ConfigError(
            "The 'activation' parameter must be one of "
            + ", ".join(repr(a) for a in ACTIVATIONS)
            + f" or a callable. Got {activation!r} instead."
        )
    return _REGISTRY[activation]()
