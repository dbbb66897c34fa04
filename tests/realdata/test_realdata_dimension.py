"""Intrinsic dimension on manifolds of known dimension."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_swiss_roll

from scalinglab.exceptions import ConfigError
from scalinglab.realdata.dimension import dimension_curve, intrinsic_dimension, twonn_dimension


def _embedded_gaussian(d: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    Q, _ = np.linalg.qr(rng.standard_normal((100, d)))
    return rng.standard_normal((n, d)) @ Q.T


@pytest.mark.parametrize("d", [2, 5])
def test_gaussian_in_100_dimensions(d):
    res = intrinsic_dimension(_embedded_gaussian(d, 4000, seed=d))
    # requirement: within 10 %
    assert abs(res.mle / d - 1) < 0.1 and abs(res.twonn / d - 1) < 0.1


def test_swiss_roll_and_delta_scaling():
    X, _ = make_swiss_roll(4000, random_state=0)
    res = intrinsic_dimension(X)
    assert abs(res.mle / 2 - 1) < 0.1 and abs(res.twonn / 2 - 1) < 0.1
    curve = dimension_curve(X, [500, 1000, 2000, 4000], repeats=2, seed=1)
    # <delta> ~ T^(-1/d) on a 2-d manifold
    assert abs(curve.d_delta / 2 - 1) < 0.1
    assert np.all(np.diff(curve.mean_nn_distance) < 0)


def test_duplicates_are_removed_and_errors():
    X = _embedded_gaussian(3, 1000)
    doubled = np.vstack([X, X[:200]])
    assert twonn_dimension(doubled) == pytest.approx(twonn_dimension(X))
    with pytest.raises(ConfigError, match="'k2'"):
        intrinsic_dimension(X, k1=10, k2=5)
    with pytest.raises(ConfigError, match="'T'"):
        dimension_curve(X, [10, 5000])


def test_against_scikit_dimension():
    import skdim  # a dev dependency (pyproject): the cross-check runs wherever the tests run

    X, _ = make_swiss_roll(2000, random_state=1)
    ours = intrinsic_dimension(X)
    theirs = skdim.id.TwoNN().fit(X).dimension_
    assert abs(ours.twonn / theirs - 1) < 0.1
