"""``scalinglab simulate``: JSON records carry every input under its flag's name."""

from __future__ import annotations

import json

from click.testing import CliRunner

from scalinglab.cli import cli
from scalinglab.model import DataModel
from scalinglab.simulation import simulate


def test_json_records_cover_the_grid_and_match_the_library():
    args = ["simulate", "--M", "300", "--alpha", "0.5", "--N", "20,40", "--T", "60"]
    args += ["--ridge", "0,0.01", "--noise", "0.1", "--seeds", "3", "--seed", "7", "--json"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    records = json.loads(out.output)
    assert len(records) == 4
    keys = {"M", "alpha", "N", "T", "ridge", "noise", "sigma_w", "sigma_u", "lambda_plus"}
    assert keys | {"loss", "loss_sem", "train_loss", "seeds", "seed"} <= set(records[0])
    model = DataModel(M=300, alpha=0.5, noise=0.1)
    lib = simulate(model, N=[20, 40], T=60, ridge=[0, 0.01], seeds=3, seed=7).records()
    for got, want in zip(records, lib):
        assert got["N"] == want["N"] and got["ridge"] == want["ridge"]
        assert got["loss"] == want["loss"]
        assert got["seeds"] == 3 and got["M"] == 300 and got["noise"] == 0.1


def test_table_output_is_readable():
    out = CliRunner().invoke(cli, ["simulate", "--M", "200", "--N", "10", "--T", "30"])
    assert out.exit_code == 0
    assert "loss_sem" in out.output and "30" in out.output
