"""``scalinglab fit FILE``: JSON output, holdout, frontier, plot, warnings and errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from fitting.fitting_helpers import make_data
from scalinglab.cli import cli, main
from scalinglab.fitting import fit_scaling_law


@pytest.fixture
def csv_path(tmp_path):
    data = make_data("chinchilla", seed=2)
    path = tmp_path / "runs.csv"
    pd.DataFrame({"N": data.N, "T": data.T, "loss": data.loss}).to_csv(path, index=False)
    return path


def test_json_output_matches_the_library(csv_path):
    args = ["fit", str(csv_path), "--form", "chinchilla", "--bootstrap", "20", "--n-grid", "2"]
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    for key in ("form", "params", "stderr", "ci", "converged", "objective", "n_points"):
        assert key in result
    assert result["converged"] is True
    lib = fit_scaling_law(pd.read_csv(csv_path), "chinchilla", n_bootstrap=20, n_grid=2)
    assert result["params"] == pytest.approx(lib.params, rel=1e-12)
    for name, (lo, hi) in lib.ci.items():
        assert result["ci"][name] == pytest.approx([lo, hi], rel=1e-12)


def test_holdout_frontier_and_plot(csv_path, tmp_path):
    png = tmp_path / "fit.png"
    args = ["fit", str(csv_path), "--form", "chinchilla", "--bootstrap", "0", "--n-grid", "2"]
    args += ["--holdout-above", "N=1e9", "--budget", "1e18,1e20", "--plot", str(png), "--json"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["n_points"] == 70 and result["extrapolation"]["n_heldout"] == 30
    assert len(result["frontier"]["points"]) == 2
    assert png.stat().st_size > 10_000  # a rendered figure, not an empty file


def test_text_output_and_single_variable_form(tmp_path):
    data = make_data("power-N", seed=0)
    path = tmp_path / "n.parquet"
    pd.DataFrame({"params": data.N, "val": data.loss}).to_parquet(path)
    args = ["fit", str(path), "--form", "power", "--variable", "N", "--N-column", "params"]
    args += ["--loss-column", "val", "--bootstrap", "10", "--plot", str(tmp_path / "p.png")]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "power-N" in out.stdout and "bootstrap-percentile" in out.stdout


def test_non_convergence_warns_on_stderr(csv_path):
    args = ["fit", str(csv_path), "--form", "kaplan", "--maxiter", "2", "--n-grid", "2",
            "--bootstrap", "0", "--json"]  # fmt: skip
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["converged"] is False
    assert out.stderr.startswith("Warning: the fit did not converge")


def test_bad_input_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"N": [1e3, 1e3, 1e3], "T": [1e3, 1e4, 1e5], "loss": [1.0, 0.5, 0.3]}).to_csv(
        path, index=False
    )
    with pytest.raises(SystemExit) as stop:
        main(["fit", str(path), "--form", "mrs"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: The 'N' column must take at least 2 distinct values")
    assert err.count("\n") == 1
