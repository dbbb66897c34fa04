"""Helpers of the learner tests: Gaussian data with a planted spectrum and linear teachers."""

from __future__ import annotations

import numpy as np


def planted(n: int, d: int, alpha: float, teachers: int = 10, seed: int = 0):
    """n Gaussian inputs with covariance eigenvalues k^-(1+alpha), k <= d, and ``teachers``
    isotropic linear targets ``y_c = w_c·x``, ``w_c ~ N(0, I)``, as (X, Y) standardised/centred
    the way :func:`scalinglab.learners.data.make_targets` does it."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    lam = np.arange(1, d + 1, dtype=np.float64) ** -(1.0 + alpha)
    X = rng.standard_normal((n, d)) * np.sqrt(lam)
    Y = X @ rng.standard_normal((d, teachers))
    X = X - X.mean(axis=0)
    X /= np.sqrt(np.mean(X * X))
    return X, Y - Y.mean(axis=0)
