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


def _mle_from_distances(dist: np.ndarray, k1: int, k2: int) -> float:
    logs = np.log(dist[:, :k2])
    estimates = []
    for k in range(k1, k2 + 1):
        u = np.mean(logs[:, k - 1 : k] - logs[:, : k - 1], axis=1)  # (1/(k-1)) Σ log(r_k/r_j)
        estimates.append(1.0 / np.mean(u))
    return float(np.mean(estimates))


def _twonn_from_distances(dist: np.ndarray, discard_fraction: float) -> float:
    mu = np.sort(dist[:, 1] / dist[:, 0])
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
    """Both intrinsic-dimension estimates of one point cloud."""

    mle: float
    twonn: float
    n_samples: int
    n_unique: int
    dim: int
    k1: int
    k2: int
    mean_nn_distance: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return dict(self.__dict__)


def intrinsic_dimension(
    X: object, k1: int = 10, k2: int = 20, discard_fraction: float = 0.1
) -> DimensionResult:
    """MLE and TwoNN estimates from one neighbour search (k2 neighbours per point)."""
    k1, k2 = _check_k(k1, k2)
    discard_fraction = check_float("discard_fraction", discard_fraction, 0.0, 1.0, high_open=True)
    X = check_data(X)
    Xu = _unique_rows(X)
    dist = _neighbour_distances(Xu, k2)
    return DimensionResult(
        mle=_mle_from_distances(dist, k1, k2),
        twonn=_twonn_from_distances(dist, discard_fraction),
        n_samples=int(X.shape[0]),
        n_unique=int(Xu.shape[0]),
        dim=int(X.shape[1]),
        k1=k1,
        k2=k2,
        mean_nn_distance=float(np.mean(dist[:, 0])),
    )


@dataclass(frozen=True)
class DimensionCurve:
    """Intrinsic-dimension estimates and mean nearest-neighbour distance against T."""

    T: np.ndarray
    mle: np.ndarray
    twonn: np.ndarray
    mean_nn_distance: np.ndarray
    d_delta: float
    repeats: int
    points: list[DimensionResult] = field(repr=False)

    def to_frame(self):
        """The records as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(self.records())

    def records(self) -> list[dict[str, Any]]:
        """One record per T (mean over repeats), with the ⟨δ⟩-slope dimension on each."""
        return [
            {
                "T": int(t),
                "mle": float(a),
                "twonn": float(b),
                "mean_nn_distance": float(c),
                "d_delta": self.d_delta,
            }
            for t, a, b, c in zip(self.T, self.mle, self.twonn, self.mean_nn_distance)
        ]


def dimension_curve(
    X: object,
    T: object,
    *,
    repeats: int = 3,
    seed: int = 0,
    k1: int = 10,
    k2: int = 20,
    discard_fraction: float = 0.1,
) -> DimensionCurve:
    """Estimates on random subsets of each size in ``T`` (averaged over ``repeats`` subsets).

    ``d_delta`` is ``−1/slope`` of the least-squares line of ``log⟨δ⟩`` against ``log T``,
    the dimension implied by ``⟨δ⟩ ∝ T^{-1/d}``.
    """
    X = check_data(X)
    sizes = np.array(parse_list("T", T, int))
    if sizes.min() <= k2 or sizes.max() > X.shape[0]:
        raise ConfigError(
            f"The 'T' parameter must be subset sizes in ({k2}, {X.shape[0]}]. "
            f"Got {sizes.tolist()} instead."
        )
    repeats = check_int("repeats", repeats, low=1)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    points: list[DimensionResult] = []
    mle, twonn, delta = [], [], []
    for t in sizes:
        res = [intrinsic_dimension(X[rng.choice(X.shape[0], int(t), replace=False)], k1, k2,
                                   discard_fraction) for _ in range(repeats)]  # fmt: skip
        points.extend(res)
        mle.append(np.mean([r.mle for r in res]))
        twonn.append(np.mean([r.twonn for r in res]))
        delta.append(np.mean([r.mean_nn_distance for r in res]))
    d_delta = float("nan")
    if np.unique(sizes).size >= 2:
        slope = np.polyfit(np.log(sizes), np.log(delta), 1)[0]
        d_delta = float(-1.0 / slope) if slope < 0 else float("inf")
    return DimensionCurve(
        T=sizes, mle=np.array(mle), twonn=np.array(twonn),
        mean_nn_distance=np.array(delta), d_delta=d_delta, repeats=repeats, points=points,
    )  # fmt: skip
