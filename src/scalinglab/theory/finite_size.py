"""Finite-size theory of linear random-feature regression (docs/finite_size.md).

The deterministic equivalent (:mod:`.equivalent`) is exact only as N, T, M → ∞; at a few hundred
features or samples it is 1–4 % low near the interpolation point and as T → M. For ridge 0 and
Gaussian data and features the expected loss reduces *exactly* to a one-resource-limited term
(docs/finite_size.md, eqs. FS-1 to FS-4). Write ``x ~ N(0, Λ)``, teacher ``w ~ N(0, Ω)``,
label noise σ², ``p = min(N, M)`` and, for n vectors drawn iid from ``N(0, Λ)`` (rows of
``X_n``, Gram ``K_n = X_n X_nᵀ``), ``P_n`` the orthogonal projection onto their span.

**Under-parameterised, T ≥ p + 2** (condition on U; the target splits into its best
N-feature prediction plus an independent residual of variance ``A_N``; inverse Wishart):

.. math::  L(N, T) = L(N, ∞)\\,\\frac{T-1}{T-p-1} + \\frac{σ^2}{2}\\,\\frac{p}{T-p-1},
           \\qquad 2L(N, ∞) = E\\,A_N = s_ω - E\\,\\mathrm{tr}(ΩΛ P_N)      \\qquad (FS-1)

(``A_N = 0`` for N ≥ M: the features then span x).

**Over-parameterised, N ≥ T + 2, T ≤ M** (condition on X; the columns of F are iid Gaussian
in ℝᵀ, and the min-norm predictor is a least-squares fit over the N features):

.. math::  2L(N, T) = 2L(∞, T) + \\frac{E[\\mathrm{tr}((I-P_T)Λ)\\,(\\mathrm{tr}(ΩP_T)
           + σ^2\\,\\mathrm{tr}\\,K_T^{-1})]}{N - T - 1},                     \\qquad (FS-2)

.. math::  2L(∞, T) = E\\,\\mathrm{tr}(Ω(I-P_T)Λ(I-P_T))
           + σ^2\\,E\\,\\mathrm{tr}(Λ X_Tᵀ K_T^{-2} X_T),                      \\qquad (FS-3)

which for an isotropic teacher and no noise is ``L(N, T) = L(∞, T)(N − 1)/(N − T − 1)``.

**Interpolation band** ``|p − T| ≤ 1`` (and ``T ∈ {M − 1, M}`` with noise when N > T): the
expected loss is infinite (with noise or a misspecified target), reported as ``inf`` with the
reason.

The one-resource terms are averages over n × M Gaussian matrices alone (no training data and
features together): one Householder QR ``X_nᵀ = Q R`` per draw gives every quantity for all
n ≤ n_max at once (spans and triangular factors of leading rows are nested), at cost
``O(M n_max²)`` per draw. The mean over ``draws`` independent draws is reported with its standard
error ``loss_sem`` (eq. FS-5).

**Ridge > 0**: no exact reduction is known. The prediction is the deterministic equivalent, shown
with an error band ``loss_band``: the DE's relative finite-size error at ridge 0 at the same
(N, T), computed from FS-1/FS-2, plus three times its Monte Carlo s.e. (eq. FS-6; measured to
cover the DE's error at ridge > 0 in docs/finite_size.md); ``inf`` where the ridgeless loss
diverges.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._rng import DRAW_BLOCK, STREAM_U, block_generator, spawn_seeds
from .._validation import check_int
from ..exceptions import ConfigError, NumericalWarning, ResourceError
from ..model import DataModel
from .equivalent import TheoryResult, _check_grid
from .equivalent import predict as predict_equivalent

__all__ = [
    "DEFAULT_DRAWS",
    "FiniteSizeResult",
    "SubspaceStatistics",
    "predict_finite_size",
    "subspace_statistics",
]

DEFAULT_DRAWS = 64
_MAX_DRAW_BYTES = 4 << 30  # the draw and its Q factor (2 n_max M doubles) must fit in 4 GiB

_PEAK = (
    "ridgeless interpolation band |min(N, M) - T| <= 1: the expected test loss is infinite "
    "(inverse-Wishart moment of a square or nearly square Gram matrix); use ridge > 0"
)
_T_NEAR_M = (
    "T in {M - 1, M} < N - 1 with noise at ridge 0: the label-noise variance tr(K^-1) has an "
    "infinite mean; use ridge > 0"
)
_NO_BAND = (
    "ridge > 0: no finite ridgeless reference at this (N, T), so the DE's error band is unknown"
)


@dataclass(frozen=True)
class SubspaceStatistics:
    """Per-draw statistics of the span of n iid ``N(0, Λ)`` vectors, for n = 1 .. n_max.

    Every array has shape ``(draws, n_max)``; column n − 1 refers to the first n vectors
    (rows of ``X_n``, Gram ``K_n = X_n X_nᵀ``, projection ``P_n`` onto their span in ℝᴹ).

    Attributes
    ----------
    omega_lambda : ``tr(ΩΛ P_n)``, the teacher power captured by the span.
    lam : ``tr(Λ P_n)``.
    omega : ``tr(Ω P_n)``.
    sandwich : ``tr(Ω P_n Λ P_n)``.
    inverse : ``tr(K_n⁻¹)``.
    noise : ``tr(Λ X_nᵀ K_n⁻² X_n)``, the min-norm predictor's label-noise gain.
    """

    omega_lambda: np.ndarray
    lam: np.ndarray
    omega: np.ndarray
    sandwich: np.ndarray
    inverse: np.ndarray
    noise: np.ndarray


def _leading_sums(E: np.ndarray) -> np.ndarray:
    """``Σ_{i,j<n} E_ij`` for every n, for a symmetric E (row sums below the diagonal)."""
    return np.cumsum(2.0 * np.tril(E, -1).sum(axis=1) + np.diagonal(E))


def subspace_statistics(
    eigenvalues: np.ndarray,
    teacher: np.ndarray,
    n_max: int,
    draws: int,
    seed: int | np.random.SeedSequence = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SubspaceStatistics:
    """The statistics of :class:`SubspaceStatistics` for ``draws`` independent draws.

    Draw d uses the standard normals of stream U of simulation seed d (``_rng``), so the first
    n rows of a draw are shared by every n. With ``X_nᵀ = Λ^{1/2} Zᵀ = Q_n R_n`` (nested
    Householder QR): ``P_n = Q_n Q_nᵀ``, ``K_n = R_nᵀ R_n``, ``tr K_n⁻¹ = ‖R_n⁻¹‖_F²`` and
    ``tr(Λ X_nᵀ K_n⁻² X_n) = tr(Q_nᵀΛQ_n · R_n⁻ᵀR_n⁻¹)``, all sums over leading blocks.
    The QR works on X itself, not on the ill-conditioned Gram matrix (cond(K) reaches 10¹²).
    ``progress(done, draws)`` is called after each draw.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    omega = np.asarray(teacher, dtype=np.float64)
    M = lam.size
    if n_max > M:
        raise ConfigError(f"The 'n_max' parameter must be at most M = {M}. Got {n_max} instead.")
    if 2 * n_max * M * 8 > _MAX_DRAW_BYTES:
        raise ResourceError(
            f"The finite-size theory at M = {M} needs {2 * n_max * M * 8 / 2**30:.1f} GiB per "
            f"draw (n = {n_max}); at most {_MAX_DRAW_BYTES / 2**30:.0f} GiB is allowed."
        )
    isotropic = bool(np.all(omega == omega[0]))
    fields = {k: np.empty((draws, n_max)) for k in SubspaceStatistics.__dataclass_fields__}
    root = np.sqrt(lam)
    for d, seq in enumerate(spawn_seeds(seed, draws)):
        Xt = np.empty((M, n_max), order="F")
        for b, start in enumerate(range(0, M, DRAW_BLOCK)):
            stop = min(M, start + DRAW_BLOCK)
            block = block_generator(seq, STREAM_U, b).standard_normal((n_max, stop - start))
            Xt[start:stop] = block.T * root[start:stop, None]
        Q, R = scipy.linalg.qr(Xt, mode="economic", overwrite_a=True, check_finite=False)
        Q2 = Q * Q
        fields["omega_lambda"][d] = np.cumsum((lam * omega) @ Q2)
        fields["lam"][d] = np.cumsum(lam @ Q2)
        fields["omega"][d] = np.cumsum(omega @ Q2)
        B = Q.T @ (lam[:, None] * Q)
        if isotropic:
            fields["sandwich"][d] = omega[0] * fields["lam"][d]  # P Λ P has trace tr(ΛP)
        else:
            fields["sandwich"][d] = _leading_sums(B * (Q.T @ (omega[:, None] * Q)))
        Y = scipy.linalg.solve_triangular(R, np.eye(n_max), check_finite=False)
        fields["inverse"][d] = np.cumsum((Y * Y).sum(axis=0))  # Y upper triangular: nested
        fields["noise"][d] = _leading_sums(B * (Y.T @ Y))
        if progress:
            progress(d + 1, draws)
    return SubspaceStatistics(**fields)


