"""A learner's spectrum on a data pool, its power-law tail, and the learning curve it predicts
(docs/exponents.md §2–§3).

**Eigensystem of the pool** (§2). The data distribution is represented by a pool of n points
with weights ``w_i`` (``1/n``, or multinomial counts/n for a bootstrap replicate). The kernel
operator ``(K f)(x) = Σ_i w_i k(x, x_i) f(x_i)`` has the eigenvalues ``ξ_k`` of
``W^{1/2} K W^{1/2}`` (eigenvectors ``q_k``) and the target ``y`` (one or several columns) has
power ``v_k² = Σ_c (q_kᵀ W^{1/2} y_c)²`` in mode k. The eigenvalues sum to the trace
``Σ_i w_i k(x_i, x_i)`` and the powers to ``Σ_i w_i |y_i|²``.

**Capacity and source exponents** (§2). Over the ranks ``[first, last]``:
``ξ_k ≈ A k^{-a}`` (capacity exponent ``a = 1 + α``) and the tail power
``R(k) = Σ_{j>k} v_j² ≈ B k^{-s}`` (source exponent ``s``), both by the weighted log-log least
squares of :func:`scalinglab.realdata.powerlaw.fit_power_law`.

**Extended spectrum** (§3). The pool resolves ranks up to about ``n``; learning curves at
``T`` comparable to ``n`` need the modes beyond. The spectrum used by the theory is the pool's
ranks ``1..last`` followed by the fitted power laws, in geometric bins of ``BINS_PER_DECADE``
per decade of rank (each bin: its mean eigenvalue, its rank count as multiplicity and its share
of ``R``), up to a rank far beyond the largest T (``EXTENSION`` x T, at most ``MAX_RANK``). A
summable tail (``a > 1``) that reaches the pool's trace before that stops there: the kernel has
finite rank, as a linear kernel in d dimensions does. A non-summable one (``a <= 1``) cannot
continue: it stops where it has used half of the trace left, so that the rest stays a
ridge-like floor instead of making the kernel finite-rank (a finite rank M puts an
interpolation peak at T = M, the unlearned power acting as label noise). The trace and target
power
left beyond go into one final bin whose eigenvalue is 10⁻⁶ of the last one, far below the
renormalised ridge Δ at every T used: there it acts exactly as the ridge-like tail of
docs/theory.md §5 (``d1`` gains ``trace/Δ``, the power is not learned). The tail starts with
the pool's own remaining power ``R(last)``, so the total target power is the pool's.

**Learning curve** (§3). Kernel ridge ``f = k_xᵀ(K_TT + λI)⁻¹y`` is the random-feature model of
docs/theory.md §5 in the limit ``N → ∞`` with ``γ = Nλ``: ``Δ(T − d1) = λ`` and
``L = ½ b2/(1 − d2/T)`` (noise-free). It is evaluated by the project's deterministic equivalent
at ``N = KERNEL_WIDTH`` (relative error ``O(T/N)``); random features at width N use the same
equivalent at that N.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..exceptions import ConfigError
from ..realdata.powerlaw import fit_power_law
from ..theory.spectral import ArraySpectrum, Functionals

__all__ = [
    "BINS_PER_DECADE",
    "EXTENSION",
    "KERNEL_WIDTH",
    "MAX_RANK",
    "BinnedSpectrum",
    "PoolSpectrum",
    "extend_spectrum",
    "learning_curve",
    "pool_spectrum",
]

BINS_PER_DECADE = 40
MAX_RANK = 1e12
EXTENSION = 100.0
KERNEL_WIDTH = 1e15
"""The width N standing for the kernel limit N → ∞ (relative error O(T/N) ≈ 1e-11)."""


class BinnedSpectrum(ArraySpectrum):
    """An :class:`~scalinglab.theory.spectral.ArraySpectrum` whose entries carry multiplicities:
    ``count_j`` equal eigenvalues ``λ_j`` sharing the target power ``p_j``."""

    def __init__(self, eigenvalues: np.ndarray, target_power: np.ndarray, counts: np.ndarray,
                 end_rank: float | None = None) -> None:  # fmt: skip
        super().__init__(eigenvalues, target_power)
        self.counts = np.asarray(counts, dtype=np.float64)
        self.end_rank = end_rank
        """The last rank of the power-law tail (before the ridge-like final bin)."""

    @property
    def M(self) -> int:
        return int(np.ceil(self.counts.sum()))

    @cached_property
    def total(self) -> float:
        return float(self.counts @ self.eigenvalues)

    def functionals(self, delta: np.ndarray) -> Functionals:
        """d1, d2, e, b1, b2 at each Δ > 0 with each entry counted ``count_j`` times."""
        delta = np.asarray(delta, dtype=np.float64)
        d = delta.reshape(-1)[:, None]
        lam, p, m = self.eigenvalues, self.target_power, self.counts
        r = lam / (lam + d)
        w = d / (lam + d)
        out = (r @ m, (r * r) @ m, (r * w) @ m, w @ p, (w * w) @ p)
        return Functionals(*(row.reshape(delta.shape) for row in out))


@dataclass(frozen=True)
class PoolSpectrum:
    """Eigenvalues ``ξ_k`` and target powers ``v_k²`` of a kernel on a weighted pool.

    ``trace`` is ``Σ w_i k(x_i, x_i)`` (= Σ ξ_k over all n modes) and ``target_variance`` is
    ``Σ w_i |y_i|²`` (= Σ v_k²); only the leading ``len(eigenvalues)`` modes are kept.
    """

    eigenvalues: np.ndarray = field(repr=False)
    target_power: np.ndarray = field(repr=False)
    trace: float
    target_variance: float
    n_pool: int

    def tail_power(self) -> np.ndarray:
        """``R(k) = Σ_{j>k} v_j²`` for k = 1..len(eigenvalues) (clipped at 0)."""
        return np.maximum(self.target_variance - np.cumsum(self.target_power), 0.0)


def pool_spectrum(K: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                  keep: int | None = None) -> PoolSpectrum:  # fmt: skip
    """The leading ``keep`` eigenpairs of the weighted kernel operator on a pool (module
    docstring). ``K`` is the pool's n x n kernel matrix, ``y`` its targets (n,) or (n, C)."""
    from scipy.linalg import eigh

    n = K.shape[0]
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = n if keep is None else min(int(keep), n)
    root = np.sqrt(w)
    A = root[:, None] * K * root[None, :]
    xi, q = eigh(A, subset_by_index=[n - keep, n - 1], overwrite_a=True, check_finite=False)
    xi, q = xi[::-1], q[:, ::-1]
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1) * root[:, None]
    power = np.sum((q.T @ Y) ** 2, axis=1)
    return PoolSpectrum(
        eigenvalues=np.maximum(xi, 0.0),
        target_power=power,
        trace=float(w @ np.diag(K)),
        target_variance=float(np.sum(Y * Y)),
        n_pool=n,
    )


