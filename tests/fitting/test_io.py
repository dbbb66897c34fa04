"""load_table: DataFrame, CSV and Parquet input, column names, seeds and bad values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalinglab.exceptions import ConfigError
from scalinglab.fitting import FitData, load_table


@pytest.fixture
def frame():
    return pd.DataFrame({
        "N": [100.0, 200.0, 400.0, 800.0],
        "T": [1000.0, 1000.0, 2000.0, 2000.0],
        "loss": [0.5, 0.4, 0.3, 0.25],
        "loss_sem": [0.01, 0.01, 0.02, 0.02],
    })  # fmt: skip


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_files_round_trip(frame, tmp_path, suffix):
    path = tmp_path / f"results{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    data = load_table(path)
    np.testing.assert_array_equal(data.N, frame["N"])
    np.testing.assert_array_equal(data.T, frame["T"])
    np.testing.assert_array_equal(data.loss, frame["loss"])
    np.testing.assert_array_equal(data.loss_sem, frame["loss_sem"])
    assert data.seed_losses is None


def test_column_names_are_configurable(frame):
    renamed = frame.rename(columns={"N": "params", "T": "tokens", "loss": "val", "loss_sem": "e"})
    data = load_table(renamed, N="params", T="tokens", loss="val", loss_sem="e")
    np.testing.assert_array_equal(data.loss_sem, frame["loss_sem"])
    single = load_table(frame.drop(columns=["T"]))
    assert np.all(np.isnan(single.T)) and single.n_points == 4


def test_per_seed_rows_are_grouped_by_size():
    rows = pd.DataFrame({
        "N": [100, 100, 100, 200, 200, 200],
        "T": [50, 50, 50, 50, 50, 50],
        "seed": [0, 1, 2, 0, 1, 2],
        "loss": [1.0, 2.0, 3.0, 0.5, 0.7, 0.9],
    })  # fmt: skip
    data = load_table(rows)
    np.testing.assert_array_equal(data.N, [100, 200])
    np.testing.assert_allclose(data.loss, [2.0, 0.7])
    # standard error of the mean: sd (ddof=1) / sqrt(3)
    np.testing.assert_allclose(data.loss_sem, [1.0 / np.sqrt(3), 0.2 / np.sqrt(3)])
    np.testing.assert_array_equal(np.sort(data.seed_losses, axis=1), [[1, 2, 3], [0.5, 0.7, 0.9]])


def test_unequal_seed_counts_are_padded():
    rows = {"N": [100, 100, 200], "T": [50, 50, 50], "seed": [0, 1, 0], "loss": [1.0, 3.0, 0.5]}
    data = load_table(rows)
    assert data.seed_losses.shape == (2, 2)
    assert np.isnan(data.seed_losses[1, 1])
    assert data.loss_sem is None  # one point has a single seed: no standard error


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"loss": [0.5, 0.0, 0.3, 0.2]}, "'loss' column must hold positive finite"),
        ({"loss": [0.5, np.nan, 0.3, 0.2]}, "'loss' column .* missing values"),
        ({"N": [100.0, -1.0, 400.0, 800.0]}, "'N' column must hold positive finite"),
        ({"loss_sem": [0.01, 0.0, 0.02, 0.02]}, "'loss_sem' column must hold positive"),
        ({"loss": ["a", "b", "c", "d"]}, "'loss' column .* must be numeric"),
    ],
)
def test_bad_values_raise_config_error(frame, change, match):
    with pytest.raises(ConfigError, match=match):
        load_table(frame.assign(**change))


def test_missing_columns_and_files(frame, tmp_path):
    with pytest.raises(ConfigError, match="'loss' column"):
        load_table(frame.drop(columns=["loss"]))
    with pytest.raises(ConfigError, match="'N' or 'T' column"):
        load_table(frame.drop(columns=["N", "T"]))
    with pytest.raises(ConfigError, match="existing file"):
        load_table(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="'data' parameter"):
        load_table(42)


def test_from_arrays_checks_lengths():
    with pytest.raises(ConfigError, match="same length"):
        FitData.from_arrays(N=[1.0, 2.0], T=[1.0, 2.0, 3.0], loss=[1.0, 2.0])
