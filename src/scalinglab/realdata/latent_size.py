"""Estimate the latent size M and exponent α from a finite-T sample spectrum.

The population model is the MRS spectrum ``λ_J = λ_+ J^{-(1+α)}``, J = 1..M (docs/theory.md §1). A
sample covariance ``Ĉ = XᵀX/T`` of T Gaussian samples distorts it: the tail is lifted and the
spectrum stops at rank ``min(M, T)``. Its deterministic equivalent is the Marchenko–Pastur /
Silverstein fixed point (the same one as the ridge fixed point of docs/theory.md §5 with N → ∞).

**Fit (negative real axis).** For z > 0 the sample degrees of freedom concentrate:

.. math::

    \\mathrm{df}(z) = \\sum_k \\frac{s_k}{s_k + z} \\simeq d_1(κ) =
    \\sum_J \\frac{λ_J}{λ_J + κ},\\qquad κ\\,\\Big(1 - \\frac{d_1(κ)}{T}\\Big) = z,

(docs/theory.md §5 with ``γ = T z``, one physical root with ``d1 < T``). ``df`` is the counting
function of the sample eigenvalues ``s_k`` smoothed by the kernel ``s/(s+z)``, so matching it at
log-spaced z is a quantile fit of the rank-ordered spectrum that needs no density. The
parameters ``(log λ_+, α, log M)`` minimise ``Σ_z [log df_pred(z) − log df_obs(z)]²``
(``scipy.optimize.least_squares``). M is treated as continuous: ranks ``J ≤ HEAD`` are summed
exactly (the last one weighted by the fractional part of M) and the tail
``HEAD < J ≤ M`` by the midpoint-rule integral, computed with Gauss–Legendre nodes in log J.
M is identifiable only when T is large enough to see the fall-off (``T ≳ M``); otherwise the
spectrum ends at rank T whatever M is, and the fit only bounds M from below.

**Predicted sample spectrum (real axis).** :func:`predicted_sample_spectrum` solves the
Silverstein equation for the Stieltjes transform ``m`` of the T x T companion matrix,

.. math::

    z = -\\frac{1}{m} + \\frac{1}{T}\\sum_J \\frac{λ_J}{1 + λ_J m},\\qquad z = x(1 + iε),

by Newton's method continued from large x downwards, turns ``Im m / π`` into a counting
function (removing the ``T − M`` zero eigenvalues when M < T) and reads off the rank-ordered
eigenvalues as the points where the count crosses ``k − 1/2``.

**Intervals, identifiability and misfit (parametric bootstrap).** ``n_boot`` Gaussian sample
spectra of T samples are drawn from the fitted population (the draws of
:mod:`.parametric`) and refitted. The 95 % intervals are ``α̂ ± 1.96 sd(α*)`` and
``log M̂ ± 1.96 sd(log M*)``. When that interval of M spans more than a factor 2 either way
(or a tenth of the replicates reach the bound ``M_max``), M is *unidentifiable* (typically
T ≪ M: the spectrum ends at rank T before the latent power law does) and only the basic-bootstrap
one-sided 95 % lower bound ``M̂² / q₉₅(M*)`` is reported. When the observed rms log error
exceeds :data:`MISFIT_FACTOR` times the replicates' median (and 1 %), the power-law population
does not describe the spectrum (e.g. a broken power law) and the fit is flagged ``misfit``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import special
from scipy.optimize import least_squares

from .._validation import check_float, check_int, check_positive_array
from ..exceptions import ConfigError, ConvergenceError, EstimateWarning
from .parametric import Z95, gaussian_sample_spectrum
from .powerlaw import fit_power_law

__all__ = [
    "LatentSizeFit",
    "estimate_latent_size",
    "predicted_df",
    "predicted_sample_spectrum",
    "sample_df",
]

HEAD = 256
"""Ranks summed exactly in d1; the tail beyond is integrated."""

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


def _d1(kappa: np.ndarray, M: float, alpha: float, lambda_plus: float) -> np.ndarray:
    """d1(κ) of the power law with a continuous latent size M (module docstring)."""
    a = 1.0 + alpha
    kappa = np.asarray(kappa, dtype=np.float64)[..., None]
    head = min(int(np.floor(M)), HEAD)
    J = np.arange(1, head + 1, dtype=np.float64)
    lam = lambda_plus * J ** (-a)
    out = np.sum(lam / (lam + kappa), axis=-1)
    if M <= HEAD:
        frac = M - head
        if frac > 0:
            lam_next = lambda_plus * (head + 1.0) ** (-a)
            out = out + frac * (lam_next / (lam_next + kappa[..., 0]))
        return out
    lo, hi = np.log(HEAD + 0.5), np.log(M + 0.5)
    u = 0.5 * (hi - lo) * _NODES + 0.5 * (hi + lo)
    Jc = np.exp(u)
    lam_c = lambda_plus * Jc ** (-a)
    tail = np.sum(_WEIGHTS * Jc * lam_c / (lam_c + kappa), axis=-1) * 0.5 * (hi - lo)
    return out + tail


def _kappa(z: np.ndarray, T: float, M: float, alpha: float, lambda_plus: float) -> np.ndarray:
    """κ(z): the root of κ(1 − d1(κ)/T) = z on the physical branch d1 < T (bisection in log κ)."""
    lam_sum = lambda_plus * float(special.zeta(1.0 + alpha))  # ≥ Σ_J λ_J for every M
    if M > T:  # smallest κ of the branch: d1(κ0) = T
        lo, hi = np.log(lambda_plus) - 200.0, np.log(lambda_plus) + 5.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if _d1(np.array([np.exp(mid)]), M, alpha, lambda_plus)[0] > T:
                lo = mid
            else:
                hi = mid
        k0 = np.exp(hi)
    else:
        k0 = 0.0
    z = np.asarray(z, dtype=np.float64)
    lo = np.full(z.shape, np.log(max(k0, 1e-300)))
    hi = np.log(z + lam_sum / T + k0)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        k = np.exp(mid)
        h = k * (1.0 - _d1(k, M, alpha, lambda_plus) / T) - z
        lo = np.where(h < 0, mid, lo)
        hi = np.where(h < 0, hi, mid)
    return np.exp(0.5 * (lo + hi))


def predicted_df(z: object, T: int, M: float, alpha: float, lambda_plus: float = 1.0) -> np.ndarray:
    """Deterministic equivalent of ``Σ_k s_k/(s_k+z)`` for T samples of the power law."""
    z = np.asarray(z, dtype=np.float64)
    return _d1(_kappa(z, T, M, alpha, lambda_plus), M, alpha, lambda_plus)


def sample_df(eigenvalues: object, z: object) -> np.ndarray:
    """The measured ``Σ_k s_k/(s_k+z)`` of a sample spectrum at each z."""
    s = np.asarray(eigenvalues, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    return np.sum(s / (s + z[..., None]), axis=-1)


@dataclass(frozen=True)
class LatentSizeFit:
    """Estimated population power law ``λ_J = λ_+ J^{-(1+α)}``, J ≤ M, from a sample spectrum.

    ``alpha`` is the *latent* exponent: that of the population spectrum whose finite-T sample
    spectrum matches the whole observed spectrum (head, bulk and fall-off). It differs from the
    sample-spectrum exponent of :func:`~scalinglab.realdata.powerlaw.fit_power_law`, which is a
    local slope of the observed eigenvalues over a rank range (lifted and bent by finite T, and
    blind to M); the two agree only for a pure power law with T much larger than the ranks used.

    Attributes
    ----------
    M, alpha, lambda_plus : float
        The fitted latent size (continuous; None when unidentifiable, see ``M_lower_bound``),
        exponent and largest eigenvalue.
    n_samples : int
        The T behind the sample spectrum.
    rms_log_error : float
        Root-mean-square of ``log df_pred − log df_obs`` over the z grid.
    success : bool
        Whether the optimiser reported convergence.
    message : str
        The optimiser's message.
    M_ci, alpha_ci : tuple of float or None
        95 % parametric-bootstrap intervals (module docstring); None without bootstrap.
    M_lower_bound : float or None
        One-sided 95 % lower bound of M, reported instead of M when M is unidentifiable.
    quality : str
        ``good``, ``unidentified`` (M not determined by the data) or ``misfit`` (the power-law
        population does not reproduce the spectrum).
    warning : str or None
        One line naming the problem and the option to change.
    """

    M: float | None
    alpha: float
    lambda_plus: float
    n_samples: int
    rms_log_error: float
    success: bool
    message: str
    M_ci: tuple[float, float] | None = None
    alpha_ci: tuple[float, float] | None = None
    M_lower_bound: float | None = None
    quality: str = "good"
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fit as plain JSON-ready values."""
        out = dict(self.__dict__)
        for key in ("M_ci", "alpha_ci"):
            out[key] = None if out[key] is None else list(out[key])
        return out


