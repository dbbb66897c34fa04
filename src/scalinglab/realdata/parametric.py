"""Parametric bootstrap of a power-law fit: finite-T bias correction, interval and fit test.

A sample spectrum of T samples is a biased picture of the population spectrum: the tail is
lifted (docs/theory.md §1, Marchenko–Pastur), the last ranks spread, and the least-squares exponent
over
a rank range inherits a bias that does not shrink with the number of fitted ranks. The bias is
of the order of the sampling error or larger (e.g. true exponent 2.5, T = 2000, d = 784: bias
≈ 2 standard errors), so an interval centred on the raw fit does not cover.

**Method (documented in docs/realdata.md §Intervals).** Given a fit of exponent ``ê`` over ranks
``a..b`` of a spectrum of dimension D computed from T samples:

1. *Population model* ``λ(e)``: the sample eigenvalues above rank ``a`` (the head, which the fit
   does not describe), the power law ``A(e) k^{-e}`` from rank ``a`` on, pivoting about the
   range's weighted mean of ``log k`` so that it passes through the fitted line there, and, when
   the sample spectrum falls below the fitted line (a genuine fall-off, before half of the
   rank ``min(T, D)``), the sample eigenvalues after that cut-off; otherwise the power law runs
   to rank D.
2. *Replicates*: ``n_boot`` Gaussian sample covariances of T samples from ``λ(e)`` (covariance
   spectra depend only on the population eigenvalues), fitted over the same ranks ``a..b``.
   With ``n = T − 1`` degrees of freedom (centred; ``T`` uncentred) the sample covariance is
   ``D^{1/2} W D^{1/2}/n`` with ``W`` Wishart(I, n); for ``n ≥ D`` ``W = L Lᵀ`` by Bartlett's
   decomposition (``L`` lower triangular, ``L_ii² ~ χ²_{n−i+1}``, ``L_ij ~ N(0, 1)``), an
   O(D³) draw independent of T; for ``n < D`` the n x n companion ``G D Gᵀ/n``.
3. *Bias correction* (indirect inference): the bias ``β(e) = E[ê* | e] − e`` is estimated at
   ``e₀ = ê`` from the replicates, ``e₁ = ê − β(e₀)``; a second step re-estimates
   ``β(e₁)`` with common random numbers on the first quarter of the replicates (the difference
   ``β(e₁) − β(e₀)`` is then nearly free of Monte-Carlo noise) and ``ẽ = ê − β(e₁)``.
4. *Interval*: ``ẽ ± 1.96 · se`` with ``se`` the standard deviation of the replicate exponents
   at ``e₀`` (the sampling error of the raw fit; the bias correction shifts without widening it
   to first order), inflated by the Monte-Carlo error of the estimated bias,
   ``se² (1 + 1/n_boot)``.
5. *Goodness of fit*: the weighted quadratic coefficient ``c`` of ``log λ`` against ``log k`` over
   ``a..b`` is compared with its distribution over the replicates, which are exact power laws
   up to finite-T effects: ``z = (c − mean c*)/sd c*``.

For D > :data:`FULL_LIMIT` and ``n ≥ K`` the replicates keep the leading
``K = min(D, max(FULL_LIMIT, 1.15 b))`` coordinates (the exact Wishart marginal of that block)
and add the tail's first-order lift ``(1/n) Σ_{j>K} λ_j λ_k/(λ_k − λ_j)`` to each eigenvalue
(second-order perturbation theory), which keeps a replicate O(K³). Checked against the full
simulation for D = 2000, n = 60000, exponent 1.2, ranks 9–891 (the Fashion-MNIST ReLU case):
replicate mean within 0.0002 and spread within 10 % (12 replicates each); and for n < D
(D = 2000, n = 1796, exponent 1.6, ranks 5–400: the digits ReLU case): mean within 0.0015
(0.6 replicate sd), spread 0.0021 against 0.0026.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._rng import child, root_sequence

__all__ = [
    "FULL_LIMIT",
    "BootstrapResult",
    "gaussian_sample_spectrum",
    "parametric_bootstrap",
    "range_fit",
]

FULL_LIMIT = 1024
"""Largest dimension simulated in full; above it the tail enters as a first-order lift."""

Z95 = 1.959963984540054
"""Standard-normal 97.5 % quantile."""

_FALLOFF_FRACTION = 0.5  # a fall-off below the line must come before this fraction of min(T, D)


def range_fit(lam: np.ndarray, start: int, stop: int) -> tuple[float, float, float]:
    """Exponent, log-amplitude and curvature of ``log λ`` on ``log k`` over ranks start..stop.

    Weighted least squares with weights ``1/k`` (equal weight per unit of ``log k``, as in
    :func:`~scalinglab.realdata.powerlaw.fit_power_law`). The curvature is the coefficient of
    ``(log k − x̄)²`` of the weighted quadratic fit (``x̄`` the weighted mean of ``log k``).
    Ranks beyond the positive part of ``lam`` give NaN.
    """
    k = np.arange(start, stop + 1, dtype=np.float64)
    seg = lam[start - 1 : stop]
    if seg.size < stop - start + 1 or np.any(seg <= 0):
        return float("nan"), float("nan"), float("nan")
    x, y, w = np.log(k), np.log(seg), 1.0 / k
    xbar = np.sum(w * x) / np.sum(w)
    u = x - xbar
    ybar = np.sum(w * y) / np.sum(w)
    slope = np.sum(w * u * (y - ybar)) / np.sum(w * u * u)
    # quadratic term: regress the linear fit's residual on the part of u² orthogonal to (1, u)
    q = u * u
    q = q - np.sum(w * q) / np.sum(w)
    q = q - u * np.sum(w * u * q) / np.sum(w * u * u)
    resid = y - ybar - slope * u
    curvature = np.sum(w * q * resid) / np.sum(w * q * q)
    return float(-slope), float(ybar - slope * xbar), float(curvature)


def _pivot(start: int, stop: int) -> float:
    k = np.arange(start, stop + 1, dtype=np.float64)
    return float(np.sum(np.log(k) / k) / np.sum(1.0 / k))


def _population(
    lam: np.ndarray, start: int, stop: int, exponent: float, log_amp: float, cutoff: int,
    dim: int, T: int,
) -> callable:  # fmt: skip
    """``e -> λ(e)``: the population model of the module docstring (step 1)."""
    D = dim
    padded = np.zeros(D)
    padded[: min(lam.size, D)] = lam[:D]
    x0 = _pivot(start, stop)
    k = np.arange(1, D + 1, dtype=np.float64)
    line_at_cut = np.exp(log_amp - exponent * np.log(cutoff)) if cutoff <= lam.size else np.inf
    falls = (
        cutoff < _FALLOFF_FRACTION * min(T, D)
        and cutoff <= lam.size
        and lam[cutoff - 1] < line_at_cut
    )
    end = cutoff - 1 if falls else D  # power law on ranks start..end

    def population(e: float) -> np.ndarray:
        pop = padded.copy()
        amp = log_amp + (e - exponent) * x0  # same value at the pivot
        pop[start - 1 : end] = np.exp(amp - e * np.log(k[start - 1 : end]))
        return pop

    return population


def gaussian_sample_spectrum(
    pop: np.ndarray, n: int, seq: np.random.SeedSequence, keep: int
) -> np.ndarray:
    """Eigenvalues of one Gaussian sample covariance with n degrees of freedom (step 2)."""
    rng = np.random.default_rng(seq)
    D = pop.size
    K = D if D <= FULL_LIMIT else min(D, keep)
    if n >= K:
        L = rng.standard_normal((K, K))
        L = np.tril(L, -1)
        L[np.diag_indices(K)] = np.sqrt(rng.chisquare(n - np.arange(K)))
        A = np.sqrt(pop[:K])[:, None] * L
        eig = np.linalg.eigvalsh(A @ A.T)[::-1] / n
        if K < D:
            tail = pop[K:]
            head = pop[:K]
            with np.errstate(divide="ignore", invalid="ignore"):
                lift = np.sum(tail[None, :] * head[:, None] / (head[:, None] - tail[None, :]),
                              axis=1) / n  # fmt: skip
            eig = eig + np.where(np.isfinite(lift), lift, 0.0)
        return np.clip(eig, 0.0, None)
    G = rng.standard_normal((n, D)) * np.sqrt(pop)
    return np.clip(np.linalg.eigvalsh(G @ G.T)[::-1] / n, 0.0, None)


@dataclass(frozen=True)
class BootstrapResult:
    """Bias-corrected exponent, its interval and the goodness-of-fit statistic.

    Attributes
    ----------
    exponent : float
        The bias-corrected exponent ``ẽ``.
    raw_exponent : float
        The plain least-squares exponent ``ê`` of the sample spectrum.
    bias : float
        ``β(e₁)``: the estimated finite-T bias of the raw fit (``ê − ẽ``).
    se : float
        Standard error of ``ẽ``.
    curvature, curvature_z : float
        The sample's quadratic coefficient and its z-score against the replicates.
    replicates : array
        Replicate exponents at ``e₀``.
    """

    exponent: float
    raw_exponent: float
    bias: float
    se: float
    curvature: float
    curvature_z: float
    replicates: np.ndarray = field(repr=False)

    @property
    def ci(self) -> tuple[float, float]:
        """The 95 % interval ``ẽ ± 1.96 se``."""
        return self.exponent - Z95 * self.se, self.exponent + Z95 * self.se


def parametric_bootstrap(
    eigenvalues: np.ndarray,
    fit_range: tuple[int, int],
    exponent: float,
    amplitude: float,
    cutoff: int,
    *,
    n_samples: int,
    dim: int,
    centre: bool = True,
    n_boot: int = 40,
    seed: int | np.random.SeedSequence = 0,
    progress: callable | None = None,
) -> BootstrapResult:
    """Bias-corrected exponent with its standard error (module docstring, steps 1–5).

    Parameters
    ----------
    eigenvalues : array
        The sample spectrum, decreasing (zeros allowed at the end).
    fit_range, exponent, amplitude, cutoff
        The raw fit (:class:`~scalinglab.realdata.powerlaw.PowerLawFit`).
    n_samples, dim : int
        T and the dimension D of the covariance (d for data, N for features).
    centre : bool
        Whether the covariance was centred (``T − 1`` degrees of freedom).
    n_boot : int
        Replicates (at least 8).
    seed : int or SeedSequence
        Replicate ``r`` draws from the child ``r`` of this sequence.
    progress : callable, optional
        ``progress(done, total)`` after each replicate.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    start, stop = fit_range
    T = int(n_samples)
    n = T - 1 if centre else T
    log_amp = float(np.log(amplitude))
    population = _population(lam, start, stop, exponent, log_amp, cutoff, dim, T)
    root = root_sequence(seed)
    keep = max(FULL_LIMIT, int(np.ceil(1.15 * stop)))
    n_check = max(n_boot // 4, min(n_boot, 8))
    total = n_boot + n_check
    done = 0

    def replicate(e: float, count: int) -> np.ndarray:
        nonlocal done
        pop = population(e)
        out = np.empty((count, 2))
        for r in range(count):
            est, _, curv = range_fit(
                gaussian_sample_spectrum(pop, n, child(root, r), keep), start, stop
            )
            out[r] = est, curv
            done += 1
            if progress is not None:
                progress(done, total)
        return out

    first = replicate(exponent, n_boot)
    good = np.isfinite(first[:, 0])
    bias0 = float(np.mean(first[good, 0])) - exponent
    e1 = exponent - bias0
    second = replicate(e1, n_check)
    pair = good[:n_check] & np.isfinite(second[:, 0])
    shift = float(np.mean(second[pair, 0] - first[:n_check][pair, 0])) - (e1 - exponent)
    bias = bias0 + shift
    se = float(np.std(first[good, 0], ddof=1)) * np.sqrt(1.0 + 1.0 / good.sum())
    _, _, curvature = range_fit(lam, start, stop)
    curv = first[good, 1]
    spread = float(np.std(curv, ddof=1))
    z = (curvature - float(np.mean(curv))) / spread if spread > 0 else 0.0
    return BootstrapResult(
        exponent=exponent - bias,
        raw_exponent=exponent,
        bias=bias,
        se=se,
        curvature=curvature,
        curvature_z=float(z),
        replicates=first[:, 0],
    )
