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

**Uncertainty.** :func:`fit_spectrum` refits the same range on bootstrap replicates of the
samples (resampling rows with replacement; for d <= T in ``n_blocks`` blocks of rows, which makes
a replicate cost O(n_blocks d²) instead of O(T d²)). It reports the bootstrap standard error and
the normal interval ``exponent ± 1.96 se`` centred on the full-sample fit. Percentile intervals
are not used: duplicated rows lower a replicate's effective sample size, which steepens the tail
of its sample spectrum, so replicate exponents are shifted (by about one standard error at
T = 2000) while their spread is still a fair estimate of the sampling error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._validation import check_float, check_int
from ..exceptions import ConfigError
from .covariance import EXACT_LIMIT, check_data, covariance_spectrum

__all__ = ["CUTOFF_FACTOR", "PowerLawFit", "SpectrumFit", "fit_power_law", "fit_spectrum"]

CUTOFF_FACTOR = 2.0
"""A spectrum this many times away from the fitted power law has left it (the cut-off rule)."""

Z95 = 1.959963984540054
"""Standard-normal 97.5 % quantile: the interval is ``exponent ± Z95 · se``."""

_FLOOR = 1e-12  # eigenvalues below this fraction of the largest are numerical zeros
_MOMENT_BYTES = 512 * 2**20  # memory allowed for the per-block second moments


