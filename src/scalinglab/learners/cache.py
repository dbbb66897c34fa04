"""Finished units of work of an exponent study on disk, so that a stopped study resumes
(docs/exponents.md §4).

A *unit* is one learner fit at one point (seed, T or width) of a measured curve, or one pool
(replicate) of the prediction. Each is written as it finishes to one small JSON file in
``DIR/<context>/<unit>.json``, both names SHA-256 digests of canonical JSON: the *context*
holds every input shared by the units (the data set's bytes after standardisation and target
construction, learner, kernel, ridge, sizes, training rule, seed), the *unit* its own inputs
(seed index, T, width, the derived initialisation seed, ...). A rerun with the same inputs
reads a unit instead of computing it; any changed input changes a digest and is computed
afresh. Floats are stored by ``repr`` (exact round trip), so resumed numbers are bit-identical
to an uninterrupted run. A file that cannot be read or does not match its key is recomputed.

The default folder is ``$SCALINGLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/scalinglab/exponents``,
else ``~/.cache/scalinglab/exponents`` (:func:`default_cache_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CACHE_ENV",
    "FAULT_ENV",
    "Scope",
    "UnitStore",
    "data_digest",
    "default_cache_dir",
    "scope_or_nothing",
]

CACHE_ENV = "SCALINGLAB_CACHE_DIR"
FAULT_ENV = "SCALINGLAB_EXPONENTS_TEST_FAULT"
"""Test hook: ``interrupt:K`` raises KeyboardInterrupt, ``terminate:K`` sends this process
SIGTERM, before the (K+1)-th unit it computes (tests of the resume path only)."""

_VERSION = 1  # bump when a unit's computation changes, so that old files are not reused


def default_cache_dir() -> Path:
    """``$SCALINGLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/scalinglab/exponents``, else
    ``~/.cache/scalinglab/exponents``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "scalinglab" / "exponents"


def data_digest(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' dtypes, shapes and bytes (C order)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def _digest(obj: Any) -> str:
    return hashlib.sha256(_canonical(obj).encode()).hexdigest()[:32]


def _inject(action: str) -> None:
    """The failure of :data:`FAULT_ENV`."""
    if action == "interrupt":
        raise KeyboardInterrupt
    import signal

    os.kill(os.getpid(), signal.SIGTERM)


class UnitStore:
    """A folder of finished units (or none: ``directory=None`` computes everything); counts
    the units it read (``reused``) and wrote (``saved``) in this process."""

    def __init__(self, directory: str | os.PathLike | None) -> None:
        self.directory = None if directory is None else Path(directory)
        self.reused = 0
        self.saved = 0
        self._computed = 0
        action, _, after = os.environ.get(FAULT_ENV, "").partition(":")
        self._fault = (action, int(after)) if action in ("interrupt", "terminate") else None

    def scope(self, context: dict[str, Any]) -> Scope:
        """The units of one context (module docstring)."""
        return Scope(self, {"version": _VERSION, **context})


class Scope:
    """The units of one context of a :class:`UnitStore`."""

    def __init__(self, store: UnitStore, context: dict[str, Any]) -> None:
        self.store = store
        self.context = json.loads(_canonical(context))
        self.folder = None if store.directory is None else store.directory / _digest(context)

    def _path(self, unit: dict[str, Any]) -> Path | None:
        return None if self.folder is None else self.folder / f"{_digest(unit)}.json"

    def get(self, unit: dict[str, Any]) -> Any | None:
        """The stored value of ``unit``, or None (absent, unreadable or another key)."""
        path = self._path(unit)
        if path is None or not path.is_file():
            return None
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if record.get("context") != self.context or record.get("unit") != json.loads(
            _canonical(unit)
        ):
            return None
        self.store.reused += 1
        return record["value"]

    def put(self, unit: dict[str, Any], value: Any) -> None:
        """Write ``value`` of ``unit`` atomically (a temporary file renamed into place)."""
        path = self._path(unit)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        text = _canonical({"context": self.context, "unit": unit, "value": value})
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.store.saved += 1

    def fetch(self, unit: dict[str, Any], compute: Callable[[], Any]) -> Any:
        """The stored value of ``unit``, else ``compute()`` written as it finishes."""
        value = self.get(unit)
        if value is None:
            store = self.store
            if store._fault is not None and store._computed == store._fault[1]:
                _inject(store._fault[0])
            value = json.loads(_canonical(compute()))
            store._computed += 1
            self.put(unit, value)
        return value


def scope_or_nothing(cache: Scope | None) -> Scope:
    """``cache``, or a scope that stores nothing (every unit is computed)."""
    return cache if cache is not None else UnitStore(None).scope({})