@dataclass(frozen=True)
class SpectralExponents:
    """Capacity ``a`` (``ξ_k ≈ A k^{-a}``) and source ``s`` (``R(k) ≈ B k^{-s}``) exponents."""

    capacity: float
    capacity_amplitude: float
    source: float
    fit_range: tuple[int, int]

    @property
    def asymptotic(self) -> float:
        """The ridgeless data exponent of the power laws, ``min(s, 2a)`` (docs/exponents.md §2)."""
        return min(self.source, 2.0 * self.capacity)


def spectral_exponents(spectrum: PoolSpectrum, fit_range: tuple[int, int]) -> SpectralExponents:
    """Fit the capacity and source exponents over the ranks ``fit_range`` (module docstring)."""
    first, last = fit_range
    if last > spectrum.eigenvalues.size or first < 1 or last < first + 2:
        raise ConfigError(
            f"The 'fit_ranks' parameter must be ranks FIRST,LAST with 1 <= FIRST, FIRST + 2 <= "
            f"LAST <= {spectrum.eigenvalues.size} (the modes the pool resolves). Got "
            f"{first},{last} instead."
        )
    xi = spectrum.eigenvalues
    tail = spectrum.tail_power()
    if np.any(xi[:last] <= 0) or np.any(tail[:last] <= 0):
        raise ConfigError(
            f"The 'fit_ranks' parameter must stay where the spectrum and the target's tail power "
            f"are positive. Got {first},{last}; lower LAST."
        )
    cap = fit_power_law(xi[:last], (first, last))
    src = fit_power_law(tail[:last], (first, last))
    return SpectralExponents(cap.exponent, cap.amplitude, src.exponent, (first, last))


