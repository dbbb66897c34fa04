"""Feature maps ``φ_i = σ(u_i·x + b_i)`` of the random-feature model: an activation and biases.

The activation's Gaussian moments (the feature kernel ``S = E[φφᵀ]``, the mean and the Stein
slope ``μ1 = E σ'``) are in :mod:`.kernels`; how they enter the exact loss is described in
:mod:`scalinglab.simulation.features`. The biases ``b_i ~ N(0, σ_b²)`` of a simulation seed
come from stream :data:`~scalinglab._rng.STREAM_B`, block 0, so the first N are shared by every
smaller N (and by the theory, which conditions on the same draw).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._rng import STREAM_B, child
from .._validation import check_float, check_int
from .kernels import ACTIVATIONS, Activation, get_activation

__all__ = ["ACTIVATIONS", "FeatureMap", "feature_map"]


class FeatureMap:
    """``φ = σ(U x + b)`` with ``b_i ~ N(0, sigma_b²)`` (no bias when ``sigma_b = 0``).

    Parameters
    ----------
    activation : str or callable
        One of :data:`~.kernels.ACTIVATIONS` or an elementwise NumPy function.
    sigma_b : float
        Standard deviation of the per-feature biases.
    """

    def __init__(self, activation: str | Callable | Activation = "linear", sigma_b: float = 0.0):
        self.activation = get_activation(activation)
        self.sigma_b = check_float("sigma_b", sigma_b, 0.0)

    @property
    def name(self) -> str:
        return self.activation.name

    def draw_bias(self, seq: np.random.SeedSequence, N: int) -> np.ndarray | None:
        """The first N biases of a seed (NumPy), or None without a bias."""
        if self.sigma_b == 0.0:
            return None
        N = check_int("N", N, low=1)
        return np.random.default_rng(child(seq, STREAM_B, 0)).standard_normal(N) * self.sigma_b


def feature_map(
    activation: str | Callable | Activation = "linear", sigma_b: float = 0.0
) -> FeatureMap:
    """The feature map named ``activation`` (or wrapping a callable), bias scale ``sigma_b``."""
    return FeatureMap(activation, sigma_b)