@dataclass(frozen=True)
class PowerLawFit:
    """A power-law fit ``λ_k ≈ amplitude · k^{-exponent}`` of a rank-ordered spectrum.

    Attributes
    ----------
    exponent : float
        The fitted ``1 + α``.
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
        95 % normal bootstrap interval ``exponent ± 1.96 se`` (from :func:`fit_spectrum`).
    exponent_se : float or None
        Bootstrap standard error of the exponent.
    """

    exponent: float
    amplitude: float
    fit_range: tuple[int, int]
    cutoff: int
    n_samples: int | None = None
    stable: bool = True
    exponent_ci: tuple[float, float] | None = None
    exponent_se: float | None = None

    @property
    def alpha(self) -> float:
        """The spectral exponent α = exponent − 1."""
        return self.exponent - 1.0

    @property
    def cutoff_fraction(self) -> float | None:
        """The cut-off rank divided by the number of samples T (None when T is unknown)."""
        return None if self.n_samples is None else self.cutoff / self.n_samples

    def predict(self, rank: object) -> np.ndarray:
        """The fitted power law at the given ranks."""
        return self.amplitude * np.asarray(rank, dtype=np.float64) ** (-self.exponent)

    def to_dict(self) -> dict[str, Any]:
        """The fit as plain JSON-ready values."""
        return {
            "exponent": self.exponent,
            "alpha": self.alpha,
            "exponent_ci": None if self.exponent_ci is None else list(self.exponent_ci),
            "exponent_se": self.exponent_se,
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


# --------------------------------------------------------------------------- bootstrap
def _range_exponent(eigenvalues: np.ndarray, start: int, stop: int) -> float:
    """Exponent over ranks start..stop of a replicate (stop clipped to its positive part)."""
    lam = _positive(eigenvalues)
    stop = min(stop, lam.size)
    if stop < start + 2:
        return float("nan")
    return float(_Moments(lam).fit(np.array([start]), np.array([stop]))[0][0])


def _block_replicates(
    X: np.ndarray, centre: bool, n_boot: int, n_blocks: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Spectra of ``n_boot`` replicates resampling ``n_blocks`` random blocks of rows."""
    T, d = X.shape
    blocks = np.array_split(rng.permutation(T), n_blocks)
    weights = rng.multinomial(n_blocks, np.full(n_blocks, 1.0 / n_blocks), size=n_boot)
    sums = np.empty((n_blocks, d))
    counts = np.array([b.size for b in blocks], dtype=np.float64)
    moments = np.empty((n_blocks, d, d))
    shift = X.mean(axis=0)  # shift before accumulating: avoids cancellation when centring
    for i, rows in enumerate(blocks):
        block = X[np.sort(rows)] - shift if centre else X[np.sort(rows)]
        sums[i] = block.sum(axis=0)
        moments[i] = block.T @ block
    out = []
    for w in weights.astype(np.float64):
        n = float(w @ counts)
        second = np.tensordot(w, moments, axes=1)
        if centre:
            s = w @ sums
            second = (second - np.outer(s, s) / n) / (n - 1.0)
        else:
            second /= n
        out.append(np.clip(np.linalg.eigvalsh(second)[::-1], 0.0, None))
    return out


def _row_replicates(
    X: np.ndarray, centre: bool, n_boot: int, rng: np.random.Generator, method: str,
    n_components: int | None, seed: int,
) -> list[np.ndarray]:  # fmt: skip
    """Spectra of ``n_boot`` replicates resampling single rows (Gram side or randomized)."""
    T = X.shape[0]
    out = []
    for r in range(n_boot):
        rows = np.sort(rng.integers(T, size=T))
        out.append(covariance_spectrum(X[rows], centre=centre, method=method,
                                       n_components=n_components, seed=seed + r + 1))  # fmt: skip
    return out


@dataclass(frozen=True)
class SpectrumFit:
    """The covariance spectrum of a data set and its power-law fit with bootstrap errors."""

    eigenvalues: np.ndarray = field(repr=False)
    fit: PowerLawFit
    n_samples: int
    dim: int
    centre: bool
    n_boot: int
    bootstrap_exponents: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (``exponent`` is 1 + α; eigenvalues in decreasing order)."""
        return {
            "n_samples": self.n_samples,
            "dim": self.dim,
            "centre": self.centre,
            "n_boot": self.n_boot,
            **self.fit.to_dict(),
            "eigenvalues": self.eigenvalues.tolist(),
        }


def fit_spectrum(
    X: object,
    *,
    centre: bool = True,
    fit_range: tuple[int, int] | None = None,
    n_boot: int = 50,
    n_blocks: int = 32,
    seed: int = 0,
    method: str = "auto",
    n_components: int | None = None,
    eigenvalues: np.ndarray | None = None,
    **rule: Any,
) -> SpectrumFit:
    """Covariance spectrum of ``X``, its power-law fit and a bootstrap interval of the exponent.

    Parameters
    ----------
    X : array (T, d)
        Data, one sample per row.
    centre, method, n_components
        As in :func:`~scalinglab.realdata.covariance.covariance_spectrum`.
    fit_range : (int, int), optional
        Ranks to fit; chosen by the rule of the module docstring when None.
    n_boot : int
        Bootstrap replicates (0: no interval).
    n_blocks : int
        Row blocks of the cheap bootstrap (used when ``d <= T``).
    seed : int
        Seed of the bootstrap and of a randomized SVD.
    eigenvalues : array, optional
        The spectrum of ``X`` if already computed (skips one diagonalisation).
    **rule
        ``tol``, ``points_per_decade``, ``window_decades``, ``min_decades`` of
        :func:`fit_power_law`.
    """
    X = check_data(X)
    T, d = X.shape
    n_boot = check_int("n_boot", n_boot, low=0)
    n_blocks = check_int("n_blocks", n_blocks, low=2)
    if eigenvalues is None:
        eigenvalues = covariance_spectrum(
            X, centre=centre, method=method, n_components=n_components, seed=seed
        )
    base = fit_power_law(eigenvalues, fit_range, n_samples=T, **rule)
    exponents = np.empty(0)
    if n_boot:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        blocks = min(n_blocks, T // 2)
        if d <= T and d <= EXACT_LIMIT and blocks * d * d * 8 <= _MOMENT_BYTES:
            spectra = _block_replicates(X, centre, n_boot, blocks, rng)
        else:
            k = None if n_components is None else n_components
            spectra = _row_replicates(X, centre, n_boot, rng, method, k, seed)
        exponents = np.array([_range_exponent(s, *base.fit_range) for s in spectra])
        good = exponents[np.isfinite(exponents)]
        if good.size:
            se = float(np.std(good, ddof=1)) if good.size > 1 else 0.0
            ci = (base.exponent - Z95 * se, base.exponent + Z95 * se)
            base = replace(base, exponent_ci=ci, exponent_se=se)
    return SpectrumFit(
        eigenvalues=np.asarray(eigenvalues),
        fit=base,
        n_samples=T,
        dim=d,
        centre=centre,
        n_boot=n_boot,
        bootstrap_exponents=exponents,
    )
