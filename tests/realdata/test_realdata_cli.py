"""The real-data commands: JSON keys and one-line errors."""

from __future__ import annotations

import json

import pytest

from realdata.realdata_helpers import needs_fashion
from scalinglab.cli import main


def _json(capsys, argv):
    main(argv)
    return json.loads(capsys.readouterr().out)


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_spectrum_dataset_json(capsys):
    (rec,) = _json(capsys, ["spectrum", "--dataset", "digits", "--n-boot", "8", "--json"])
    for key in ("dataset", "n_samples", "dim", "eigenvalues", "exponent", "exponent_ci",
                "fit_range", "fit_quality", "exponent_raw", "exponent_bias"):  # fmt: skip
        assert key in rec
    assert rec["n_samples"] == 1797 and rec["dim"] == 64 and len(rec["eigenvalues"]) == 64


def test_spectrum_features_and_plot(capsys, tmp_path):
    out = tmp_path / "s.png"
    (rec,) = _json(capsys, ["spectrum", "--dataset", "lfw", "--features", "relu", "--N", "300",
                            "--n-boot", "0", "--json", "--plot", str(out)])  # fmt: skip
    assert rec["N"] == 300 and len(rec["eigenvalues"]) == 200 and out.stat().st_size > 0


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
@pytest.mark.slow  # two estimates on digits (fast: test_readme_predict_command_warns_nothing)
def test_dimension_and_predict_json(capsys):
    (rec,) = _json(capsys, ["dimension", "--dataset", "digits", "--json"])
    assert "mle" in rec and "twonn" in rec and rec["mle_ci"][0] < rec["mle"] < rec["mle_ci"][1]
    res = _json(capsys, ["predict", "--dataset", "digits", "--N", "50,100", "--T", "100",
                         "--seeds", "1", "--json"])  # fmt: skip
    assert len(res["records"]) == 2 and "exponent_N_predicted" in res


def test_missing_directory_is_a_one_line_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["spectrum", "--dataset", f"mnist:{tmp_path / 'none'}"])
    assert stop.value.code == 2
    assert "train-images-idx3-ubyte" in capsys.readouterr().err


def test_readme_predict_command_warns_nothing(capsys):
    # README: every exponent has two points on its side of the peak, so no warning (errors here)
    main(["predict", "--dataset", "digits", "--target", "linear", "--N", "100,200,400",
          "--T", "100,200,400"])  # fmt: skip
    out = capsys.readouterr().out
    assert "exponent_T: predicted" in out and "(at N = 400, T = [100, 200])" in out


@pytest.mark.slow
@needs_fashion
def test_readme_fashion_relu_spectrum(capsys, tmp_path):
    # README's example with its defaults: 3 feature draws, 30 parametric replicates
    plot = tmp_path / "spectrum.png"
    main(["spectrum", "--dataset", "fashion-mnist", "--features", "relu", "--N", "2000",
          "--plot", str(plot)])  # fmt: skip
    captured = capsys.readouterr()
    assert plot.stat().st_size > 0 and "fashion-mnist" in captured.out
    assert "good" in captured.out and "Warning" not in captured.err