def extend_spectrum(spectrum: PoolSpectrum, exps: SpectralExponents,
                    max_rank: float = MAX_RANK) -> BinnedSpectrum:  # fmt: skip
    """The pool's ranks ``1..last`` continued by the fitted power laws up to ``max_rank``
    (module docstring)."""
    last = exps.fit_range[1]
    max_rank = max(float(max_rank), 10.0 * last)
    xi, power = spectrum.eigenvalues[:last], spectrum.target_power[:last]
    trace_left = spectrum.trace - float(xi.sum())
    power_left = float(spectrum.tail_power()[last - 1])
    bins = int(BINS_PER_DECADE * np.log10(max_rank / last))
    edges = np.unique(np.round(np.geomspace(last, max_rank, bins)))
    lo, hi = edges[:-1], edges[1:]  # bin j holds ranks lo < k <= hi  # fmt: skip
    a, A, s = exps.capacity, exps.capacity_amplitude, exps.source
    counts = hi - lo
    # mean of A k^-a over the bin, from the integral of the continuous power law
    if abs(a - 1.0) > 1e-9:
        tail_xi = A * (hi ** (1 - a) - lo ** (1 - a)) / ((1 - a) * counts)
    else:
        tail_xi = A * np.log(hi / lo) / counts
    share = (lo / last) ** (-s) - (hi / last) ** (-s)  # R's power-law drop over the bin
    tail_p = power_left * share
    cum = np.cumsum(tail_xi * counts)
    # a summable tail stops at the trace (a finite rank, as for a linear kernel in d dimensions);
    # a non-summable one (a <= 1) at half of it, the rest staying a ridge-like floor
    share_used = 1.0 if a > 1.0 else 0.5
    stop = cum.size if cum[-1] <= trace_left else int(np.searchsorted(cum, share_used * trace_left))
    tail_xi, counts, tail_p = tail_xi[:stop], counts[:stop], tail_p[:stop]
    rest_trace = trace_left - float(tail_xi @ counts)
    rest_power = max(power_left - float(tail_p.sum()), 0.0)
    eig = [xi, tail_xi]
    cnt = [np.ones(last), counts]
    pw = [power, tail_p]
    if rest_trace > 0 or rest_power > 0:
        floor = (tail_xi[-1] if tail_xi.size else xi[-1]) * 1e-6
        eig.append([floor])
        cnt.append([max(rest_trace / floor, 1.0)])  # at least one mode carries the power
        pw.append([rest_power])
    eig_all, cnt_all, pw_all = (np.concatenate(v) for v in (eig, cnt, pw))
    good = (eig_all > 0) & (cnt_all > 0)
    end = float(hi[stop - 1]) if stop else float(last)
    return BinnedSpectrum(eig_all[good], pw_all[good], cnt_all[good], end)


def learning_curve(spectrum: ArraySpectrum, T: object, ridge: float,
                   N: object = KERNEL_WIDTH) -> np.ndarray:  # fmt: skip
    """Deterministic-equivalent test loss (factor ½) of ridge regression on N random features
    of the kernel with ``γ = Nλ`` on ``FᵀF`` (so that ``FFᵀ + γI ≈ N(K + λI)``), kernel ridge
    with ridge ``λ`` on the un-normalised Gram at the default ``N = KERNEL_WIDTH`` (module
    docstring); broadcast over ``N`` and ``T``."""
    from ..theory.equivalent import spectrum_equivalent

    N = np.asarray(N, dtype=np.float64)
    return spectrum_equivalent(spectrum, N, np.asarray(T, dtype=np.float64), ridge * N).loss
