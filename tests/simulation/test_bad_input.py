"""Bad input gives a one-line error naming the parameter (Python and CLI)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scalinglab import ConfigError, DataModel, ResourceError
from scalinglab.simulation import simulate

MODEL = DataModel(M=100, alpha=1.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"M": 0}, "M"),
        ({"M": 10, "alpha": 0.0}, "alpha"),
        ({"M": 10, "alpha": float("nan")}, "alpha"),
        ({"M": 10, "noise": -1.0}, "noise"),
        ({"M": 10, "sigma_u": 0.0}, "sigma_u"),
        ({"M": 10, "lambda_plus": float("inf")}, "lambda_plus"),
        ({"M": 3, "spectrum": [1.0, 0.0, 0.5]}, "spectrum"),
        ({"M": 3, "spectrum": [1.0, np.nan, 0.5]}, "spectrum"),
        ({"M": 3, "teacher_power": [1.0, 1.0]}, "teacher_power"),
    ],
)
def test_model_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ConfigError, match=f"'{name}' parameter"):
        DataModel(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"N": 0, "T": 10}, "N"),
        ({"N": 10, "T": -5}, "T"),
        ({"N": 2.5, "T": 10}, "N"),
        ({"N": 10, "T": 10, "ridge": -1e-3}, "ridge"),
        ({"N": 10, "T": 10, "ridge": float("nan")}, "ridge"),
        ({"N": 10, "T": 10, "seeds": 0}, "seeds"),
        ({"N": 10, "T": 10, "backend": "jax"}, "backend"),
        ({"N": 10, "T": 10, "dtype": "float16"}, "dtype"),
        ({"N": 10, "T": 10, "activation": "gelu-ish"}, "activation"),
    ],
)
def test_simulate_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ConfigError, match=f"'{name}' parameter"):
        simulate(MODEL, **kwargs)


def test_oversized_request_is_refused_with_its_size():
    with pytest.raises(ResourceError, match="GiB"):
        simulate(MODEL, N=400_000, T=400_000)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--N", "0"], "'--N' option"),
        (["--alpha", "-1"], "'--alpha' option"),
        (["--ridge", "-0.1"], "'--ridge' option"),
        (["--noise", "nan"], "'--noise' option"),
        (["--T", "ten"], "'--T' option"),
        (["--bogus"], "No such option"),
    ],
)
def test_cli_prints_one_line_and_exits_2(args, needle):
    proc = subprocess.run(
        [sys.executable, "-c", "from scalinglab.cli import main; main()", "simulate", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("Error:")
