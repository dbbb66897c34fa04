"""Training dynamics of the MRS model: full-batch GD and one-pass SGD (docs/dynamics.md).

* Exact simulation (:mod:`.simulate`): :func:`simulate_gd`, :func:`simulate_sgd`,
  :func:`sample_sgd`, :func:`stable_lr`.
* Theory (:mod:`.theory`, :mod:`.gd_theory`, never importing the simulation):
  ``train_curve`` (SGD and GD), the closed-form power laws and ``compute_optimal_sgd``.
"""

from __future__ import annotations

from .result import DynamicsResult
from .schedules import SCHEDULES, learning_rates
from .simulate import sample_sgd, simulate_gd, simulate_sgd, stable_lr

__all__ = [
    "SCHEDULES",
    "DynamicsResult",
    "learning_rates",
    "sample_sgd",
    "simulate_gd",
    "simulate_sgd",
    "stable_lr",
]
