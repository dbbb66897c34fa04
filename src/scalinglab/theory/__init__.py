"""Deterministic-equivalent theory of the MRS solvable model (docs/theory.md §5).

* :func:`predict` — test loss, bias/variance, training loss at any ridge (exact ridgeless limit
  at ridge 0), with solver diagnostics; :func:`deterministic_equivalent` for any spectrum.
* :func:`optimal_ridge` — γ*(N, T) and the loss there; :func:`compute_optimal` — N*(C), T*(C).
* :func:`regime` — the asymptotic regime of a point; closed forms in
  :mod:`scalinglab.theory.asymptotics`.
"""

from __future__ import annotations

from .equivalent import TheoryResult, deterministic_equivalent, predict, regime
from .optimal import ComputeOptimalResult, OptimalRidgeResult, compute_optimal, optimal_ridge
from .regimes import REGIMES
from .solvers import SolverInfo

__all__ = [
    "REGIMES",
    "ComputeOptimalResult",
    "OptimalRidgeResult",
    "SolverInfo",
    "TheoryResult",
    "compute_optimal",
    "deterministic_equivalent",
    "optimal_ridge",
    "predict",
    "regime",
]
