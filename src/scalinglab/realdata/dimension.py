"""Intrinsic dimension of a point cloud: Levina–Bickel MLE, TwoNN, and their dependence on T.

**Levina–Bickel maximum likelihood** (Levina & Bickel 2004) with the MacKay–Ghahramani
correction (MacKay & Ghahramani 2005). For point i with neighbour distances
``r_1 ≤ … ≤ r_k``, the local Poisson-process likelihood gives the statistic

.. math::

    \\hat u_k(x_i) = \\frac{1}{k-1} \\sum_{j=1}^{k-1} \\log\\frac{r_k(x_i)}{r_j(x_i)},

an unbiased estimate of ``1/d`` (its sum is Gamma(k−1, d) distributed). Levina–Bickel invert
each point's statistic and average the inverses, which is biased for small k; MacKay and
Ghahramani average the unbiased ``\\hat u_k`` over points first and invert once:
``\\hat d_k = [\\frac{1}{n} Σ_i \\hat u_k(x_i)]^{-1}``. The result is averaged over
``k = k1..k2``.

**TwoNN** (Facco, d'Errico, Rodriguez & Laio 2017). The ratio ``μ_i = r_2/r_1`` of the two nearest
distances is Pareto distributed, ``F(μ) = 1 − μ^{-d}``, whatever the density. d is the slope
through the origin of ``−log(1 − F_emp(μ))`` against ``log μ`` after discarding the largest
``discard_fraction`` of the ratios (the paper's 10 %, which are the most affected by curvature
and density changes).

**Dependence on T.** With T points on a d-dimensional set the typical nearest-neighbour distance
scales as ``⟨δ⟩ ∝ T^{-1/d}`` (the seed's argument for why the loss exponent is tied to the
intrinsic dimension). :func:`dimension_curve` measures both estimators and ``⟨δ⟩`` on random
subsets of growing size, and ``d_delta = −1/slope`` of ``log⟨δ⟩`` against ``log T``.

Duplicate points (zero distances) are removed before any estimate.

**Intervals (bootstrap over points).** Both estimators are functions of per-point statistics
computed from one neighbour search: the vectors ``(\\hat u_k(x_i))_{k=k1..k2}`` for the MLE and
the ratios ``μ_i`` for TwoNN. A replicate resamples the points (their statistics) with
replacement and recomputes the estimator; the 95 % interval is ``d̂ ± 1.96 sd(d*)`` over
``n_boot`` replicates. Resampling the statistics rather than the point cloud avoids duplicate
points (zero distances); it treats the per-point statistics as independent, which neighbouring
points sharing neighbours make only approximately true. The tests compare the bootstrap error
with the spread over independent samples of a known manifold. For the ``⟨δ⟩`` curve, each
replicate resamples every subset's nearest-neighbour distances, recomputes the mean distances
and the slope, giving the interval of ``d_delta``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_float, check_int, parse_list
from ..exceptions import ConfigError
from .covariance import check_data

__all__ = [
    "DimensionCurve",
    "DimensionResult",
    "dimension_curve",
    "intrinsic_dimension",
    "mle_dimension",
    "twonn_dimension",
]


def _unique_rows(X: np.ndarray) -> np.ndarray:
    return np.unique(X, axis=0) if X.shape[0] > 1 else X


def _neighbour_distances(X: np.ndarray, k: int) -> np.ndarray:
    """Distances to the k nearest other points (n x k), duplicates removed beforehand."""
    from sklearn.neighbors import NearestNeighbors

    if X.shape[0] <= k:
        raise ConfigError(
            f"The data must have more than k = {k} distinct points for the neighbour "
            f"statistics. Got {X.shape[0]} instead."
        )
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    return dist[:, 1:]


Z95 = 1.959963984540054


def _mle_statistics(dist: np.ndarray, k1: int, k2: int) -> np.ndarray:
    """Per-point ``û_k(x_i) = (1/(k−1)) Σ_{j<k} log(r_k/r_j)``, shape (n, k2 − k1 + 1)."""
    logs = np.log(dist[:, :k2])
    return np.stack([np.mean(logs[:, k - 1 : k] - logs[:, : k - 1], axis=1)
                     for k in range(k1, k2 + 1)], axis=1)  # fmt: skip


def _mle_from_statistics(u: np.ndarray) -> float:
    return float(np.mean(1.0 / np.mean(u, axis=0)))


def _mle_from_distances(dist: np.ndarray, k1: int, k2: int) -> float:
    return _mle_from_statistics(_mle_statistics(dist, k1, k2))


def _twonn_from_distances(dist: np.ndarray, discard_fraction: float) -> float:
    return _twonn_from_ratios(dist[:, 1] / dist[:, 0], discard_fraction)


def _twonn_from_ratios(ratios: np.ndarray, discard_fraction: float) -> float:
    mu = np.sort(ratios)
    n = mu.size
    keep = min(max(int(np.floor(n * (1.0 - discard_fraction))), 2), n - 1)
    x = np.log(mu[:keep])
    y = -np.log(1.0 - np.arange(1, keep + 1) / n)  # empirical F at the i-th smallest ratio
    return float(np.dot(x, y) / np.dot(x, x))


def _check_k(k1: int, k2: int) -> tuple[int, int]:
    k1 = check_int("k1", k1, low=3)
    k2 = check_int("k2", k2, low=k1)
    return k1, k2


def mle_dimension(X: object, k1: int = 10, k2: int = 20) -> float:
    """Levina–Bickel MLE with the MacKay–Ghahramani averaging, over k = k1..k2."""
    k1, k2 = _check_k(k1, k2)
    Xu = _unique_rows(check_data(X))
    return _mle_from_distances(_neighbour_distances(Xu, k2), k1, k2)


def twonn_dimension(X: object, discard_fraction: float = 0.1) -> float:
    """TwoNN estimate of Facco et al. (2017) (module docstring)."""
    discard_fraction = check_float("discard_fraction", discard_fraction, 0.0, 1.0, high_open=True)
    Xu = _unique_rows(check_data(X))
    return _twonn_from_distances(_neighbour_distances(Xu, 2), discard_fraction)


@dataclass(frozen=True)
class DimensionResult:
    """Both intrinsic-dimension estimates of one point cloud, with bootstrap errors.

    ``mle_se``, ``twonn_se`` (and the intervals ``estimate ± 1.96 se``) are None without
    bootstrap; ``nn_distances`` are the points' nearest-neighbour distances.
    """

    mle: float
    twonn: float
    n_samples: int
    n_unique: int
    dim: int
    k1: int
    k2: int
    mean_nn_distance: float
    mle_se: float | None = None
    twonn_se: float | None = None
    nn_distances: np.ndarray | None = field(default=None, repr=False)

    @property
    def mle_ci(self) -> tuple[float, float] | None:
        """95 % interval of the MLE."""
        return None if self.mle_se is None else _interval(self.mle, self.mle_se)

    @property
    def twonn_ci(self) -> tuple[float, float] | None:
        """95 % interval of TwoNN."""
        return None if self.twonn_se is None else _interval(self.twonn, self.twonn_se)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        out = {k: v for k, v in self.__dict__.items() if k != "nn_distances"}
        out["mle_ci"] = None if self.mle_ci is None else list(self.mle_ci)
        out["twonn_ci"] = None if self.twonn_ci is None else list(self.twonn_ci)
        return out


def _interval(value: float, se: float) -> tuple[float, float]:
    return value - Z95 * se, value + Z95 * se


def intrinsic_dimension(
    X: object,
    k1: int = 10,
    k2: int = 20,
    discard_fraction: float = 0.1,
    *,
    n_boot: int = 200,
    seed: int | np.random.SeedSequence = 0,
) -> DimensionResult:
    """MLE and TwoNN estimates from one neighbour search (k2 neighbours per point), with
    bootstrap-over-points errors from ``n_boot`` replicates (module docstring; 0: none)."""
    k1, k2 = _check_k(k1, k2)
    discard_fraction = check_float("discard_fraction", discard_fraction, 0.0, 1.0, high_open=True)
    n_boot = check_int("n_boot", n_boot, low=0)
    X = check_data(X)
    Xu = _unique_rows(X)
    dist = _neighbour_distances(Xu, k2)
    u = _mle_statistics(dist, k1, k2)
    ratios = dist[:, 1] / dist[:, 0]
    mle_se = twonn_se = None
    if n_boot >= 2:
        rng = np.random.default_rng(seed if isinstance(seed, np.random.SeedSequence)
                                    else np.random.SeedSequence(seed))  # fmt: skip
        n = u.shape[0]
        reps = np.empty((n_boot, 2))
        for r in range(n_boot):
            rows = rng.integers(n, size=n)
            reps[r] = (
                _mle_from_statistics(u[rows]),
                _twonn_from_ratios(ratios[rows], discard_fraction),
            )
        mle_se, twonn_se = (float(v) for v in np.std(reps, axis=0, ddof=1))
    return DimensionResult(
        mle=_mle_from_statistics(u),
        twonn=_twonn_from_ratios(ratios, discard_fraction),
        n_samples=int(X.shape[0]),
        n_unique=int(Xu.shape[0]),
        dim=int(X.shape[1]),
        k1=k1,
        k2=k2,
        mean_nn_distance=float(np.mean(dist[:, 0])),
        mle_se=mle_se,
        twonn_se=twonn_se,
        nn_distances=dist[:, 0].copy(),
    )


@dataclass(frozen=True)
class DimensionCurve:
    """Intrinsic-dimension estimates and mean nearest-neighbour distance against T.

    ``mle_se``/``twonn_se`` are the bootstrap errors of the means over repeats;
    ``d_delta_ci`` the 95 % bootstrap interval of ``d_delta`` (module docstring).
    """

    T: np.ndarray
    mle: np.ndarray
    twonn: np.ndarray
    mean_nn_distance: np.ndarray
    d_delta: float
    repeats: int
    points: list[DimensionResult] = field(repr=False)
    mle_se: np.ndarray | None = None
    twonn_se: np.ndarray | None = None
    d_delta_ci: tuple[float, float] | None = None

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(self.records())

    def records(self) -> list[dict[str, Any]]:
        """One record per T (mean over repeats), with the ⟨δ⟩-slope dimension on each."""
        out = []
        for i, t in enumerate(self.T):
            ci = None if self.d_delta_ci is None else list(self.d_delta_ci)
            rec = {"T": int(t), "mle": float(self.mle[i]), "twonn": float(self.twonn[i]),
                   "mean_nn_distance": float(self.mean_nn_distance[i]),
                   "d_delta": self.d_delta, "d_delta_ci": ci}  # fmt: skip
            for name, se in (("mle", self.mle_se), ("twonn", self.twonn_se)):
                rec[f"{name}_se"] = None if se is None else float(se[i])
                rec[f"{name}_ci"] = None if se is None else list(_interval(rec[name], se[i]))
            out.append(rec)
        return out


def _delta_dimension(sizes: np.ndarray, delta: np.ndarray) -> float:
    """``−1/slope`` of ``log⟨δ⟩`` on ``log T`` (inf for a non-negative slope)."""
    if np.unique(sizes).size < 2:
        return float("nan")
    slope = np.polyfit(np.log(sizes), np.log(delta), 1)[0]
    return float(-1.0 / slope) if slope < 0 else float("inf")


def dimension_curve(
    X: object,
    T: object,
    *,
    repeats: int = 3,
    seed: int = 0,
    k1: int = 10,
    k2: int = 20,
    discard_fraction: float = 0.1,
    n_boot: int = 200,
    progress: Any = None,
) -> DimensionCurve:
    """Estimates on random subsets of each size in ``T`` (averaged over ``repeats`` subsets).

    ``d_delta`` is ``−1/slope`` of the least-squares line of ``log⟨δ⟩`` against ``log T``,
    the dimension implied by ``⟨δ⟩ ∝ T^{-1/d}``. Intervals as in the module docstring
    (``n_boot`` replicates; 0: none). ``progress(done, total)`` after each subset.
    """
    X = check_data(X)
    sizes = np.array(parse_list("T", T, int))
    if sizes.min() <= k2 or sizes.max() > X.shape[0]:
        raise ConfigError(
            f"The 'T' parameter must be subset sizes in ({k2}, {X.shape[0]}]. "
            f"Got {sizes.tolist()} instead."
        )
    repeats = check_int("repeats", repeats, low=1)
    n_boot = check_int("n_boot", n_boot, low=0)
    root = np.random.SeedSequence(seed)
    rng = np.random.default_rng(root)
    points: list[DimensionResult] = []
    mle, twonn, delta, mle_se, twonn_se = [], [], [], [], []
    for i, t in enumerate(sizes):
        res = [intrinsic_dimension(X[rng.choice(X.shape[0], int(t), replace=False)], k1, k2,
                                   discard_fraction, n_boot=n_boot,
                                   seed=np.random.SeedSequence(root.entropy, spawn_key=(i, r)))
               for r in range(repeats)]  # fmt: skip
        points.extend(res)
        mle.append(np.mean([r.mle for r in res]))
        twonn.append(np.mean([r.twonn for r in res]))
        delta.append(np.mean([r.mean_nn_distance for r in res]))
        if n_boot >= 2:
            mle_se.append(np.sqrt(np.sum([r.mle_se**2 for r in res])) / repeats)
            twonn_se.append(np.sqrt(np.sum([r.twonn_se**2 for r in res])) / repeats)
        if progress is not None:
            progress(i + 1, sizes.size)
    d_delta = _delta_dimension(sizes, np.array(delta))
    d_ci = None
    if n_boot >= 2 and np.isfinite(d_delta):
        boot_rng = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(10**6,)))
        reps = np.empty(n_boot)
        for b in range(n_boot):
            means = [np.mean(p.nn_distances[boot_rng.integers(p.nn_distances.size,
                                                              size=p.nn_distances.size)])
                     for p in points]  # fmt: skip
            reps[b] = _delta_dimension(sizes, np.mean(np.reshape(means, (sizes.size, repeats)),
                                                      axis=1))  # fmt: skip
        good = reps[np.isfinite(reps)]
        if good.size >= 2:
            d_ci = _interval(d_delta, float(np.std(good, ddof=1)))
    return DimensionCurve(
        T=sizes, mle=np.array(mle), twonn=np.array(twonn),
        mean_nn_distance=np.array(delta), d_delta=d_delta, repeats=repeats, points=points,
        mle_se=np.array(mle_se) if mle_se else None,
        twonn_se=np.array(twonn_se) if twonn_se else None, d_delta_ci=d_ci,
    )  # fmt: skip
