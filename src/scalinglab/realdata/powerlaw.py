"""Power-law fits of rank-ordered spectra, their fitting range, cut-off and bootstrap errors.

Model (docs/theory.md §1): the rank-ordered eigenvalues follow ``λ_k ≈ A k^{-(1+α)}`` over a range
of ranks; the fitted *exponent* is ``1 + α``.

**Fit.** Weighted least squares of ``log λ_k`` on ``log k`` over ranks ``a..b`` with weights
``1/k``, i.e. equal weight per unit of ``log k`` (unweighted least squares would let the many
ranks of the last decade dominate).

**Automatic range (the documented rule).** Ranks are visited on a logarithmic grid of
``points_per_decade`` nodes. The *local slope* at node ``g`` is the fitted exponent over the
window ``[g, g·10^window_decades]``. A candidate range ``[a, b]`` (grid nodes, ``a >= 2`` so that
the top eigenvalue, usually a mean or brightness mode, is never used, and spanning at least
``min_decades``) is *stable* when every window inside it has a local exponent within
``tol`` (relative) of the exponent fitted over the whole range. The chosen range is the longest
stable one in ``log(b/a)`` (ties: the smallest deviation); it therefore stops before the head
and before the fall-off, where the local slopes drift. If no range is stable, the range with
the smallest relative deviation is used and ``stable`` is False.

**Cut-off.** The effective end of the power law is the first rank after the fitting range at
which the spectrum leaves the fitted line by more than a factor ``CUTOFF_FACTOR`` either way
(fall-off below it, or a noise floor above it); when it never does, the last positive
eigenvalue. It is reported as a rank and as a fraction of the number of samples T, since a
sample covariance of T samples has at most T non-zero eigenvalues.

**Uncertainty and verdict.** :func:`~scalinglab.realdata.spectrum_fit.fit_spectrum` corrects
the finite-T bias of this fit and gives its interval by a parametric bootstrap
(:mod:`.parametric`), and attaches a goodness-of-fit verdict (:func:`assess_fit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_float, check_int
from ..exceptions import ConfigError

__all__ = ["CUTOFF_FACTOR", "PowerLawFit", "assess_fit", "fit_power_law"]

CUTOFF_FACTOR = 2.0
"""A spectrum this many times away from the fitted power law has left it (the cut-off rule)."""

MIN_ALPHA = 0.1
"""A fitted α below this (exponent ``1 + α <= 1.1``) is not the decaying power law of the model."""

CURVATURE_Z = 4.0
"""Curvature this many bootstrap standard errors away from a power law's fails the fit..."""

CURVATURE_CHANGE = 0.2
"""... when the local exponent also changes by more than this fraction across the range."""

_FLOOR = 1e-12  # eigenvalues below this fraction of the largest are numerical zeros


@dataclass(frozen=True)
class PowerLawFit:
    """A power-law fit ``λ_k ≈ amplitude · k^{-exponent}`` of a rank-ordered spectrum.

    Attributes
    ----------
    exponent : float
        The fitted ``1 + α``: corrected for the finite-T bias when bootstrapped, else the raw
        least-squares exponent.
    amplitude : float
        ``A`` in ``λ_k ≈ A k^{-exponent}``.
    fit_range : tuple of int
        First and last rank (1-based, inclusive) used by the fit.
    cutoff : int
        Rank at which the power law ends (module docstring).
    n_samples : int or None
        Number of samples T behind the spectrum, when known.
    stable : bool
        Whether the automatic rule found a stable range (True for a user-given range).
    exponent_ci : tuple of float or None
        95 % interval (from :func:`~scalinglab.realdata.spectrum_fit.fit_spectrum`).
    exponent_se : float or None
        Standard error of the exponent.
    raw_exponent : float or None
        The least-squares exponent of the sample spectrum (``amplitude`` and ``cutoff`` belong
        to this line); None when equal to ``exponent``.
    bias : float or None
        Estimated finite-T bias of the raw exponent (``raw_exponent − exponent``).
    fit_quality : str
        ``good``, or why the spectrum is not a power law over the range: ``flat`` (α below
        :data:`MIN_ALPHA`), ``unstable`` (no stable range) or ``curved`` (:func:`assess_fit`).
    fit_warning : str or None
        One line naming the problem and the option to change (None when ``good``).
    """

    exponent: float
    amplitude: float
    fit_range: tuple[int, int]
    cutoff: int
    n_samples: int | None = None
    stable: bool = True
    exponent_ci: tuple[float, float] | None = None
    exponent_se: float | None = None
    raw_exponent: float | None = None
    bias: float | None = None
    fit_quality: str = "good"
    fit_warning: str | None = None

    @property
    def alpha(self) -> float:
        """The spectral exponent α = exponent − 1."""
        return self.exponent - 1.0

    @property
    def cutoff_fraction(self) -> float | None:
        """The cut-off rank divided by the number of samples T (None when T is unknown)."""
        return None if self.n_samples is None else self.cutoff / self.n_samples

    def predict(self, rank: object) -> np.ndarray:
        """The fitted line of the sample spectrum (raw exponent) at the given ranks."""
        slope = self.exponent if self.raw_exponent is None else self.raw_exponent
        return self.amplitude * np.asarray(rank, dtype=np.float64) ** (-slope)

    def to_dict(self) -> dict[str, Any]:
        """The fit as plain JSON-ready values."""
        return {
            "exponent": self.exponent,
            "alpha": self.alpha,
            "exponent_ci": None if self.exponent_ci is None else list(self.exponent_ci),
            "exponent_se": self.exponent_se,
            "exponent_raw": self.exponent if self.raw_exponent is None else self.raw_exponent,
            "exponent_bias": self.bias,
            "fit_quality": self.fit_quality,
            "fit_warning": self.fit_warning,
            "amplitude": self.amplitude,
            "fit_range": list(self.fit_range),
            "cutoff": self.cutoff,
            "cutoff_fraction": self.cutoff_fraction,
            "stable": self.stable,
        }


