"""Figure configs: one TOML file per figure, shipped as package data (``configs/NAME.toml``).

A config holds the figure's shared settings at the top level and two tables, ``[quick]`` and
``[full]``, that override them for ``scalinglab reproduce --quick`` and for the full run.
Nested tables merge key by key, so ``[quick.model]`` can change only ``M``::

    title = "Test loss against N"
    seed = 0
    [model]
    M = 500
    alpha = 1.0
    [quick]
    seeds = 3
    [full]
    seeds = 16
    model = { M = 2000 }

:func:`load_figure_config` returns the merged mapping; ``overrides`` (a mapping merged last) is
how tests shrink a figure further.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .._validation import check_int
from ..exceptions import ConfigError

__all__ = ["Config", "config_text", "load_figure_config", "merge"]

MODES = ("quick", "full")


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``, merging nested mappings key by key (a new dict)."""
    out = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def config_text(name: str) -> str:
    """The shipped TOML text of figure ``name``."""
    path = resources.files("scalinglab.reproduce") / "configs" / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"The 'name' parameter must name a shipped figure config. Got {name!r}.")
    return path.read_text(encoding="utf-8")


class Config(dict):
    """A merged figure config (a dict) with typed, validated access by key."""

    def need(self, key: str) -> Any:
        if key not in self:
            raise ConfigError(f"The '{key}' parameter must be set in the figure config. Got none.")
        return self[key]

    def int(self, key: str, low: int = 0) -> int:
        return check_int(key, self.need(key), low=low)

    def ints(self, key: str) -> list[int]:
        values = self.need(key)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"The '{key}' parameter must be a non-empty list. Got {values!r}.")
        return [check_int(key, v, low=1) for v in values]

    def floats(self, key: str) -> list[float]:
        values = self.need(key)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"The '{key}' parameter must be a non-empty list. Got {values!r}.")
        return [float(v) for v in values]


def load_figure_config(
    name: str, quick: bool = True, overrides: Mapping[str, Any] | None = None
) -> Config:
    """The config of figure ``name`` for the quick or full run, with ``overrides`` merged last."""
    try:
        raw = tomllib.loads(config_text(name))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"The config of figure {name!r} is not valid TOML: {err}") from None
    mode = MODES[0] if quick else MODES[1]
    base = {k: v for k, v in raw.items() if k not in MODES}
    cfg = merge(base, raw.get(mode, {}))
    cfg = merge(cfg, overrides or {})
    cfg["name"] = name
    cfg["mode"] = mode
    return Config(cfg)
