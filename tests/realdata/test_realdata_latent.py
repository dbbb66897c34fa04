"""Latent size and exponent from a sample spectrum; Silverstein prediction vs Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from realdata.realdata_helpers import power_law_data
from scalinglab.realdata.covariance import covariance_spectrum
from scalinglab.realdata.latent_size import (
    estimate_latent_size,
    predicted_df,
    predicted_sample_spectrum,
    sample_df,
)


@pytest.mark.parametrize(("alpha", "M", "T", "d"), [
    (0.5, 200, 2000, 200), (1.0, 200, 1000, 400),
    pytest.param(1.0, 500, 1000, 500, marks=pytest.mark.slow),
])  # fmt: skip
def test_latent_size_and_alpha_recovered(alpha, M, T, d):
    X, _ = power_law_data(M, alpha, T, d=d, seed=5)
    fit = estimate_latent_size(covariance_spectrum(X), T)
    # requirement: M and alpha within 10 % when T shows the fall-off (T >= M here)
    assert abs(fit.M / M - 1) < 0.1 and abs(fit.alpha / alpha - 1) < 0.1
    assert fit.success


def test_df_deterministic_equivalent_matches_sampling():
    M, alpha, T = 300, 1.0, 600
    z = np.geomspace(1e-5, 1e-1, 6)
    measured = np.mean([sample_df(covariance_spectrum(power_law_data(M, alpha, T, seed=s)[0],
                                                      centre=False), z) for s in range(6)],
                       axis=0)  # fmt: skip
    # df is a smooth linear statistic: fluctuations O(1/T) relative, finite-size bias O(1/T)
    np.testing.assert_allclose(predicted_df(z, T, M, alpha), measured, rtol=0.02)


@pytest.mark.parametrize(("M", "alpha", "T"), [(300, 1.0, 600), (600, 0.5, 300)])
def test_predicted_sample_spectrum_matches_monte_carlo(M, alpha, T):
    lam = np.arange(1, M + 1, dtype=np.float64) ** -(1 + alpha)
    pred = predicted_sample_spectrum(lam, T)
    mc = np.mean([covariance_spectrum(power_law_data(M, alpha, T, seed=s)[0], centre=False)
                  for s in range(8)], axis=0)  # fmt: skip
    rank = min(M, T)
    assert pred.size == rank
    cut = int(0.95 * rank)  # the last ranks sit at the edge of the support (hard edge at M = T)
    # top eigenvalues fluctuate by O(λ sqrt(2/T)) per draw; 8 draws and a 0.5 % grid: 6 %
    np.testing.assert_allclose(pred[:cut], mc[:cut], rtol=0.06)
