"""Deterministic equivalent of the linear random-feature ridge test loss (docs/theory.md §5–§6).

**Fixed point** (λ-units, ``γ' = γ/s²`` with ``s² = σ_u²/M``): Δ is the unique root on the
physical branch ``d1(Δ) < P = min(N, T)`` of

.. math::  Δ\\,(N - d_1(Δ))\\,(T - d_1(Δ)) = γ'        \\qquad\\text{(docs/theory.md §5)}

**Loss** (factor ½, noise-free test labels):

.. math::

    L = \\frac{T[(N-d_1) b_2 + e\\, b_1] + σ_ε^2 [d_2 (N-d_1) + e\\, d_1]}{2D},\\qquad
    D = (N-d_1)(T-d_1) + e (N + T - 2 d_1),

split into the signal part ("bias", first term) and the noise part ("variance").

**Ridgeless limit** (docs/theory.md §6), evaluated as its own limit with ``d1 = P`` exactly at
``Δ_P: d1(Δ_P) = P``: for N < T ``L = ½[b1 + σ²N/T]/(1 − N/T)``; for T < N
``L = ½[T b2/e + T b1/(N−T) + σ²(d2/e + T/(N−T))]``; ``L = ∞`` at ``N = T < M``; for
``N, T ≥ M`` (Δ → 0) ``L = σ² M/(2(T − M))``.

**Training loss** [DER]. Conditionally on U (Stage A of docs/theory.md §5) ridge regression on
Gaussian features obeys the standard relation ``E_train = (γ/(T κ_A))² E_test``, with the test error
including the label noise and ``κ_A (T − df1) = γ``. Since ``df1 ≍ d1`` (Stage B), this gives

.. math::  L_{\\rm train} = (1 - d_1/T)^2\\,(L + σ_ε^2/2),

with ``L_train = ‖Fθ − y‖²/(2T)`` on the noisy training labels. Ridgeless: ``d1 = P``, so the
training loss vanishes for ``T ≤ N`` (interpolation) and equals ``(1−N/T)²(L+σ²/2)`` for N < T.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_float
from ..exceptions import ConfigError
from ..model import DataModel
from .regimes import classify_regime
from .solvers import SolverInfo, bracketed_newton
from .spectral import ArraySpectrum, Functionals, PowerLawSpectrum

if TYPE_CHECKING:
    from .finite_size import FiniteSizeResult

__all__ = [
    "TheoryResult",
    "deterministic_equivalent",
    "fixed_point",
    "gaps",
    "loss_terms",
    "predict",
    "regime",
    "ridgeless_delta",
    "spectrum_of",
]

# Below this γ'/(N T Δ_P) the ridge is numerically zero for N ≠ T: the difference to the ridgeless
# limit is O(1e-12) relative, while N − d1 would lose digits to cancellation (docs/theory.md §5).
TINY_RIDGE = 1e-12

Spectrum = ArraySpectrum | PowerLawSpectrum

_PEAK = (
    "ridgeless interpolation peak N = T < M: the expected test loss diverges (docs/theory.md §6); "
    "use ridge > 0"
)
_T_EQUALS_M_NOISY = "T = M <= N at ridge 0: the label-noise variance diverges (docs/theory.md §6)"
_T_EQUALS_M_CLEAN = (
    "T = M <= N at ridge 0 without noise: exact recovery, loss 0 (docs/theory.md §12)"
)
_NOT_CONVERGED = "the fixed-point solver did not converge (see residual)"


@dataclass(frozen=True)
class TheoryResult:
    """The deterministic equivalent on a broadcast grid of (N, T, ridge, noise).

    Attributes
    ----------
    N, T, ridge, noise : arrays
        The inputs, broadcast to the common shape (noise is σ_ε, a standard deviation).
    loss : array
        Test loss L (factor ½, noise-free test labels), docs/theory.md §5; ``inf`` at the ridgeless
        interpolation peak.
    bias, variance : arrays
        Signal and label-noise parts, ``loss = bias + variance``.
    train_loss : array
        ``‖Fθ − y‖²/(2T)`` on the noisy training labels.
    delta, kappa : arrays
        Renormalised ridge in λ-units (Δ) and feature units (κ = s²Δ).
    d1 : array
        Effective dimension d1(Δ).
    converged, iterations, residual : arrays
        Solver diagnostics; ``residual`` is ``|κ(N−d1)(T−d1)/γ − 1|`` (ridge > 0) or
        ``|d1/P − 1|`` (ridge 0).
    reason : object array of str
        Empty, or why a value is infinite, degenerate or unconverged.
    regime : object array of str
        The asymptotic regime (:mod:`scalinglab.theory.regimes`).
    """

    N: np.ndarray
    T: np.ndarray
    ridge: np.ndarray
    noise: np.ndarray
    loss: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    train_loss: np.ndarray
    delta: np.ndarray
    kappa: np.ndarray
    d1: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    reason: np.ndarray
    regime: np.ndarray

    def to_frame(self):
        """One row per grid point in the results schema (``N``, ``T``, ``ridge``, ``noise``,
        ``loss``, ``bias``, ``variance``, ``train_loss`` and the solver diagnostics)."""
        from .._tables import grid_frame

        return grid_frame(self)


def spectrum_of(model: DataModel) -> Spectrum:
    """The fast power-law sums for the isotropic power law, explicit sums otherwise."""
    if model.is_power_law and model.isotropic:
        return PowerLawSpectrum(model.M, model.alpha, model.lambda_plus, model.sigma_w**2 / model.M)
    lam = np.concatenate([model.eigenvalues(s, s + (1 << 20)) for s in range(0, model.M, 1 << 20)])
    omega = np.concatenate(
        [model.teacher_variances(s, s + (1 << 20)) for s in range(0, model.M, 1 << 20)]
    )
    return ArraySpectrum(lam, omega * lam)


# --------------------------------------------------------------------------- fixed points
def ridgeless_delta(spectrum: Spectrum, P: np.ndarray) -> tuple[np.ndarray, SolverInfo]:
    """Δ_P with ``d1(Δ_P) = P`` (docs/theory.md §6); ``Δ_P = 0`` for ``P ≥ M``.

    Solved once per unique P as the root of ``log P − log d1(e^x)`` (increasing, derivative
    ``e/d1``) on ``[log λ_min − 50, log(Σλ/P) + 1]``.
    """
    P = np.asarray(P, dtype=np.float64)
    unique, inverse = np.unique(P.reshape(-1), return_inverse=True)
    solve = unique < spectrum.M
    delta = np.zeros(unique.size)
    conv = np.ones(unique.size, dtype=bool)
    iters = np.zeros(unique.size, dtype=np.int64)
    resid = np.zeros(unique.size)
    if solve.any():
        Ps = unique[solve]

        def func(x: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            f = spectrum.functionals(np.exp(x))
            return np.log(Ps[idx]) - np.log(f.d1), f.e / f.d1

        lo = np.full(Ps.size, np.log(spectrum.lambda_min) - 50.0)
        hi = np.log(spectrum.total / Ps) + 1.0
        x, info = bracketed_newton(func, lo, hi)
        delta[solve] = np.exp(x)
        conv[solve], iters[solve] = info.converged, info.iterations
        resid[solve] = np.abs(spectrum.functionals(delta[solve]).d1 / Ps - 1.0)
    shape = P.shape
    return delta[inverse].reshape(shape), SolverInfo(
        conv[inverse].reshape(shape), iters[inverse].reshape(shape), resid[inverse].reshape(shape)
    )


def fixed_point(
    spectrum: Spectrum,
    N: np.ndarray,
    T: np.ndarray,
    ridge_lambda: np.ndarray,
    delta_P: np.ndarray,
) -> tuple[np.ndarray, SolverInfo]:
    """Δ solving ``Δ(N − d1)(T − d1) = γ'`` on ``d1 < P`` for ``γ' > 0`` (docs/theory.md §5).

    In ``x = log Δ`` the function ``g = x + log(N−d1) + log(T−d1) − log γ'`` is increasing with
    ``g' = 1 + e/(N−d1) + e/(T−d1)``. Bracket: ``lo = log Δ_P`` (``log(γ'/NT) − 50`` when
    ``Δ_P = 0``), ``hi = log(γ'/(NT) + Σλ(1/N + 1/T))``. Trial points with ``d1 ≥ P`` (the
    unphysical branch) are rejected (``g = −inf``). All arrays are 1-D of equal length.
    """
    lo = np.where(delta_P > 0, np.log(np.where(delta_P > 0, delta_P, 1.0)), 0.0)
    lo = np.where(delta_P > 0, lo, np.log(ridge_lambda / (N * T)) - 50.0)
    hi = np.log(ridge_lambda / (N * T) + spectrum.total * (1.0 / N + 1.0 / T))

    def func(x: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        delta = np.exp(x)
        f = spectrum.functionals(delta)
        nd, td = gaps(spectrum, f.d1, delta, N[idx], T[idx])
        physical = (nd > 0) & (td > 0)  # d1 < min(N, T)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = x + np.log(nd) + np.log(td) - np.log(ridge_lambda[idx])
            dg = 1.0 + f.e / nd + f.e / td
        return np.where(physical, g, -np.inf), np.where(physical, dg, 1.0)

    x, info = bracketed_newton(func, lo, hi)
    delta = np.exp(x)
    nd, td = gaps(spectrum, spectrum.functionals(delta).d1, delta, N, T)
    resid = np.abs(delta * nd * td / ridge_lambda - 1.0)
    return delta, SolverInfo(info.converged, info.iterations, resid)


def gaps(
    spectrum: Spectrum, d1: np.ndarray, delta: np.ndarray, N: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``N − d1`` and ``T − d1`` at Δ (docs/theory.md §5), without cancellation for sizes ≥ M.

    As Δ → 0 with ``min(N, T) ≥ M``, d1 → M and ``size − d1`` would keep only
    ``log10((size − d1)/M)`` + 16 digits; there the gap is ``(size − M) + Σ_J Δ/(λ_J + Δ)``
    (:meth:`~scalinglab.theory.spectral.PowerLawSpectrum.complement`).
    """
    nd, td = N - d1, T - d1
    M = spectrum.M
    big = (N >= M) | (T >= M)
    if big.any():
        rest = spectrum.complement(delta[big])
        nd[big] = np.where(N[big] >= M, (N[big] - M) + rest, nd[big])
        td[big] = np.where(T[big] >= M, (T[big] - M) + rest, td[big])
    return nd, td


