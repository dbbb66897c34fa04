"""Learning-rate schedules as functions of the step (docs/dynamics.md §3).

A schedule maps the update index ``t = 0, 1, …, steps − 1`` to the learning rate of update
``t + 1``. Three shapes are built in, all with peak learning rate ``lr``:

* ``constant``: ``lr_t = lr``;
* ``cosine``: ``lr_t = lr · ½(1 + cos(π t/steps))`` (decays to 0 at the horizon);
* ``wsd`` (warmup–stable–decay): linear warmup over the first ``warmup·steps`` updates, constant,
  then a linear decay to 0 over the last ``decay·steps`` updates.

A callable ``f(t) -> lr_t`` (vectorised over a NumPy array of steps) is accepted as well.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_choice, check_float, check_int
from ..exceptions import ConfigError

SCHEDULES = ("constant", "cosine", "wsd")

Schedule = str | Callable[[np.ndarray], np.ndarray]


def learning_rates(
    schedule: Schedule,
    lr: float,
    steps: int,
    *,
    warmup: float = 0.05,
    decay: float = 0.2,
) -> np.ndarray:
    """The learning rate of each of the ``steps`` updates (array of length ``steps``)."""
    lr = check_float("lr", lr, 0.0, low_open=True)
    steps = check_int("steps", steps, low=0)
    t = np.arange(steps, dtype=np.float64)
    if callable(schedule):
        out = np.asarray(schedule(t), dtype=np.float64) * np.ones(steps)
        if out.shape != (steps,) or not np.all(np.isfinite(out) & (out >= 0)):
            raise ConfigError(
                "The 'schedule' parameter must return finite learning rates >= 0 for every step. "
                "Got an invalid value instead."
            )
        return out
    name = check_choice("schedule", schedule, SCHEDULES)
    if name == "constant":
        return np.full(steps, lr)
    if name == "cosine":
        return lr * 0.5 * (1.0 + np.cos(np.pi * t / max(steps, 1)))
    warmup = check_float("warmup", warmup, 0.0, 1.0)
    decay = check_float("decay", decay, 0.0, 1.0)
    if warmup + decay > 1.0:
        raise ConfigError(
            f"The 'warmup' parameter plus 'decay' must be at most 1. Got {warmup + decay:g} "
            "instead."
        )
    n_warm, n_decay = warmup * steps, decay * steps
    rise = np.minimum(1.0, (t + 1.0) / n_warm) if n_warm > 0 else np.ones(steps)
    fall = np.clip((steps - t) / n_decay, 0.0, 1.0) if n_decay > 0 else np.ones(steps)
    return lr * np.minimum(rise, fall)


def constant_stretches(lrs: np.ndarray, min_run: int) -> list[tuple[int, int, bool]]:
    """``(begin, end, constant)`` covering the updates in order: stretches of at least
    ``min_run`` equal learning rates (``constant``) and the updates between them."""
    lrs = np.asarray(lrs, dtype=np.float64)
    edges = np.flatnonzero(np.diff(lrs)) + 1
    starts = np.concatenate([[0], edges]).astype(int)
    stops = np.concatenate([edges, [lrs.size]]).astype(int)
    out: list[tuple[int, int, bool]] = []
    for a, b in zip(starts, stops):
        if b - a >= min_run:
            out.append((int(a), int(b), True))
        elif out and not out[-1][2]:
            out[-1] = (out[-1][0], int(b), False)
        elif b > a:
            out.append((int(a), int(b), False))
    return out


def log_residual(x, lrs: float | np.ndarray, steps, chunk: int = 256) -> np.ndarray:
    """``Σ_{τ<t} log(1 − lr_τ x)`` (complex, principal branch) for each ``t`` in ``steps``
    (rows) and each ``x`` (columns): the log of the GD residual filter ``Π_{τ<t}(1 − lr_τ x)``
    (docs/dynamics.md §1). Its exponential is the product whatever the branch, signs included
    (a factor ``1 − lr x < 0`` adds ``iπ``). Stretches of equal learning rate cost one term;
    the rest one term per update, ``chunk`` updates at a time. A float ``lrs`` is a constant
    rate: ``t log(1 − lr x)`` for any t."""
    x = np.asarray(x, dtype=np.complex128)
    steps = np.asarray(steps, dtype=np.int64)
    if np.ndim(lrs) == 0:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return steps[:, None] * np.log1p(-float(lrs) * x)[None, :]
    want = np.unique(steps)
    top = int(want[-1]) if want.size else 0
    out = np.zeros((want.size, x.size), dtype=np.complex128)
    acc = np.zeros(x.size, dtype=np.complex128)
    lrs = np.asarray(lrs[:top], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for a, b, constant in constant_stretches(lrs, 32):
            if constant:
                term = np.log1p(-lrs[a] * x)
                inside = (want > a) & (want <= b)
                out[inside] = acc + (want[inside] - a)[:, None] * term
                acc = acc + (b - a) * term
                continue
            for c0 in range(a, b, chunk):
                c1 = min(b, c0 + chunk)
                cum = acc + np.cumsum(np.log1p(-lrs[c0:c1, None] * x), axis=0)
                inside = (want > c0) & (want <= c1)
                out[inside] = cum[want[inside] - c0 - 1]
                acc = cum[-1]
    return out[np.searchsorted(want, steps)]
