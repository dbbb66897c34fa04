"""``scalinglab theory`` command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from scalinglab import DataModel
from scalinglab.cli import cli, main
from scalinglab.theory import optimal_ridge, predict


def test_theory_json_records_match_python_api():
    args = ["theory", "--M", "2000", "--N", "200,1000", "--T", "1000", "--ridge", "0,0.01"]
    result = CliRunner().invoke(cli, [*args, "--json", "--optimal-ridge", "--noise", "0.003"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert len(records) == 4  # grid N × T × ridge
    model = DataModel(M=2000, alpha=1.0, noise=0.003)
    for rec in records:
        assert {
            "M",
            "alpha",
            "N",
            "T",
            "ridge",
            "noise",
            "sigma_w",
            "sigma_u",
            "lambda_plus",
        } <= set(rec)
        expected = predict(model, rec["N"], rec["T"], rec["ridge"])
        loss = float(rec["loss"])  # JSON carries inf as the string "inf"
        assert loss == pytest.approx(float(expected.loss), rel=1e-12)
        assert float(rec["bias"]) + float(rec["variance"]) == pytest.approx(loss, rel=1e-12)
        assert rec["train_loss"] == pytest.approx(float(expected.train_loss), rel=1e-12)
        assert rec["regime"] == str(expected.regime)
        assert rec["ridge_opt"] == pytest.approx(
            float(optimal_ridge(model, rec["N"], rec["T"]).ridge)
        )
        assert rec["loss_opt"] <= loss
    # 1000 x 1000 at ridge 0 is the interpolation peak: reported as "inf" with a reason
    peak = next(r for r in records if r["N"] == 1000 and r["ridge"] == 0.0)
    assert peak["loss"] == "inf" and "interpolation peak" in peak["reason"]


def test_theory_table_and_regime():
    result = CliRunner().invoke(cli, ["theory", "--N", "100", "--T", "400", "--regime"])
    assert result.exit_code == 0, result.output
    assert "power_law" in result.output and "loss" in result.output


def test_theory_bad_input_is_one_line_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["theory", "--alpha", "-1"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: The '--alpha' option") and err.count("\n") == 1
    assert np.isfinite(float(predict(DataModel(M=10), 1, 2).loss))
