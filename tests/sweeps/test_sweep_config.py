"""Sweep files: the documented forms parse, and every bad key or value is a one-line error."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.cli import main
from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import AXES, expand_tasks, load_config

ISSUE_EXAMPLE = """
seeds = 4
[grid]
M = [2000]
alpha = [1.0]
N = [100, 200, 400]
T = [100, 200, 400]
ridge = [0.0, 0.01]
noise = [0.0]
activation = ["linear"]
"""


def write(tmp_path, text: str):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return path


def test_the_issue_example_parses_with_defaults(tmp_path):
    config = load_config(write(tmp_path, ISSUE_EXAMPLE))
    assert config.seeds == 4 and config.seed == 0 and config.backend == "numpy"
    assert config.grid.N == (100, 200, 400) and config.grid.ridge == (0.0, 0.01)
    # Axes not in the file take the DataModel defaults.
    assert config.grid.sigma_w == (1.0,) and config.grid.lambda_plus == (1.0,)
    # One task per seed of the single (M, alpha, noise, ...) point.
    assert len(expand_tasks(config)) == 4


def test_log_range_matches_geomspace_and_rounds_integer_axes(tmp_path):
    text = ISSUE_EXAMPLE.replace("N = [100, 200, 400]", "N = { log = [100, 10000], num = 9 }")
    text = text.replace("ridge = [0.0, 0.01]", "ridge = { log = [1e-4, 1], num = 5 }")
    grid = load_config(write(tmp_path, text)).grid
    # Independent reference: 10^(2 + k/4) for k = 0..8, rounded to the nearest integer.
    assert grid.N == tuple(round(10 ** (2 + k / 4)) for k in range(9))
    np.testing.assert_allclose(grid.ridge, [1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)
    # Rounding a narrow integer range drops repeated values: 10, 10.47, 10.95, 11.47, 12.
    tight = load_config({"grid": {"N": {"log": [10, 12], "num": 5}, "T": 5}}).grid
    assert tight.N == (10, 11, 12) and tight.T == (5,)


def test_every_axis_and_setting_is_accepted():
    config = load_config(
        {
            "seeds": 2,
            "seed": 11,
            "backend": "torch",
            "device": "cpu",
            "dtype": "float32",
            "out": "runs/x",
            "grid": {
                a: v for a, v in zip(AXES, [100, 0.5, 10, 20, 0.1, 0.2, 1.5, 2, 3, 0.5, "relu"])
            },
        }
    )
    assert config.grid.sigma_u == (2.0,) and config.grid.activation == ("relu",)
    assert config.grid.sigma_b == (0.5,)
    assert config.dtype == "float32" and config.out == "runs/x"
    # The hash ignores the output folder but not the content.
    moved = load_config({**config.model_dump(), "out": "elsewhere"})
    assert moved.content_hash() == config.content_hash()
    assert load_config({**config.model_dump(), "seed": 12}).content_hash() != config.content_hash()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grid": {"N": [1], "T": [1], "Q": [1]}}, r"unknown key 'grid\.Q'.*M, alpha, N, T"),
        ({"grid": {"N": [1], "T": [1]}, "seedz": 1}, r"unknown key 'seedz'.*seeds"),
        ({"grid": {"N": [10.5], "T": [1]}}, r"'grid\.N' parameter must be a list of integers"),
        ({"grid": {"N": ["a"], "T": [1]}}, r"'grid\.N'.*Got 'a' instead"),
        ({"grid": {"N": [10], "T": [1], "alpha": [0.0]}}, r"'grid\.alpha'.*floats > 0"),
        ({"grid": {"N": [10], "T": [1], "ridge": [-1]}}, r"'grid\.ridge'.*floats >= 0"),
        ({"grid": {"N": [10, 10], "T": [1]}}, r"'grid\.N' parameter must list distinct"),
        ({"grid": {"N": [], "T": [1]}}, r"'grid\.N' parameter must be"),
        ({"grid": {"N": {"log": [1, 10]}, "T": [1]}}, r"'grid\.N'.*log = \[low, high\]"),
        ({"grid": {"N": {"log": [10, 1], "num": 3}, "T": [1]}}, r"low <= high"),
        (
            {"grid": {"N": [10], "T": [1], "activation": ["softplus"]}},
            r"'grid\.activation'.*linear",
        ),
        ({"grid": {"N": [10]}}, r"'grid\.T' parameter is required"),
        ({"seeds": 4}, r"'grid' parameter is required"),
        ({"grid": [1, 2]}, r"'grid' parameter must be a table"),
        ({"grid": {"N": [10], "T": [1]}, "seeds": 0}, r"'seeds' parameter must be an integer"),
        ({"grid": {"N": [10], "T": [1]}, "seeds": "4"}, r"'seeds' parameter must be an integer"),
        ({"grid": {"N": [10], "T": [1]}, "backend": "jax"}, r"'backend'.*'numpy', 'torch'"),
        ({"grid": {"N": [10], "T": [1]}, "device": "tpu"}, r"'device'.*'cpu', 'cuda'"),
    ],
)
def test_bad_files_raise_config_error_naming_the_key(data, message):
    with pytest.raises(ConfigError, match=message):
        load_config(data)


def test_unreadable_or_invalid_toml(tmp_path):
    with pytest.raises(ConfigError, match="readable TOML file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "seeds = = 4"))


def test_cli_prints_one_line_and_exits_2_before_any_compute(tmp_path, capsys):
    path = write(tmp_path, ISSUE_EXAMPLE.replace("noise = [0.0]", "noise = [-0.1]"))
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("Error: The 'grid.noise' parameter")
    assert not (tmp_path / "out").exists()


def test_estimator_setting_reaches_the_tasks_and_the_hash(tmp_path):
    """``estimator = "full"`` is validated, passed to every task and part of the content hash;
    left unset it keeps the hash of a file without it."""
    from scalinglab.sweeps.config import load_config
    from scalinglab.sweeps.tasks import expand_tasks

    base = "[grid]\nN = [10]\nT = [20]\nM = [50]\n"
    plain = tmp_path / "plain.toml"
    plain.write_text(base)
    full = tmp_path / "full.toml"
    full.write_text('estimator = "full"\n' + base)
    bad = tmp_path / "bad.toml"
    bad.write_text('estimator = "exact"\n' + base)
    assert {t.estimator for t in expand_tasks(load_config(full))} == {"full"}
    assert load_config(full).content_hash() != load_config(plain).content_hash()
    assert "estimator" not in load_config(plain).canonical()
    with pytest.raises(ConfigError, match="'estimator' parameter must be one of"):
        load_config(bad)
