"""Learning-curve prediction on real data vs trained random-feature models."""

from __future__ import annotations

import numpy as np
import pytest

from realdata.realdata_helpers import needs_fashion
from scalinglab.realdata.covariance import feature_map
from scalinglab.realdata.loaders import load_dataset
from scalinglab.realdata.predict import kernel_matrix, predict_learning_curve


def test_arc_cosine_kernel_matches_sampled_features():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 7))
    n = 200_000
    F = feature_map(X, n, "relu", 1.0, seed=1)
    sampled = F @ F.T / n
    # per-entry sampling error: std(relu(a) relu(b)) / sqrt(n); 5 standard errors
    se = np.sqrt(((F[:, None, :] * F[None, :, :]) ** 2).mean(axis=2) / n)
    assert np.all(np.abs(kernel_matrix(X) - sampled) < 5 * se)
    np.testing.assert_allclose(kernel_matrix(X, activation="linear"), X @ X.T / 7, rtol=1e-12)


def _pooled_relative_error(result) -> tuple[float, float]:
    """Mean over the grid of predicted/measured − 1, and its jackknife s.e. over the draws."""
    draws = result.measured

    def pooled(measured: np.ndarray) -> float:
        return float(np.mean(result.predicted / measured.mean(axis=0)) - 1)

    n = draws.shape[0]
    leave_one_out = np.array([pooled(np.delete(draws, i, axis=0)) for i in range(n)])
    return pooled(draws), float(
        np.sqrt((n - 1) / n * np.sum((leave_one_out - leave_one_out.mean()) ** 2))
    )


@pytest.mark.slow  # 2 x 256 draws: the pooled 5 % bias check (fast: the README predict CLI)
def test_digits_learning_curve_prediction():
    pooled, errors = [], []
    for split in (0, 1):  # two pool/test splits and targets, 256 (features, training set) draws
        result = predict_learning_curve(load_dataset("digits"), [100, 200, 400], [100, 200, 400],
                                        target="linear", ridge=1.0, seeds=256, seed=split,
                                        n_test=1200)  # fmt: skip
        # requirement: prediction within 15 % of the measured held-out loss on the whole grid
        assert np.all(np.abs(result.relative_error) < 0.15)
        mean, se = _pooled_relative_error(result)
        pooled.append(mean)
        errors.append(se)
    bias, se = np.mean(pooled), np.sqrt(np.sum(np.square(errors))) / len(errors)
    # Pooled accuracy: the mean relative error over 2 x 9 grid points. Measured −1.0 % and
    # −1.6 % (s.e. 0.47 % pooled); with 128 draws splits 2 and 3 gave −2.1 % and −4.1 % (s.e.
    # 1 %): the reduction predicts digits ≈ 2 % low. The bound 3 s.e. + 1 % = 2.4 % fails a 5 %
    # bias in either direction (+3.6 % or −6.2 %) and a 10 % bias by a wide margin.
    assert abs(bias) < 3 * se + 0.01, (pooled, errors)
    exps = result.exponents()
    assert exps["exponent_N_measured"] > 0.3 and exps["exponent_N_predicted"] > 0.3
    assert len(result.records()) == 9


@pytest.mark.slow
@needs_fashion
def test_fashion_mnist_learning_curve_prediction():
    data = load_dataset("fashion-mnist")
    result = predict_learning_curve(data, [100, 200, 400], [100, 200, 400], target="linear",
                                    ridge=1.0, seeds=8, n_pool=4000, seed=0)  # fmt: skip
    # requirement: within 15 % (measured s.e. about 3 %; seen: 5-15 % for seeds 0-3 with 6 draws)
    assert np.all(np.abs(result.relative_error) < 0.15)