UNIDENTIFIED_SPREAD = np.log(2.0)
"""M is unidentifiable when its bootstrap interval reaches beyond a factor 2 either way."""

MISFIT_FACTOR = 4.0
"""The model misfits when its rms log error exceeds this many times the replicates' median..."""

MISFIT_FLOOR = 0.01
"""... and exceeds 1 % (a material misfit of the smoothed counting function)."""


def _fit_latent(s: np.ndarray, T: int, dof: int, M_max: float, n_grid: int,
                x0: np.ndarray | None = None) -> Any:  # fmt: skip
    """Least-squares fit of (log λ_+, α, log M) to the sample df (module docstring)."""
    s = s[s > 1e-12 * s[0]]
    z = np.geomspace(0.1 * s[-1], s[0], n_grid)
    observed = np.log(sample_df(s, z))
    if x0 is None:
        start = fit_power_law(s, n_samples=T, min_decades=min(0.5, 0.9 * np.log10(s.size)))
        x0 = np.array([np.log(start.amplitude), max(start.exponent - 1.0, 0.05),
                       np.log(min(max(s.size, 2.5), M_max))])  # fmt: skip

    def residual(p: np.ndarray) -> np.ndarray:
        return (
            np.log(predicted_df(z, dof, float(np.exp(p[2])), p[1], float(np.exp(p[0])))) - observed
        )

    lower = np.array([x0[0] - 10.0, 0.01, np.log(2.0)])
    upper = np.array([x0[0] + 10.0, 10.0, np.log(M_max)])
    x0 = np.clip(x0, lower + 1e-9, upper - 1e-9)
    return least_squares(residual, x0, bounds=(lower, upper), x_scale=np.array([1.0, 0.3, 1.0]),
                         diff_step=1e-4)  # fmt: skip