class _Moments:
    """Prefix sums for O(1) weighted least-squares slopes of log λ on log k over rank ranges."""

    def __init__(self, eigenvalues: np.ndarray) -> None:
        k = np.arange(1, eigenvalues.size + 1, dtype=np.float64)
        x, y, w = np.log(k), np.log(eigenvalues), 1.0 / k
        self.sums = [np.concatenate([[0.0], np.cumsum(v)]) for v in (w, w * x, w * y, w * x * x,
                                                                       w * x * y)]  # fmt: skip

    def fit(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exponent and log-amplitude of the fit over ranks a..b (1-based, inclusive)."""
        sw, sx, sy, sxx, sxy = (s[b] - s[a - 1] for s in self.sums)
        slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
        return -slope, (sy - slope * sx) / sw


def _positive(eigenvalues: object) -> np.ndarray:
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64).reshape(-1))[::-1]
    if lam.size == 0 or not np.all(np.isfinite(lam)) or lam[0] <= 0:
        raise ConfigError(
            "The 'eigenvalues' parameter must be a non-empty array of finite floats with a "
            "positive largest value."
        )
    return lam[: int(np.count_nonzero(lam > _FLOOR * lam[0]))]


def _auto_range(
    lam: np.ndarray, tol: float, points_per_decade: int, window_decades: float, min_decades: float
) -> tuple[int, int, bool]:
    K = lam.size
    moments = _Moments(lam)
    nodes = np.unique(np.round(10.0 ** np.arange(0, np.log10(K), 1.0 / points_per_decade)))
    nodes = np.unique(np.append(nodes, K)).astype(np.int64)
    logn = np.log10(nodes)
    # windows [nodes[j], nodes[ends[j]]] of about `window_decades`
    ends = np.searchsorted(logn, logn + window_decades - 1e-9)
    has_window = (ends < nodes.size) & (ends > np.arange(nodes.size) + 1)
    wj = np.flatnonzero(has_window)
    if wj.size == 0:
        raise ConfigError(
            f"The 'eigenvalues' parameter must hold a spectrum spanning more than "
            f"{window_decades:g} decades of rank for an automatic fit. Got {K} positive "
            "eigenvalues instead; give 'fit_range'."
        )
    local, _ = moments.fit(nodes[wj], nodes[ends[wj]])
    start, stop = np.meshgrid(np.arange(nodes.size), np.arange(nodes.size), indexing="ij")
    ok = (nodes[start] >= 2) & (logn[stop] - logn[start] >= min_decades - 1e-9)
    start, stop = start[ok], stop[ok]
    if start.size == 0:
        raise ConfigError(
            f"The 'eigenvalues' parameter must hold a spectrum spanning at least {min_decades:g} "
            f"decades of rank after rank 1. Got {K} positive eigenvalues instead."
        )
    overall, _ = moments.fit(nodes[start], nodes[stop])
    inside = (wj[None, :] >= start[:, None]) & (ends[wj][None, :] <= stop[:, None])
    dev = np.where(inside, np.abs(local[None, :] - overall[:, None]), 0.0)
    rel = dev.max(axis=1) / np.abs(overall)
    rel[~inside.any(axis=1)] = np.inf
    stable = rel <= tol
    if stable.any():
        span = np.where(stable, logn[stop] - logn[start], -np.inf)
        best = np.flatnonzero(span >= span.max() - 1e-12)
        pick = best[np.argmin(rel[best])]
    else:
        pick = int(np.argmin(rel))
    return int(nodes[start[pick]]), int(nodes[stop[pick]]), bool(stable.any())


def _cutoff(lam: np.ndarray, stop: int, exponent: float, log_amp: float) -> int:
    k = np.arange(stop + 1, lam.size + 1, dtype=np.float64)
    off = np.abs(np.log(lam[stop:]) - (log_amp - exponent * np.log(k))) > np.log(CUTOFF_FACTOR)
    return int(k[np.argmax(off)]) if off.any() else int(lam.size)


def fit_power_law(
    eigenvalues: object,
    fit_range: tuple[int, int] | None = None,
    *,
    n_samples: int | None = None,
    tol: float = 0.1,
    points_per_decade: int = 20,
    window_decades: float = 0.5,
    min_decades: float = 0.5,
) -> PowerLawFit:
    """Fit ``λ_k ≈ A k^{-(1+α)}`` to a rank-ordered spectrum (rules in the module docstring).

    Parameters
    ----------
    eigenvalues : array
        The spectrum (any order; sorted decreasingly here, numerical zeros dropped).
    fit_range : (int, int), optional
        First and last rank (1-based, inclusive); chosen automatically when None.
    n_samples : int, optional
        The number of samples T behind the spectrum, to express the cut-off relative to T.
    tol, points_per_decade, window_decades, min_decades
        Parameters of the automatic rule: relative tolerance of the local exponents, grid
        density, local-window width and minimum range width (decades of rank).
    """
    lam = _positive(eigenvalues)
    tol = check_float("tol", tol, 0.0, low_open=True)
    points_per_decade = check_int("points_per_decade", points_per_decade, low=2)
    window_decades = check_float("window_decades", window_decades, 0.0, low_open=True)
    min_decades = check_float("min_decades", min_decades, 0.0, low_open=True)
    if n_samples is not None:
        n_samples = check_int("n_samples", n_samples, low=1)
    if fit_range is None:
        start, stop, stable = _auto_range(lam, tol, points_per_decade, window_decades, min_decades)
    else:
        if len(fit_range) != 2:
            raise ConfigError(
                f"The 'fit_range' parameter must be two ranks (first, last). Got {fit_range!r} "
                "instead."
            )
        start = check_int("fit_range", fit_range[0], low=1, high=lam.size - 2)
        stop = check_int("fit_range", fit_range[1], low=start + 2, high=lam.size)
        stable = True
    exponent, log_amp = _Moments(lam).fit(np.array([start]), np.array([stop]))
    exponent, log_amp = float(exponent[0]), float(log_amp[0])
    return PowerLawFit(
        exponent=exponent,
        amplitude=float(np.exp(log_amp)),
        fit_range=(start, stop),
        cutoff=_cutoff(lam, stop, exponent, log_amp),
        n_samples=n_samples,
        stable=stable,
    )


def assess_fit(fit: PowerLawFit, curvature_z: float | None = None,
               curvature: float | None = None) -> tuple[str, str | None]:  # fmt: skip
    """Verdict on a power-law fit: ``(fit_quality, warning)``, worst problem first.

    * ``flat``: α = exponent − 1 below :data:`MIN_ALPHA` (isotropic noise gives ≈ −0.8), which
      is not the decaying spectrum ``λ_J ∝ J^{-(1+α)}``, α > 0, of the model;
    * ``unstable``: the automatic rule found no range whose local exponents agree within its
      tolerance;
    * ``curved``: the weighted quadratic coefficient ``curvature`` of ``log λ`` on ``log k``
      is more than :data:`CURVATURE_Z` bootstrap standard errors from a power law's
      (``curvature_z``) and changes the local exponent by more than :data:`CURVATURE_CHANGE`
      of itself across the range (significant and material).
    """
    a, b = fit.fit_range
    where = f"ranks {a}-{b}"
    if fit.alpha < MIN_ALPHA:
        return "flat", (
            f"the spectrum is not a decaying power law over {where}: exponent 1+alpha = "
            f"{fit.exponent:.3g} (alpha = {fit.alpha:.3g} < {MIN_ALPHA:g}), as for isotropic "
            "noise; do not quote alpha, or choose other ranks with --fit-range."
        )
    if not fit.stable:
        return "unstable", (
            f"the spectrum is not one power law: no rank range has local exponents within the "
            f"tolerance; the fit over {where} is the least bad. Choose ranks with --fit-range."
        )
    if curvature_z is not None and curvature is not None and abs(curvature_z) > CURVATURE_Z:
        change = abs(2.0 * curvature * np.log(b / a)) / abs(fit.exponent)
        if change > CURVATURE_CHANGE:
            return "curved", (
                f"the spectrum bends over {where}: curvature {curvature_z:+.1f} standard errors, "
                f"local exponent changing by {100 * change:.0f} %; not one power law there. "
                "Narrow --fit-range."
            )
    return "good", None
