"""scalinglab: the solvable model of neural scaling laws as a working instrument.

Simulate the Maloney–Roberts–Sully model exactly, predict it with the deterministic-equivalent
theory, measure real data, fit scaling laws, sweep grids and reproduce the paper's figures.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .exceptions import ConfigError, ConvergenceError, NumericalWarning, ResourceError
from .fitting import (
    FORMS,
    FitResult,
    compare_forms,
    compute_optimal_frontier,
    extrapolation_check,
    fit_scaling_law,
    load_table,
    register_form,
)
from .model import DataModel
from .simulation import SimulationResult, simulate
from .theory import (
    ComputeOptimalResult,
    OptimalRidgeResult,
    TheoryResult,
    compute_optimal,
    deterministic_equivalent,
    optimal_ridge,
    predict,
    regime,
)

try:
    __version__ = version("scalinglab")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = [
    "FORMS",
    "ComputeOptimalResult",
    "ConfigError",
    "ConvergenceError",
    "DataModel",
    "FitResult",
    "NumericalWarning",
    "OptimalRidgeResult",
    "ResourceError",
    "SimulationResult",
    "TheoryResult",
    "__version__",
    "compare_forms",
    "compute_optimal",
    "compute_optimal_frontier",
    "deterministic_equivalent",
    "extrapolation_check",
    "fit_scaling_law",
    "load_table",
    "optimal_ridge",
    "predict",
    "regime",
    "register_form",
    "simulate",
]