def estimate_latent_size(
    eigenvalues: object,
    n_samples: int,
    *,
    centre: bool = True,
    dim: int | None = None,
    M_max: float | None = None,
    n_grid: int = 60,
    n_boot: int = 20,
    seed: int = 0,
    truncated: bool = False,
    progress: Any = None,
) -> LatentSizeFit:
    """Fit M, α and λ_+ of the power-law population to a sample covariance spectrum.

    Parameters
    ----------
    eigenvalues : array
        The full sample covariance spectrum (all ``min(T, d)`` eigenvalues).
    n_samples : int
        T, the number of samples behind it.
    centre : bool
        Whether the covariance was centred (then ``T − 1`` degrees of freedom are used).
    dim : int, optional
        The dimension d of the covariance: M ≤ d, and a spectrum with fewer than ``min(T, d)``
        eigenvalues is refused (a truncated spectrum pins M at its length).
    M_max : float, optional
        Upper bound of M (default d, or ``100 · max(T, len(eigenvalues))`` without ``dim``).
    n_grid : int
        Number of log-spaced z values, from a tenth of the smallest positive eigenvalue to the
        largest.
    n_boot : int
        Parametric-bootstrap replicates for the intervals, the identifiability and the misfit
        checks (0: none; otherwise at least 8).
    seed : int
        Seed of the replicates.
    truncated : bool
        The spectrum was computed only partly (randomized SVD or ``n_components``): refused.
    progress : callable, optional
        ``progress(done, total)`` after each replicate.

    Raises
    ------
    ConfigError
        For a truncated spectrum (the message names ``--method`` and ``--n-components``).
    """
    T = check_int("n_samples", n_samples, low=2)
    n_grid = check_int("n_grid", n_grid, low=4)
    n_boot = check_int("n_boot", n_boot, low=0)
    if 0 < n_boot < 8:
        n_boot = check_int("n_boot", n_boot, low=8)
    s = np.sort(np.asarray(eigenvalues, dtype=np.float64).reshape(-1))[::-1]
    if s.size < 4 or not np.all(np.isfinite(s)) or s[0] <= 0:
        raise ConfigError(
            "The 'eigenvalues' parameter must hold at least 4 finite values with a positive "
            f"largest one. Got {s.size} values instead."
        )
    full = min(T, dim) if dim is not None else s.size
    if truncated or s.size < full:
        raise ConfigError(
            f"The latent-size fit needs the whole spectrum, all {full} eigenvalues; got "
            f"{s.size} (a truncated spectrum puts M at its length). Use --method covariance "
            "or gram without --n-components, or fewer samples (--n-samples)."
        )
    dof = T - 1 if centre else T
    if M_max is None:
        M_max = float(dim) if dim is not None else 100.0 * max(T, s.size)
    M_max = check_float("M_max", M_max, 2.0)
    res = _fit_latent(s, T, dof, M_max, n_grid)
    lam_plus, alpha, M = float(np.exp(res.x[0])), float(res.x[1]), float(np.exp(res.x[2]))
    rms = float(np.sqrt(np.mean(res.fun**2)))
    fit = LatentSizeFit(M=M, alpha=alpha, lambda_plus=lam_plus, n_samples=T, rms_log_error=rms,
                        success=bool(res.success), message=str(res.message))  # fmt: skip
    if not n_boot:
        return fit
    root = np.random.SeedSequence(seed)
    reps = np.empty((n_boot, 3))
    size = max(round(M), 2)
    pop = lam_plus * np.arange(1, size + 1, dtype=np.float64) ** (-(1.0 + alpha))
    for r in range(n_boot):
        sample = gaussian_sample_spectrum(
            pop, dof, np.random.SeedSequence(root.entropy, spawn_key=(r,)), size
        )
        sample = sample[: min(T, size)]
        rep = _fit_latent(sample, T, dof, M_max, n_grid, x0=res.x.copy())
        reps[r] = rep.x[2], rep.x[1], np.sqrt(np.mean(rep.fun**2))
        if progress is not None:
            progress(r + 1, n_boot)
    sd_log_m, sd_alpha = np.std(reps[:, 0], ddof=1), np.std(reps[:, 1], ddof=1)
    at_bound = np.mean(reps[:, 0] >= np.log(M_max) - 1e-6)
    fit = replace(fit, M_ci=(float(np.exp(res.x[2] - Z95 * sd_log_m)),
                             float(np.exp(res.x[2] + Z95 * sd_log_m))),
                  alpha_ci=(alpha - Z95 * sd_alpha, alpha + Z95 * sd_alpha))  # fmt: skip
    if Z95 * sd_log_m > UNIDENTIFIED_SPREAD or at_bound > 0.1:
        # basic-bootstrap one-sided 95 % lower bound of log M
        lower = float(np.exp(2.0 * res.x[2] - np.quantile(reps[:, 0], 0.95)))
        fit = replace(fit, M=None, M_ci=None, M_lower_bound=lower, quality="unidentified",
                      warning=f"M is not identified by T = {T} samples (the spectrum ends at "
                      f"rank {min(T, s.size)} before the latent power law does): M >= "
                      f"{lower:.4g} (95 % lower bound). More samples (--n-samples) are needed "
                      "to see the fall-off.")  # fmt: skip
    elif rms > MISFIT_FACTOR * float(np.median(reps[:, 2])) and rms > MISFIT_FLOOR:
        ratio = rms / float(np.median(reps[:, 2]))
        message = (
            f"the latent power law J^-(1+alpha), J <= M, does not fit this spectrum (rms log "
            f"error {rms:.3g}, {ratio:.0f} times that of data drawn from the fit): M and alpha "
            "are not meaningful here; fit the sample exponent over chosen ranks (--fit-range)."
        )
        fit = replace(fit, quality="misfit", warning=message)
    if fit.warning is not None:
        warnings.warn(f"latent size: {fit.warning}", EstimateWarning, stacklevel=2)
    return fit


