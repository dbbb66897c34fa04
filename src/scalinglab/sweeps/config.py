"""Sweep files: a TOML file that names the axes of a grid, validated before any compute.

A sweep file looks like::

    seeds = 4                 # independent draws per grid point
    seed = 0                  # base seed (each task's seed is spawned from it, see tasks.py)
    backend = "numpy"         # optional: numpy | torch, with device = cpu | cuda, dtype
    estimator = "full"        # optional: full | conditional (default: simulate's choice)
    out = "runs/small"        # optional output folder (``--out`` overrides it)

    [grid]
    M = [2000]
    alpha = [1.0]
    N = { log = [100, 10000], num = 9 }
    T = [100, 200, 400]
    ridge = [0.0, 0.01]

Every axis is a list of values, a single value, or a log-spaced range
``{ log = [low, high], num = k }`` (``numpy.geomspace``; integer axes are rounded and
repeated values dropped). The axes use the paper's names (docs/theory.md §1): N, T, M, alpha, ridge
(γ), noise (σ_ε), sigma_w, sigma_u, lambda_plus, and the feature map ``activation`` with its bias
scale ``sigma_b`` (features ``σ(Ux + b)``, ``b_i ~ N(0, sigma_b²)``, docs/theory.md §11).

A ``[dynamics]`` table turns the sweep into training curves of GD or one-pass SGD
(docs/dynamics.md) instead of ridge losses::

    [dynamics]
    optimizer = "sgd"         # gd: full batch on the grid's T samples; sgd: one pass
    lr = 0.5                  # the absolute learning rate (scalinglab dynamics --lr)
    steps = { log = [1, 10000], num = 20 }
    batch = [1, 8]            # sgd only: fresh samples per update
    schedule = "constant"     # constant | cosine | wsd

Every row is then one (grid point, seed, N, T or batch, step); for SGD the grid has no T axis
and a row's ``T`` is the number of samples seen, ``step × batch``. Dynamics grids are linear
features at ridge 0.

Validation uses pydantic models with unknown keys forbidden; every problem is raised as a
:class:`~scalinglab.exceptions.ConfigError` naming the key and its allowed values.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from .._validation import check_choice, check_float, check_int
from ..dynamics.schedules import SCHEDULES
from ..exceptions import ConfigError
from ..features import ACTIVATIONS
from ..simulation.backend import BACKENDS, DTYPES
from ..simulation.simulate import ESTIMATORS
from .cluster import ClusterConfig

__all__ = [
    "AXES",
    "DynamicsConfig",
    "GridConfig",
    "SweepConfig",
    "load_config",
]

DEVICES = ("cpu", "cuda")
CHOICES = {"backend": BACKENDS, "device": DEVICES, "dtype": DTYPES}

# axis -> (kind, low, low_open): the allowed values of each axis (docs/theory.md §1–§2).
_NUMERIC_AXES: dict[str, tuple[type, float, bool]] = {
    "M": (int, 1, False),
    "alpha": (float, 0.0, True),
    "N": (int, 1, False),
    "T": (int, 1, False),
    "ridge": (float, 0.0, False),
    "noise": (float, 0.0, False),
    "sigma_w": (float, 0.0, False),
    "sigma_u": (float, 0.0, True),
    "lambda_plus": (float, 0.0, True),
    "sigma_b": (float, 0.0, False),
}
AXES = (*_NUMERIC_AXES, "activation")
"""Every axis of a grid, in the column order of the result tables."""


def _kind(axis: str) -> str:
    """The allowed values of ``axis`` in words (for error messages)."""
    if axis == "activation":
        return "a list of strings from " + ", ".join(repr(a) for a in ACTIVATIONS)
    kind, low, low_open = _NUMERIC_AXES[axis]
    name = "integers" if kind is int else "floats"
    bound = f"{'>' if low_open else '>='} {low:g}"
    return f"a list of {name} {bound}, or a log range {{ log = [low, high], num = k }}"


def _axis_fail(axis: str, got: Any) -> ConfigError:
    return ConfigError(f"The 'grid.{axis}' parameter must be {_kind(axis)}. Got {got!r} instead.")


def _log_range(axis: str, spec: Mapping[str, Any], kind: type | None = None) -> list[float]:
    """``{log = [low, high], num = k}`` as k log-spaced values (spec of the sweep file)."""
    if set(spec) != {"log", "num"}:
        raise _axis_fail(axis, dict(spec))
    bounds = spec["log"]
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise _axis_fail(axis, dict(spec))
    kind = kind or _NUMERIC_AXES[axis][0]
    lo, hi = (check_float(f"grid.{axis}.log", b, 0.0, low_open=True) for b in bounds)
    if hi < lo:
        raise ConfigError(
            f"The 'grid.{axis}.log' parameter must be [low, high] with low <= high. "
            f"Got {list(bounds)!r} instead."
        )
    num = check_int(f"grid.{axis}.num", spec["num"], low=1)
    values = np.geomspace(lo, hi, num).tolist()
    if kind is int:
        return list(dict.fromkeys(round(v) for v in values))
    return values


def parse_axis(axis: str, value: Any) -> tuple:
    """Validate one axis: a value, a list of distinct values or a log range, as a tuple."""
    if isinstance(value, Mapping):
        if axis == "activation":
            raise _axis_fail(axis, dict(value))
        items = _log_range(axis, value)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    if not items:
        raise _axis_fail(axis, value)
    if axis == "activation":
        out = [check_choice(f"grid.{axis}", v, ACTIVATIONS) for v in items]
    else:
        kind, low, low_open = _NUMERIC_AXES[axis]
        out = []
        for v in items:
            ok = not isinstance(v, bool) and isinstance(v, int | float)
            ok = ok and (kind is float or isinstance(v, int)) and math.isfinite(v)
            ok = ok and (v > low if low_open else v >= low)
            if not ok:
                raise _axis_fail(axis, v)
            out.append(kind(v))
    if len(set(out)) != len(out):
        raise ConfigError(
            f"The 'grid.{axis}' parameter must list distinct values. Got {value!r} instead."
        )
    return tuple(out)


class GridConfig(BaseModel):
    """The axes of a sweep; the grid is their outer product (defaults as :class:`DataModel`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    M: tuple[int, ...] = (2000,)
    alpha: tuple[float, ...] = (1.0,)
    N: tuple[int, ...]
    T: tuple[int, ...] | None = None  # required, except for one-pass SGD (SweepConfig checks)
    ridge: tuple[float, ...] = (0.0,)
    noise: tuple[float, ...] = (0.0,)
    sigma_w: tuple[float, ...] = (1.0,)
    sigma_u: tuple[float, ...] = (1.0,)
    lambda_plus: tuple[float, ...] = (1.0,)
    sigma_b: tuple[float, ...] = (0.0,)
    activation: tuple[str, ...] = ("linear",)

    @field_validator(*AXES, mode="before")
    @classmethod
    def _axis(cls, value: Any, info) -> tuple | None:
        if value is None and info.field_name == "T":  # one-pass SGD, as its manifest stores it
            return None
        return parse_axis(info.field_name, value)


def _counts(key: str, value: Any, low: int) -> tuple[int, ...]:
    """A list of distinct integers >= ``low`` (or a log range) for ``dynamics.KEY``."""
    if isinstance(value, Mapping):
        items = _log_range(f"dynamics.{key}", value, int) if set(value) == {"log", "num"} else None
    else:
        items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        items = None
    if items is None or any(
        isinstance(v, bool) or not isinstance(v, int) or v < low for v in items
    ):
        raise ConfigError(
            f"The 'dynamics.{key}' parameter must be a list of integers >= {low}, or a log range "
            f"{{ log = [low, high], num = k }}. Got {value!r} instead."
        )
    return tuple(sorted(set(items)))


class DynamicsConfig(BaseModel):
    """The ``[dynamics]`` table: GD or one-pass SGD loss curves (docs/dynamics.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    optimizer: str = "sgd"
    lr: float
    steps: tuple[int, ...]
    batch: tuple[int, ...] = (1,)
    schedule: str = "constant"

    @field_validator("optimizer", mode="before")
    @classmethod
    def _optimizer(cls, value: Any) -> str:
        return check_choice("dynamics.optimizer", value, ("gd", "sgd"))

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> str:
        return check_choice("dynamics.schedule", value, SCHEDULES)

    @field_validator("lr", mode="before")
    @classmethod
    def _lr(cls, value: Any) -> float:
        return check_float("dynamics.lr", value, 0.0, low_open=True)

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> tuple[int, ...]:
        return _counts("steps", value, 0)

    @field_validator("batch", mode="before")
    @classmethod
    def _batch(cls, value: Any) -> tuple[int, ...]:
        return _counts("batch", value, 1)


class SweepConfig(BaseModel):
    """A validated sweep: grid axes, seeds, base seed, backend settings and output folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grid: GridConfig
    seeds: int = 1
    seed: int = 0
    backend: str = "numpy"
    device: str = "cpu"
    dtype: str = "float64"
    estimator: str | None = None
    out: str | None = None
    cluster: ClusterConfig | None = None
    dynamics: DynamicsConfig | None = None

    @field_validator("seeds", mode="before")
    @classmethod
    def _seeds(cls, value: Any) -> int:
        return check_int("seeds", value, low=1)

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> int:
        return check_int("seed", value, low=0)

    @field_validator(*CHOICES, mode="before")
    @classmethod
    def _choice(cls, value: Any, info) -> str:
        return check_choice(info.field_name, value, CHOICES[info.field_name])

    @field_validator("estimator", mode="before")
    @classmethod
    def _estimator(cls, value: Any) -> str | None:
        return None if value is None else check_choice("estimator", value, ESTIMATORS)

    @field_validator("out", mode="before")
    @classmethod
    def _out(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or not value):
            raise ConfigError(f"The 'out' parameter must be a folder path. Got {value!r} instead.")
        return value

    @model_validator(mode="after")
    def _task_kind(self) -> SweepConfig:
        """The grid fits the task: T for ridge and GD (not SGD); dynamics at ridge 0, linear."""
        dyn, grid = self.dynamics, self.grid
        sgd = dyn is not None and dyn.optimizer == "sgd"
        if grid.T is None and not sgd:
            raise ConfigError(f"The 'grid.T' parameter is required: it must be {_kind('T')}.")
        if dyn is None:
            return self
        if sgd and grid.T is not None:
            raise ConfigError(
                "The 'grid.T' parameter must be left out for one-pass SGD (a row's T is the "
                f"samples seen, step x batch). Got {list(grid.T)!r} instead."
            )
        if dyn.optimizer == "gd" and dyn.batch != (1,):
            raise ConfigError(
                "The 'dynamics.batch' parameter is for SGD only (GD uses all T samples). "
                f"Got {list(dyn.batch)!r} instead."
            )
        if self.dtype != "float64" or (sgd and self.backend != "numpy"):
            raise ConfigError(
                "The 'backend' and 'dtype' parameters must be numpy/torch with float64 for GD "
                "and numpy for one-pass SGD in a dynamics sweep. Got "
                f"{self.backend}/{self.dtype} instead."
            )
        fixed = {"ridge": (0.0,), "activation": ("linear",), "sigma_b": (0.0,)}
        for axis, allowed in fixed.items():
            if getattr(grid, axis) != allowed:
                raise ConfigError(
                    f"The 'grid.{axis}' parameter must be {allowed[0]!r} for a dynamics sweep. "
                    f"Got {list(getattr(grid, axis))!r} instead."
                )
        return self

    def canonical(self) -> dict[str, Any]:
        """The sweep's content without the output folder and the cluster: what its results
        depend on."""
        unset = {"estimator"} if self.estimator is None else set()  # hashes of older sweeps
        if self.dynamics is None:
            unset.add("dynamics")
        return self.model_dump(mode="json", exclude={"out", "cluster", *unset})

    def content_hash(self) -> str:
        """SHA-256 of :meth:`canonical` (key order and number spelling do not matter)."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _error(err: ValidationError) -> ConfigError:
    """The first pydantic error as a one-line :class:`ConfigError` naming the key."""
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = ".".join(loc)
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return cause
    sections = {"grid": GridConfig, "cluster": ClusterConfig, "dynamics": DynamicsConfig}
    section = sections.get(loc[0], SweepConfig) if len(loc) > 1 else SweepConfig
    allowed = ", ".join(section.model_fields)
    if first["type"] == "extra_forbidden":
        where = f"[{loc[0]}]" if section is not SweepConfig else "the top level"
        return ConfigError(
            f"The sweep file has an unknown key '{key}'. Allowed keys at {where}: {allowed}."
        )
    if first["type"] == "missing":
        what = _kind(loc[-1]) if section is GridConfig else "given"
        return ConfigError(f"The '{key}' parameter is required: it must be {what}.")
    if key == "cluster":
        return ConfigError(
            f"The sweep file's [cluster] must be a table of settings "
            f"({', '.join(ClusterConfig.model_fields)}). Got {first['input']!r} instead."
        )
    if key == "grid":
        return ConfigError(
            f"The 'grid' parameter must be a table of axes ({allowed}). "
            f"Got {first['input']!r} instead."
        )
    return ConfigError(f"The '{key}' parameter is invalid: {first['msg']}.")


def load_config(source: SweepConfig | Mapping[str, Any] | str | Path) -> SweepConfig:
    """A validated :class:`SweepConfig` from a config, a dict or a TOML file path.

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or a key is unknown, of the wrong type or out of
        range (the message names the key and its allowed values).
    """
    if isinstance(source, SweepConfig):
        return source
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = tomllib.loads(path.read_text())
        except OSError as exc:
            raise ConfigError(
                f"The sweep file must be a readable TOML file. Got {str(path)!r} instead "
                f"({exc.strerror})."
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The sweep file {str(path)!r} is not valid TOML: {exc}.") from None
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        raise ConfigError(
            f"The 'config' parameter must be a SweepConfig, a dict or a TOML path. "
            f"Got {source!r} instead."
        )
    try:
        return SweepConfig.model_validate(data)
    except ValidationError as err:
        raise _error(err) from None