@dataclass(frozen=True)
class FiniteSizeResult:
    """The finite-size theory on a broadcast grid of (N, T, ridge, noise).

    Attributes
    ----------
    N, T, ridge, noise : arrays
        The inputs, broadcast to the common shape.
    loss, loss_sem : arrays
        Expected test loss (factor ½, noise-free test labels) and the standard error of its
        Monte Carlo average (0 where the value is closed-form). Ridge > 0: the DE value.
    bias, variance : arrays
        Signal and label-noise parts, ``loss = bias + variance``.
    train_loss : array
        Expected ``‖Fθ − y‖²/(2T)``: exact at ridge 0 (``(T − p)/T · (E A_N + σ²)/2`` for
        T > p, 0 for T ≤ p), the DE's value at ridge > 0.
    loss_band : array
        Ridge > 0: the half-width of the error band around the DE value (eq. FS-6). Ridge 0: 0.
    equivalent : array
        The deterministic equivalent's loss at the same points, for comparison.
    method : object array of str
        ``under`` (FS-1), ``over`` (FS-2), ``closed`` (a closed form: N ≥ M or T = M),
        ``infinite`` or ``equivalent`` (ridge > 0, with band).
    reason : object array of str
        Empty, or why a value is infinite or its band unknown.
    draws : int
        Monte Carlo draws of the one-resource-limited term.
    """

    N: np.ndarray
    T: np.ndarray
    ridge: np.ndarray
    noise: np.ndarray
    loss: np.ndarray
    loss_sem: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    train_loss: np.ndarray
    loss_band: np.ndarray
    equivalent: np.ndarray
    method: np.ndarray
    reason: np.ndarray
    draws: int


