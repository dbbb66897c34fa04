"""Coverage of the two 95 % intervals on data with a planted spectrum (a small version of
benchmarks/study_exponents_coverage.py, whose numbers docs/exponents.md §6 quotes)."""

from __future__ import annotations

import numpy as np
import pytest

from learners.learners_helpers import planted
from scalinglab.learners.exponents import predict_exponent, study_exponents
from scalinglab.learners.training import measure_curve

T = [20, 40, 80, 160]
FIT = np.array([False, True, True, True])
REPEATS = 16


def _teachers(n, seed):
    # the same 10 teachers in every draw: the population is fixed, the samples vary
    X, _ = planted(n, 400, 1.0, teachers=1, seed=seed)
    return X, X @ np.random.default_rng(12345).standard_normal((400, 10))


@pytest.mark.slow  # about a minute on 2 cores
def test_measured_interval_covers_the_mean_curve_slope():
    X, Y = _teachers(20000, 0)
    losses = measure_curve(X, Y, T, learner="kernel", kernel="linear", ridge=1e-6,
                           n_test=2000, seeds=200, seed=999)  # fmt: skip
    Tf = np.asarray(T)[FIT]
    truth = -np.polyfit(np.log(Tf), np.log(losses.mean(axis=0)[FIT]), 1)[0]
    covered = 0
    for r in range(REPEATS):
        Xr, Yr = _teachers(2000, 100 + r)
        study = study_exponents(Xr, Yr, kernel="linear", T=T, n_test=500, seeds=3, n_pool=600,
                                fit_ranks=(3, 60), n_boot=2, dimension=False, seed=r)  # fmt: skip
        lo, hi = study.measured_interval
        covered += lo <= truth <= hi
    # 95 % nominal: P(at most 12 of 16 cover) = 0.7 %
    assert covered >= 13


@pytest.mark.slow
def test_independent_pool_interval_matches_the_spread_over_pools():
    preds, ses = [], []
    for r in range(REPEATS):
        X, Y = _teachers(6000, 500 + r)  # >= 2 pools: independent-pool replicates
        pred, _, _ = predict_exponent(X, Y, T, FIT, kernel="linear", ridge=1e-6, n_pool=600,
                                      fit_ranks=(3, 60), n_boot=10, seed=r)  # fmt: skip
        preds.append(pred.exponent)
        ses.append(np.std(pred.replicates, ddof=1))
    # the replicate standard error estimates the spread of one pool's prediction: with 16 and
    # 10 draws their ratio has a relative error of ~25 %, so a factor 1.7 either way is 2 sigma
    ratio = np.mean(ses) / np.std(preds, ddof=1)
    assert 1 / 1.7 < ratio < 1.7
