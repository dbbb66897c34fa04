"""Input validation with one error-message shape.

Messages read ``The 'NAME' parameter must be KIND in RANGE. Got VALUE instead.`` so that
the CLI can print them on one line and the user sees which parameter to fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .exceptions import ConfigError

__all__ = [
    "check_choice",
    "check_float",
    "check_int",
    "check_positive_array",
    "expand_range",
    "parse_list",
]


def _what(name: str) -> str:
    """``'--N' option`` for a command-line flag, ``'N' parameter`` for a Python argument."""
    return f"'{name}' {'option' if name.startswith('-') else 'parameter'}"


def _fail(name: str, kind: str, got: Any) -> ConfigError:
    if isinstance(got, np.generic):  # a plain number, never "np.float64(0.0)"
        got = got.item()
    return ConfigError(f"The {_what(name)} must be {kind}. Got {got!r} instead.")


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


RANGE_HELP = (
    "LO:HI:K gives K log-spaced values from LO to HI (rounded to distinct integers for integer "
    "options), LO:HI:K:lin K evenly spaced ones"
)
"""The range syntax of every list option, as ``--help`` and the README state it."""


def _number(name: str, text: Any, value: Any) -> float:
    """``text`` as a float, or a :class:`ConfigError` naming ``name`` and the whole ``value``."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise _fail(name, "a comma-separated list of numbers or a range LO:HI:K", value) from None
    if not math.isfinite(number):
        raise ConfigError(
            f"The {_what(name)} must hold finite numbers. Got {str(text).strip()} instead "
            "(out of the floating-point range)."
            if isinstance(text, str)
            else f"The {_what(name)} must hold finite numbers. Got {text} instead."
        )
    return number


def expand_range(name: str, text: str, integer: bool = False) -> list[float]:
    """``"LO:HI:K"`` → K log-spaced values, ``"LO:HI:K:lin"`` → K evenly spaced ones.

    The same values as a sweep file's ``{log = [LO, HI], num = K}`` (``numpy.geomspace``);
    ``integer`` rounds them and keeps the distinct ones, in order (fewer than K when the range
    holds fewer integers).
    """
    parts = [p.strip() for p in text.split(":")]
    spacing = "log"
    if len(parts) == 4:
        spacing = parts.pop().lower()
    shape = "a range LO:HI:K (log-spaced) or LO:HI:K:lin (evenly spaced)"
    if len(parts) != 3 or spacing not in ("log", "lin"):
        raise _fail(name, shape, text)
    lo, hi = _number(name, parts[0], text), _number(name, parts[1], text)
    count = _number(name, parts[2], text)
    if count != int(count) or count < 1:
        raise ConfigError(
            f"The {_what(name)}'s range {text} must end in a count K >= 1. Got {parts[2]} instead."
        )
    if hi < lo:
        raise ConfigError(
            f"The {_what(name)}'s range {text} must have LO <= HI. Got {lo:g} > {hi:g} instead."
        )
    if spacing == "log" and lo <= 0:
        raise ConfigError(
            f"The {_what(name)}'s log range {text} must start above 0. Got {lo:g} instead "
            "(use LO:HI:K:lin for a range from 0)."
        )
    space = np.geomspace if spacing == "log" else np.linspace
    values = space(lo, hi, int(count)).tolist()
    if spacing == "log" and values:  # geomspace's end points are exact; keep them so
        values[0], values[-1] = lo, hi
    if integer:
        return [float(v) for v in dict.fromkeys(round(v) for v in values)]
    return values


def parse_list(name: str, value: Any, convert: type = float) -> list:
    """Turn ``"100,200,400"``, ranges ``"10:1e4:30"``, a scalar or a sequence into a list.

    Comma-separated items are numbers or ranges (:func:`expand_range`); the result is a non-empty
    list of ``convert`` (``int`` or ``float``), and ``name`` (the user's flag) is in every error.
    """
    integer = convert is int
    if isinstance(value, str):
        items: list[Any] = []
        for item in (v.strip() for v in value.split(",")):
            if ":" in item:
                items.extend(expand_range(name, item, integer))
            elif item:
                items.append(item)
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        items = [value]
    kind = "integers" if integer else "numbers"
    if not items:
        raise _fail(name, f"a non-empty comma-separated list of {kind}", value)
    out = []
    for item in items:
        number = _number(name, item, value)
        if integer:
            if number != int(number):
                raise ConfigError(f"The {_what(name)} must hold integers. Got {item} instead.")
            out.append(int(number))
        else:
            out.append(number)
    return out