def _newton(lam: np.ndarray, T: int, z: complex, m: complex) -> tuple[complex, bool]:
    """Newton's method for the Silverstein equation; the root must be the Stieltjes branch."""
    with np.errstate(all="ignore"):
        for _ in range(60):
            q = 1.0 + lam * m
            g = -1.0 / m + np.sum(lam / q) / T - z
            dg = 1.0 / (m * m) - np.sum((lam / q) ** 2) / T
            step = g / dg
            if not np.isfinite(step):
                return m, False
            new = m - step
            while new.imag <= 0:  # stay in the upper half-plane
                step *= 0.5
                new = m - step
            m = new
            if abs(step) <= 1e-13 * abs(m):
                # real roots are valid only where x(m) increases (outside the support)
                return m, bool(m.imag > 1e-7 * abs(m) or dg.real > 0)
    return m, False


def predicted_sample_spectrum(
    population: object,
    n_samples: int,
    *,
    n_eigenvalues: int | None = None,
    points_per_decade: int = 200,
) -> np.ndarray:
    r"""Predicted rank-ordered eigenvalues of the sample covariance of T samples (Silverstein).

    The count of sample eigenvalues above x follows from the solution m of the Silverstein
    equation (module docstring) at ``z = x + i0`` without integrating a density: the
    log-determinant ``(1/T) Σ_k log(s_k − z)`` equals, up to a constant,
    ``Ψ = −log(−m) − z m + (1/T) Σ_J log(1 + λ_J m)`` (its m-derivative is the Silverstein
    equation and its z-derivative is −m), so

    .. math::

        n(x) = \frac{T}{π}\Big[-\arg(-m) - x\,\mathrm{Im}\,m
               + \frac{1}{T}\sum_J \arg(1 + λ_J m)\Big],

    an integer in every gap of the support. The k-th eigenvalue is where ``n`` crosses
    ``k − 1/2`` on a log grid of x (``points_per_decade``), scanned from above the spectrum down
    with Newton's method continued from the previous point.

    Parameters
    ----------
    population : array
        The population eigenvalues λ_J (any positive spectrum).
    n_samples : int
        T (the covariance is ``XᵀX/T``).
    n_eigenvalues : int, optional
        How many of the ``min(M, T)`` non-zero sample eigenvalues to return (default all).
    points_per_decade : int
        Density of the x grid; isolated eigenvalues are located to within one grid step.
    """
    lam = np.sort(check_positive_array("population", population))[::-1]
    T = check_int("n_samples", n_samples, low=2)
    points_per_decade = check_int("points_per_decade", points_per_decade, low=10)
    rank = min(lam.size, T)
    n_eig = rank if n_eigenvalues is None else check_int("n_eigenvalues", n_eigenvalues,
                                                         low=1, high=rank)  # fmt: skip
    hi = 2.0 * (lam[0] + lam.sum() / T)
    ratio = 10.0 ** (1.0 / points_per_decade)
    eta = 1e-9
    xs, counts = [], []
    x, m = hi, complex(-1.0 / hi, 1e-12 / hi)
    while not counts or counts[-1] < n_eig - 0.25:
        if x < 1e-8 * lam[-1]:
            raise ConvergenceError("The predicted sample spectrum did not reach its last rank.")
        z = complex(x, eta * x)
        root, ok = _newton(lam, T, z, m)
        for start in (m + 0.3j * abs(m), m + 1j * abs(m), -1.0 / z + 1j / x):
            if ok:
                break
            root, ok = _newton(lam, T, z, start)
        if not ok:
            raise ConvergenceError(f"The Silverstein equation did not converge at x = {x:.3e}.")
        m = root
        count = (T / np.pi) * (-np.angle(-m) - x * m.imag + np.sum(np.angle(1.0 + lam * m)) / T)
        xs.append(x)
        counts.append(count)
        x /= ratio
    count = np.maximum.accumulate(np.array(counts))
    targets = np.arange(1, n_eig + 1) - 0.5
    return np.exp(np.interp(targets, count, np.log(np.array(xs))))