# --------------------------------------------------------------------------- losses
def loss_terms(
    f: Functionals,
    N: np.ndarray,
    T: np.ndarray,
    noise_var: np.ndarray,
    gap: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(bias, variance) of the general-ridge formula at functionals f (docs/theory.md §5).

    ``gap``: ``(N − d1, T − d1)`` when computed without cancellation (:func:`gaps`).
    """
    nd, td = (N - f.d1, T - f.d1) if gap is None else gap
    D = nd * td + f.e * (nd + td)
    bias = T * (nd * f.b2 + f.e * f.b1) / (2.0 * D)
    variance = noise_var * (f.d2 * nd + f.e * f.d1) / (2.0 * D)
    return bias, variance


def _ridgeless_terms(
    f: Functionals, N: np.ndarray, T: np.ndarray, noise_var: np.ndarray, M: int
) -> tuple[np.ndarray, np.ndarray]:
    """(bias, variance) of the exact ridgeless limit (docs/theory.md §6); inf at N = T < M."""
    bias = np.zeros(N.shape)
    var = np.zeros(N.shape)
    P = np.minimum(N, T)
    small = P < M
    with np.errstate(divide="ignore", invalid="ignore"):
        under = small & (N < T)
        bias = np.where(under, T * f.b1 / (2.0 * (T - N)), bias)
        var = np.where(under, noise_var * N / (2.0 * (T - N)), var)
        over = small & (T < N)
        bias = np.where(over, 0.5 * (T * f.b2 / f.e + T * f.b1 / (N - T)), bias)
        var = np.where(over, 0.5 * noise_var * (f.d2 / f.e + T / (N - T)), var)
        peak = small & (N == T)
        bias = np.where(peak, np.where(f.b1 > 0, np.inf, 0.0), bias)
        var = np.where(peak, np.where(noise_var > 0, np.inf, 0.0), var)
        big = ~small & (T > M)
        var = np.where(big, noise_var * M / (2.0 * (T - M)), var)
        edge = ~small & (T == M)
        var = np.where(edge, np.where(noise_var > 0, np.inf, 0.0), var)
    return bias, var


def _check_grid(name: str, value: object, low_open: bool) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"The '{name}' parameter must be a float array. Got {value!r} instead."
        ) from None
    kind = "(0, inf)" if low_open else "[0, inf)"
    bad = ~np.isfinite(arr) | ((arr <= 0) if low_open else (arr < 0))
    if bad.any():
        got = float(arr.reshape(-1)[int(np.flatnonzero(bad.reshape(-1))[0])])
        raise ConfigError(
            f"The '{name}' parameter must be finite floats in {kind}. Got {got!r} instead."
        )
    return arr


def _evaluate(
    spectrum: Spectrum,
    N: object,
    T: object,
    ridge: object,
    noise: object,
    feature_scale: float,
) -> TheoryResult:
    N, T = _check_grid("N", N, True), _check_grid("T", T, True)
    ridge, noise = _check_grid("ridge", ridge, False), _check_grid("noise", noise, False)
    N, T, ridge, noise = (np.array(a) for a in np.broadcast_arrays(N, T, ridge, noise))
    shape = N.shape
    n, t, r, s = (a.reshape(-1) for a in (N, T, ridge, noise))
    M = spectrum.M
    noise_var = s * s
    P = np.minimum(n, t)

    delta_P, info_P = ridgeless_delta(spectrum, P)
    delta = delta_P.copy()
    converged, iterations, residual = (
        info_P.converged.copy(),
        info_P.iterations.copy(),
        info_P.residual.copy(),
    )
    ridge_lambda = r / feature_scale
    with np.errstate(divide="ignore", invalid="ignore"):
        tiny = (ridge_lambda / (n * t * delta_P) < TINY_RIDGE) & (P < M) & (n != t)
    general = (r > 0) & ~tiny
    if general.any():
        keys = np.stack([n[general], t[general], ridge_lambda[general]], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        dP_unique = ridgeless_delta(spectrum, np.minimum(unique[:, 0], unique[:, 1]))[0]
        d_unique, info = fixed_point(spectrum, unique[:, 0], unique[:, 1], unique[:, 2], dP_unique)
        delta[general] = d_unique[inverse]
        converged[general] = info.converged[inverse]
        iterations[general] = info.iterations[inverse]
        residual[general] = info.residual[inverse]

    # functionals once per distinct Δ (Δ = 0 only occurs on the P ≥ M ridgeless branch)
    d_unique, d_inverse = np.unique(delta, return_inverse=True)
    f_unique = spectrum.functionals(np.where(d_unique > 0, d_unique, 1.0))
    f = f_unique.take(d_inverse.reshape(-1))
    limit = ~general
    d1 = np.where(limit, np.minimum(P, M), f.d1)
    f = Functionals(d1, f.d2, f.e, f.b1, f.b2)

    # At the root the gaps obey nd·td = γ'/Δ and td − nd = T − N exactly: both follow from Δ
    # without the cancellation of N − d1, T − d1 (N ≈ T, sizes near M, tiny ridges).
    with np.errstate(divide="ignore", invalid="ignore"):
        q, s_gap = ridge_lambda / delta, t - n
        small = 2.0 * q / (np.abs(s_gap) + np.sqrt(s_gap * s_gap + 4.0 * q))
        nd = np.where(general, np.where(s_gap >= 0, small, small - s_gap), n - d1)
        td = np.where(general, np.where(s_gap >= 0, small + s_gap, small), t - d1)
        bias, var = loss_terms(f, n, t, noise_var, (nd, td))  # D = 0 only on ridgeless points
    rb, rv = _ridgeless_terms(f, n, t, noise_var, M)
    bias, var = np.where(limit, rb, bias), np.where(limit, rv, var)
    loss = bias + var
    factor = np.where(general, td / t, 1.0 - d1 / t) ** 2
    with np.errstate(invalid="ignore"):
        train = np.where(factor == 0.0, 0.0, factor * (loss + 0.5 * noise_var))

    reason = np.full(n.shape, "", dtype=object)
    reason[~converged] = _NOT_CONVERGED
    ridgeless = limit & (r == 0)
    reason[ridgeless & (P < M) & (n == t)] = _PEAK
    edge = ridgeless & (P >= M) & (t == M)
    reason[edge & (noise_var > 0)] = _T_EQUALS_M_NOISY
    reason[edge & (noise_var == 0)] = _T_EQUALS_M_CLEAN
    regime = classify_regime(n, t, r, d1, M)

    def out(a: np.ndarray) -> np.ndarray:
        return a.reshape(shape)

    return TheoryResult(
        N=N,
        T=T,
        ridge=ridge,
        noise=noise,
        loss=out(loss),
        bias=out(bias),
        variance=out(var),
        train_loss=out(train),
        delta=out(delta),
        kappa=out(feature_scale * delta),
        d1=out(d1),
        converged=out(converged),
        iterations=out(iterations),
        residual=out(residual),
        reason=out(reason),
        regime=out(regime),
    )


def predict(
    model: DataModel,
    N: object,
    T: object,
    ridge: object = 0.0,
    noise: object = None,
    *,
    finite_size: bool = False,
    draws: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> TheoryResult | FiniteSizeResult:
    """Deterministic-equivalent test loss, bias/variance and training loss (docs/theory.md §5–§6).

    Parameters
    ----------
    model : DataModel
        The data model (power law or array spectrum, isotropic or per-direction teacher).
    N, T : array_like
        Numbers of random features and training samples (> 0; real values allowed).
    ridge : array_like
        Ridge γ ≥ 0 on the un-normalised Gram ``FᵀF`` (docs/theory.md §2); 0 is the exact ridgeless
        limit.
    noise : array_like, optional
        Label-noise standard deviation σ_ε (default ``model.noise``).

    finite_size : bool
        Return the finite-size theory instead (docs/finite_size.md): exact at ridge 0 up to a
        Monte Carlo average with its standard error, the DE with an error band at ridge > 0
        (:func:`scalinglab.theory.finite_size.predict_finite_size`; N, T must be integers).
    draws, seed, progress
        Monte Carlo draws (default 64), their seed and a ``progress(done, draws)`` callback,
        for ``finite_size=True`` only.

    All array arguments broadcast together (pass ``N[:, None]``, ``T[None, :]`` for a grid).

    Returns
    -------
    TheoryResult, or FiniteSizeResult with ``finite_size=True``

    Examples
    --------
    >>> from scalinglab import DataModel
    >>> res = predict(DataModel(M=2000, alpha=1.0), N=200, T=1000)
    >>> float(res.loss)  # doctest: +ELLIPSIS
    3.518045...e-06
    """
    noise = model.noise if noise is None else noise
    if finite_size:
        from .finite_size import DEFAULT_DRAWS, predict_finite_size

        draws = DEFAULT_DRAWS if draws is None else draws
        return predict_finite_size(
            model, N, T, ridge, noise, draws=draws, seed=seed, progress=progress
        )
    if draws is not None:
        raise ConfigError(
            f"The 'draws' parameter must be None without finite_size=True. Got {draws!r} instead."
        )
    return _evaluate(spectrum_of(model), N, T, ridge, noise, model.feature_scale)


def deterministic_equivalent(
    eigenvalues: object,
    target_power: object,
    N: object,
    T: object,
    ridge: object = 0.0,
    noise: object = 0.0,
    feature_scale: float = 1.0,
) -> TheoryResult:
    """The deterministic equivalent for any spectrum and target (low-level, docs/theory.md §5–§6).

    Parameters
    ----------
    eigenvalues : array (M,)
        Positive spectrum λ_J of the latent (or, for a kernel reduction, feature) covariance.
    target_power : array (M,)
        Target power per eigen-direction, ``v_J² = ω_J λ_J ≥ 0`` (isotropic teacher:
        ``σ_w² λ_J / M``).
    N, T, ridge, noise : array_like
        As in :func:`predict` (broadcast together).
    feature_scale : float
        ``s²``: the variance of each entry of U, so that the feature-unit spectrum is ``s²λ`` and
        the ridge enters as ``γ/s²``. Use 1 when ``eigenvalues`` are already in feature units.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam) & (lam > 0)):
        raise ConfigError(
            "The 'eigenvalues' parameter must be a non-empty 1-D array of positive finite floats. "
            f"Got shape {lam.shape} instead."
        )
    power = np.asarray(target_power, dtype=np.float64)
    if power.shape != lam.shape or not np.all(np.isfinite(power) & (power >= 0)):
        raise ConfigError(
            "The 'target_power' parameter must be a 1-D array of len(eigenvalues) finite floats "
            f">= 0. Got shape {power.shape} instead."
        )
    return spectrum_equivalent(ArraySpectrum(lam, power), N, T, ridge, noise, feature_scale)


def spectrum_equivalent(
    spectrum: Spectrum,
    N: object,
    T: object,
    ridge: object = 0.0,
    noise: object = 0.0,
    feature_scale: float = 1.0,
) -> TheoryResult:
    """:func:`deterministic_equivalent` for a spectrum object of :mod:`.spectral`: an
    :class:`~.spectral.ArraySpectrum` or a subclass with its own sums (e.g. eigenvalues with
    multiplicities, as the learners' binned kernel spectra), or a
    :class:`~.spectral.PowerLawSpectrum`."""
    if not isinstance(spectrum, ArraySpectrum | PowerLawSpectrum):
        raise ConfigError(
            "The 'spectrum' parameter must be an ArraySpectrum or a PowerLawSpectrum. Got "
            f"{type(spectrum).__name__} instead."
        )
    scale = check_float("feature_scale", feature_scale, 0.0, low_open=True)
    return _evaluate(spectrum, N, T, ridge, noise, scale)


def regime(model: DataModel, N: object, T: object, ridge: object = 0.0) -> np.ndarray:
    """The asymptotic regime of each point (labels in :data:`regimes.REGIMES`)."""
    return predict(model, N, T, ridge).regime
