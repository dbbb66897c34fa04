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
