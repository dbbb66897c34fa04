"""scalinglab: the solvable model of neural scaling laws as a working instrument.

Simulate the Maloney–Roberts–Sully model exactly, predict it with the deterministic-equivalent
theory, measure real data, fit scaling laws, sweep grids and reproduce the paper's figures.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .exceptions import ConfigError, ConvergenceError, NumericalWarning, ResourceError
from .model import DataModel

try:
    __version__ = version("scalinglab")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = [
    "ConfigError",
    "ConvergenceError",
    "DataModel",
    "NumericalWarning",
    "ResourceError",
    "__version__",
]
