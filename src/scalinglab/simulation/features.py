"""Feature maps of the random-feature model, as transforms of the accumulated latent sums.

A feature map ``φ_i = σ(u_i·x + b_i)`` turns the statistics of the pre-activations ``h = U x``
(``F_pre = X Uᵀ``, ``C = UΛUᵀ``, ``B_ω = UΛΩXᵀ``, docs/theory.md §4) into what the exact loss needs:

* the training features ``F = σ(F_pre + 1 bᵀ)`` (T x N);
* the feature second moment ``S = E[φ φᵀ]`` (N x N), elementwise from ``C`` and ``b``
  (:mod:`scalinglab.features.kernels`: closed forms, or the Mehler series for tanh and user
  callables);
* the cross moment with the teacher ``E[φ xᵀ] Ω Xᵀ = diag(μ1) B_ω`` by Stein's lemma, with
  ``μ1_i = E σ'(h_i)``.

Then docs/theory.md §4 gives the exact population loss
``L = ½[s_ω − 2 tr(Hᵀ diag(μ1) B_ω) + tr(S H K_ω Hᵀ) + σ_ε² tr(S H Hᵀ)]``; the ridge has no
intercept, so the mean feature ``E φ`` (nonzero for ReLU) enters through the uncentred ``S``.
For ``linear`` without a bias the statistics are passed through unchanged (bit for bit the
linear core). The per-instance sums (``y``, ``UΛw``) become ``(y, diag(μ1) UΛw)``.

Protocol used by :func:`~.simulate.simulate`: :func:`scalinglab.features.feature_map` once,
then :func:`prepare_features` per simulation seed (it draws the N_max biases
``b_i ~ N(0, σ_b²)``, the first N shared by every sub-grid point) and ``.statistics(stats)``
per grid point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace

from ..features import Activation, FeatureMap
from .accumulate import InstanceSums, LatentStatistics
from .backend import Backend

__all__ = ["PreparedFeatures", "prepare_features"]


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


def prepare_features(
    fmap: FeatureMap, seq: np.random.SeedSequence, N: int, backend: Backend | None = None
) -> PreparedFeatures:
    """The map for one simulation seed, with N biases drawn (shared by smaller N)."""
    bias = fmap.draw_bias(seq, N)
    if bias is not None:
        bias = (backend or Backend()).asarray(bias)
    return PreparedFeatures(fmap.activation, bias)
