"""Input validation with one error-message shape.

Messages read ``The 'NAME' parameter must be KIND in RANGE. Got VALUE instead.`` so that
the CLI can print them on one line and the user sees which parameter to fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .exceptions import ConfigError

__all__ = [
    "check_choice",
    "check_float",
    "check_int",
    "check_positive_array",
    "parse_list",
]


def _fail(name: str, kind: str, got: Any) -> ConfigError:
    return ConfigError(f"The '{name}' parameter must be {kind}. Got {got!r} instead.")


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "(" if (low_open or low is None) else "["
    right = ")" if (high_open or high is None) else "]"
    return f"{left}{lo}, {hi}{right}"


def check_int(name: str, value: Any, low: int | None = 1, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise a :class:`ConfigError`."""
    kind = f"an integer in {_interval(low, high, False, False)}"
    if isinstance(value, bool):
        raise _fail(name, kind, value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(value) or value != int(value):
            raise _fail(name, kind, value)
        value = int(value)
    if not isinstance(value, int | np.integer):
        raise _fail(name, kind, value)
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise _fail(name, kind, value)
    return value


def check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a finite float in the given interval or raise a :class:`ConfigError`."""
    kind = f"a float in {_interval(low, high, low_open, high_open)}"
    if isinstance(value, bool):
        raise _fail(name, kind, value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise _fail(name, kind, value) from None
    if math.isnan(out) or (math.isinf(out) and not allow_inf):
        raise _fail(name, kind, value)
    if low is not None and (out < low or (low_open and out == low)):
        raise _fail(name, kind, value)
    if high is not None and (out > high or (high_open and out == high)):
        raise _fail(name, kind, value)
    return out


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a :class:`ConfigError`."""
    choices = list(choices)
    if value not in choices:
        raise _fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_positive_array(name: str, value: Any) -> np.ndarray:
    """Return a 1-D float64 array of finite, strictly positive entries."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _fail(name, "a 1-D array of positive finite floats", value) from None
    if arr.ndim != 1 or arr.size == 0:
        raise _fail(name, "a non-empty 1-D array of positive finite floats", f"shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(name, "an array of positive finite floats", f"{float(arr[i])!r} at index {i}")
    return arr


def parse_list(name: str, value: Any, convert: type = float) -> list:
    """Turn ``"100,200,400"``, a scalar or a sequence into a non-empty list of ``convert``."""
    if isinstance(value, str):
        items: Sequence[Any] = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        items = [value]
    if not items:
        raise _fail(name, f"a non-empty comma-separated list of {convert.__name__}s", value)
    out = []
    for item in items:
        try:
            number = float(item)
        except (TypeError, ValueError):
            raise _fail(name, f"a comma-separated list of {convert.__name__}s", value) from None
        if convert is int:
            if not math.isfinite(number) or number != int(number):
                raise _fail(name, "a comma-separated list of integers", value)
            out.append(int(number))
        else:
            out.append(number)
    return out
