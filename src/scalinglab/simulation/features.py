"""Feature maps of the random-feature model, as transforms of the accumulated latent sums.

A feature map ``φ_i = σ(u_i·x + b_i)`` turns the statistics of the pre-activations ``h = U x``
(``F_pre = X Uᵀ``, ``C = UΛUᵀ``, ``B_ω = UΛΩXᵀ``, docs/theory.md §4) into what the exact loss needs:

* the training features ``F = σ(F_pre + 1 bᵀ)`` (T x N);
* the feature second moment ``S = E[φ φᵀ]`` (N x N), elementwise from ``C`` and ``b``
  (:mod:`.kernels`: closed forms, or the Mehler series for tanh and user callables);
* the cross moment with the teacher ``E[φ xᵀ] Ω Xᵀ = diag(μ1) B_ω`` by Stein's lemma, with
  ``μ1_i = E σ'(h_i)``.

Then docs/theory.md §4 gives the exact population loss
``L = ½[s_ω − 2 tr(Hᵀ diag(μ1) B_ω) + tr(S H K_ω Hᵀ) + σ_ε² tr(S H Hᵀ)]``; the ridge has no
intercept, so the mean feature ``E φ`` (nonzero for ReLU) enters through the uncentred ``S``.
For ``linear`` without a bias the statistics are passed through unchanged (bit for bit the
linear core). The per-instance sums (``y``, ``UΛw``) become ``(y, diag(μ1) UΛw)``.

Protocol used by :func:`~.simulate.simulate`: ``feature_map(activation, sigma_b)`` once, then
``.prepare(seq, N_max, backend)`` per simulation seed (it draws the biases
``b_i ~ N(0, σ_b²)`` from stream :data:`~scalinglab._rng.STREAM_B`, block 0, N_max values, so
the first N are shared by every sub-grid point) and ``.statistics(stats)`` per grid point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from array_api_compat import array_namespace

from .._rng import STREAM_B, child
from .._validation import check_float, check_int
from .accumulate import InstanceSums, LatentStatistics
from .backend import Backend
from .kernels import ACTIVATIONS, Activation, get_activation

__all__ = ["ACTIVATIONS", "FeatureMap", "PreparedFeatures", "feature_map"]


class PreparedFeatures:
    """A feature map with the biases of one simulation seed drawn (``None`` without a bias)."""

    def __init__(self, activation: Activation, bias: Any | None) -> None:
        self.activation = activation
        self.bias = bias

    @property
    def passthrough(self) -> bool:
        """True for linear features without a bias: the latent sums are used as accumulated."""
        return self.activation.name == "linear" and self.bias is None

    def _bias(self, N: int) -> Any | None:
        return None if self.bias is None else self.bias[:N]

    def statistics(self, stats: LatentStatistics) -> tuple[Any, Any, Any]:
        """``(F, S, B)`` for the exact loss of :func:`~.ridge_loss.ridge_losses`."""
        if self.passthrough:
            return stats.F, stats.C, stats.B
        bias = self._bias(stats.N)
        pre = stats.F if bias is None else stats.F + bias[None, :]
        moments = self.activation.moments(stats.C, bias)
        return self.activation(pre), moments.second, moments.slope[:, None] * stats.B

    def instance(self, stats: LatentStatistics) -> InstanceSums | None:
        """The per-instance sums with ``UΛw`` replaced by ``diag(μ1) UΛw`` (Stein's lemma)."""
        if stats.instance is None or self.passthrough:
            return stats.instance
        q = array_namespace(stats.C).linalg.diagonal(stats.C)
        slope = self.activation.slope(q, self._bias(stats.N))
        inst = stats.instance
        return InstanceSums(y=inst.y, ULw=slope * inst.ULw, wLw=inst.wLw)


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

    def prepare(
        self, seq: np.random.SeedSequence, N: int, backend: Backend | None = None
    ) -> PreparedFeatures:
        """The map for one simulation seed, with N biases drawn (shared by smaller N)."""
        bias = self.draw_bias(seq, N)
        if bias is not None:
            bias = (backend or Backend()).asarray(bias)
        return PreparedFeatures(self.activation, bias)


def feature_map(
    activation: str | Callable | Activation = "linear", sigma_b: float = 0.0
) -> FeatureMap:
    """The feature map named ``activation`` (or wrapping a callable), bias scale ``sigma_b``."""
    return FeatureMap(activation, sigma_b)
