"""Feature maps of the random-feature model, as transforms of the accumulated latent sums.

A feature map turns the statistics of the pre-activations ``h = U x`` (``F_pre = X Uᵀ``,
``C = UΛUᵀ``, ``B_ω = UΛΩXᵀ``, spec §5.1) into what the exact loss needs:
the training features ``F``, the feature second moment ``S = E[φ φᵀ]`` and the cross moment
with the teacher ``E[φ (w·x)]`` averaged into ``B``. For linear features these are
``F_pre``, ``C`` and ``B_ω`` themselves.
"""

from __future__ import annotations

from typing import Any

from .._validation import check_choice
from .accumulate import LatentStatistics

ACTIVATIONS = ("linear",)


class LinearFeatures:
    """``φ = U x`` (spec §3.1): the statistics are used as accumulated."""

    name = "linear"

    def statistics(self, stats: LatentStatistics) -> tuple[Any, Any, Any]:
        """``(F, S, B)`` for the exact loss of :func:`~.ridge_loss.ridge_losses`."""
        return stats.F, stats.C, stats.B


def feature_map(activation: str) -> LinearFeatures:
    """The feature map named ``activation``."""
    check_choice("activation", activation, ACTIVATIONS)
    return LinearFeatures()
