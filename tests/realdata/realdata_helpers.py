"""Helpers of the real-data tests: seeded synthetic power-law data, Fashion-MNIST skip mark."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.realdata.loaders import FASHION_MNIST_DIR

needs_fashion = pytest.mark.skipif(
    not (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)


def power_law_data(M: int, alpha: float, T: int, d: int | None = None, seed: int = 0):
    """T Gaussian samples with covariance eigenvalues J^-(1+alpha), J <= M, rotated into d dims."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    lam = np.arange(1, M + 1, dtype=np.float64) ** -(1.0 + alpha)
    Z = rng.standard_normal((T, M)) * np.sqrt(lam)
    if d is not None and d > M:
        Q, _ = np.linalg.qr(rng.standard_normal((d, M)))
        Z = Z @ Q.T
    return Z, lam
