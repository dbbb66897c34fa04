"""Input checks shared by the simulation and the theory of the dynamics module."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, parse_list
from ..exceptions import ConfigError
from ..model import DataModel


def check_model(model: object) -> DataModel:
    """The model itself, or a one-line error naming the 'model' parameter."""
    if not isinstance(model, DataModel):
        raise ConfigError(f"The 'model' parameter must be a DataModel. Got {model!r} instead.")
    return model


def parse_steps(values) -> np.ndarray:
    """Update counts (integers >= 0) from an int, a list or a comma-separated string."""
    return np.asarray([check_int("steps", v, low=0) for v in parse_list("steps", values, int)])
