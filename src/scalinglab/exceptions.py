"""Exceptions and warnings raised by scalinglab.

Every user-facing error is a :class:`ConfigError` whose message names the offending
parameter and its allowed range, in one shape::

    The 'ridge' parameter must be a float in [0, inf). Got -1.0 instead.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A parameter, option or input file is invalid (the message names it)."""


class ResourceError(ConfigError):
    """A request would need more memory than this machine has (the message gives the size)."""


class ConvergenceError(RuntimeError):
    """A numerical solver did not converge."""


class NumericalWarning(UserWarning):
    """A result is limited by floating-point precision (e.g. cancellation, float32)."""


class EstimateWarning(UserWarning):
    """An estimate cannot be trusted for this input (the message names why and what to change)."""