def _integers(name: str, value: object) -> np.ndarray:
    arr = _check_grid(name, value, True)
    if np.any(arr != np.round(arr)):
        got = arr.reshape(-1)[int(np.flatnonzero(arr.reshape(-1) != np.round(arr.reshape(-1)))[0])]
        raise ConfigError(
            f"The '{name}' parameter must be integers >= 1 for the finite-size theory. "
            f"Got {got!r} instead."
        )
    return arr


def _ridgeless(
    N: np.ndarray,
    T: np.ndarray,
    noise_var: np.ndarray,
    M: int,
    signal: float,
    trace: float,
    stats: SubspaceStatistics | None,
) -> dict[str, np.ndarray]:
    """Per-draw (bias, variance, train) of FS-1/FS-2 at 1-D integer arrays N, T (ridge 0)."""
    draws = 1 if stats is None else stats.lam.shape[0]
    shape = (draws, N.size)
    bias, var, train = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    method = np.full(N.size, "closed", dtype=object)
    reason = np.full(N.size, "", dtype=object)
    p = np.minimum(N, M)
    for i, (n, t, s2, q) in enumerate(zip(N.astype(int), T.astype(int), noise_var, p.astype(int))):
        if t >= q + 2:  # FS-1
            A = np.zeros(draws) if n >= M else signal - stats.omega_lambda[:, n - 1]
            bias[:, i] = 0.5 * A * (t - 1) / (t - q - 1)
            var[:, i] = 0.5 * s2 * q / (t - q - 1)
            train[:, i] = 0.5 * (A + s2) * (t - q) / t
            method[i] = "closed" if n >= M else "under"
        elif n >= t + 2 and t <= M:  # FS-2, FS-3
            if t == M or (t == M - 1 and s2 > 0):
                var[:, i] = np.inf if s2 > 0 else 0.0  # t = M, no noise: exact recovery
                reason[i] = _T_NEAR_M if s2 > 0 else ""
                method[i] = "infinite" if s2 > 0 else "closed"
                continue
            j = t - 1
            signal_t = signal - 2.0 * stats.omega_lambda[:, j] + stats.sandwich[:, j]
            missed = trace - stats.lam[:, j]
            bias[:, i] = 0.5 * (signal_t + missed * stats.omega[:, j] / (n - t - 1))
            var[:, i] = 0.5 * s2 * (stats.noise[:, j] + missed * stats.inverse[:, j] / (n - t - 1))
            method[i] = "over"
        else:  # interpolation band: the Gram moment diverges
            misspecified = (n < M or t < M) and signal > 0  # some target power is missed
            bias[:, i] = np.inf if misspecified else 0.0
            var[:, i] = np.inf if s2 > 0 else 0.0
            if t == q + 1:  # one residual dimension: the training loss stays finite
                A = np.zeros(draws) if n >= M else signal - stats.omega_lambda[:, n - 1]
                train[:, i] = 0.5 * (A + s2) / t
            if misspecified or s2 > 0:
                method[i], reason[i] = "infinite", _PEAK
    return {"bias": bias, "variance": var, "train": train, "method": method, "reason": reason}


def _warn_heavy_tail(
    N: np.ndarray, T: np.ndarray, noise_var: np.ndarray, M: int, method: np.ndarray
) -> None:
    """Warn where the per-draw values have an infinite variance, so loss_sem is unreliable.

    The noise terms ``tr K_T⁻¹`` of FS-2/FS-3 have a finite second moment only for
    T ≤ M − 4 (a T × T Wishart with M degrees of freedom); at T ∈ {M − 3, M − 2} the mean is
    finite but the Monte Carlo average converges slowly and its s.e. understates the error.
    """
    heavy = (method == "over") & (noise_var > 0) & (T >= M - 3)
    if heavy.any():
        i = int(np.flatnonzero(heavy)[0])
        warnings.warn(
            f"finite-size theory at N = {int(N[i])}, T = {int(T[i])} (M = {M}) with noise: the "
            "per-draw noise term tr(K^-1) has an infinite variance for T > M - 4, so loss_sem "
            "understates the Monte Carlo error; raise draws (--draws) or use ridge > 0.",
            NumericalWarning,
            stacklevel=3,
        )


def predict_finite_size(
    model: DataModel,
    N: object,
    T: object,
    ridge: object = 0.0,
    noise: object = None,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> FiniteSizeResult:
    """Finite-size test loss of linear random-feature regression (docs/finite_size.md).

    Parameters
    ----------
    model : DataModel
        The data model (any spectrum and teacher prior).
    N, T : array_like of int
        Numbers of features and training samples (integers ≥ 1).
    ridge : array_like
        Ridge γ ≥ 0; 0 gives the exact reductions FS-1/FS-2, > 0 the DE with its band (FS-6).
    noise : array_like, optional
        Label-noise standard deviation (default ``model.noise``).
    draws : int
        Monte Carlo draws of the one-resource-limited term (its s.e. is ``loss_sem``).
    seed : int
        Seed of the draws (draw d uses the U of simulation seed d).
    progress : callable, optional
        Called as ``progress(done, draws)`` after each Monte Carlo draw (cost O(M n²) each,
        n the largest N or T that needs the average).

    All array arguments broadcast together.

    Examples
    --------
    >>> from scalinglab import DataModel
    >>> res = predict_finite_size(DataModel(M=200, alpha=1.0), N=50, T=150, draws=8)
    >>> str(res.method), bool(res.loss > res.equivalent)
    ('under', True)
    """
    if not isinstance(model, DataModel):
        raise ConfigError(f"The 'model' parameter must be a DataModel. Got {model!r} instead.")
    draws = check_int("draws", draws, low=2)
    seed = check_int("seed", seed, low=0)
    noise = model.noise if noise is None else noise
    N, T = _integers("N", N), _integers("T", T)
    ridge, noise = _check_grid("ridge", ridge, False), _check_grid("noise", noise, False)
    N, T, ridge, noise = (np.array(a) for a in np.broadcast_arrays(N, T, ridge, noise))
    shape = N.shape
    de: TheoryResult = predict_equivalent(model, N, T, ridge, noise)
    n, t, r, s = (a.reshape(-1) for a in (N, T, ridge, noise))
    M = model.M
    lam, omega = model.eigenvalues(), model.teacher_variances()
    signal, trace = float(lam @ omega), float(lam.sum())

    # one ridgeless evaluation per distinct (N, T, noise); ridge > 0 points use it as their band
    keys = np.stack([n, t, s * s], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    un, ut, us2 = unique.T
    p = np.minimum(un, M)
    need = np.concatenate([un[(ut >= p + 1) & (un < M)], ut[(un >= ut + 2) & (ut < M)]])
    stats = None
    if need.size:
        stats = subspace_statistics(lam, omega, int(need.max()), draws, seed, progress)
    parts = _ridgeless(un, ut, us2, M, signal, trace, stats)
    per_draw = parts["bias"] + parts["variance"]
    with np.errstate(invalid="ignore"):
        mean = per_draw.mean(axis=0)
        sem = (
            per_draw.std(axis=0, ddof=1) / np.sqrt(per_draw.shape[0])
            if per_draw.shape[0] > 1
            else np.zeros(un.size)
        )
    sem = np.where(np.isfinite(mean), sem, np.nan)
    _warn_heavy_tail(un, ut, us2, M, parts["method"])
    bias0, var0 = parts["bias"].mean(axis=0), parts["variance"].mean(axis=0)
    train0 = parts["train"].mean(axis=0)

    de_loss = de.loss.reshape(-1)
    zero = r == 0
    loss = np.where(zero, mean[inverse], de_loss)
    loss_sem = np.where(zero, sem[inverse], 0.0)
    bias = np.where(zero, bias0[inverse], de.bias.reshape(-1))
    var = np.where(zero, var0[inverse], de.variance.reshape(-1))
    train = np.where(zero, train0[inverse], de.train_loss.reshape(-1))
    method = np.where(zero, parts["method"][inverse], "equivalent").astype(object)
    reason = np.where(zero, parts["reason"][inverse], "").astype(object)

    # FS-6: the band at ridge > 0 is the DE's relative error at ridge 0, same (N, T, noise),
    # widened by three times its Monte Carlo s.e.
    de0 = predict_equivalent(model, un, ut, 0.0, np.sqrt(us2)).loss
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = (np.abs(mean - de0) + 3.0 * sem) / de0
        rel = np.where(np.isfinite(mean) & (de0 > 0), rel, np.inf)
    with np.errstate(invalid="ignore"):
        band = np.where(zero, 0.0, rel[inverse] * de_loss)
    unknown = ~zero & ~np.isfinite(band)
    reason[unknown] = _NO_BAND

    values = {
        "loss": loss,
        "loss_sem": loss_sem,
        "bias": bias,
        "variance": var,
        "train_loss": train,
        "loss_band": band,
        "equivalent": de_loss,
        "method": method,
        "reason": reason,
    }
    shaped = {key: value.reshape(shape) for key, value in values.items()}
    return FiniteSizeResult(N=N, T=T, ridge=ridge, noise=noise, draws=draws, **shaped)
