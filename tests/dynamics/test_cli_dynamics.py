"""``scalinglab dynamics``: records in the common schema, equal to the library's numbers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scalinglab.cli import cli, main
from scalinglab.dynamics import simulate_gd, simulate_sgd
from scalinglab.dynamics.theory import train_curve
from scalinglab.model import DataModel

INPUTS = {"M", "alpha", "N", "T", "noise", "sigma_w", "sigma_u", "lambda_plus", "step", "lr",
          "batch", "optimizer"}  # fmt: skip


def _run(*args):
    out = CliRunner().invoke(cli, ["dynamics", *args])
    assert out.exit_code == 0, out.output
    return out.output


def test_sgd_theory_records_match_the_library():
    records = json.loads(_run("--M", "2000", "--N", "200", "--lr", "4", "--steps", "0,50,500",
                              "--batch", "1,4", "--schedule", "cosine", "--json"))  # fmt: skip
    assert len(records) == 6 and INPUTS | {"loss", "schedule"} <= set(records[0])
    want = train_curve(DataModel(M=2000), 200, [0, 50, 500], 4.0, batch=4, schedule="cosine")
    got = [r["loss"] for r in records if r["batch"] == 4]
    assert got == pytest.approx(list(want.loss[0, 0, 0]), rel=1e-12)
    assert records[-1]["T"] == 4 * 500  # samples seen


def test_gd_with_a_schedule_in_theory_and_simulation():
    args = ("--optimizer", "gd", "--M", "300", "--N", "20", "--T", "30", "--lr", "0.5",
            "--steps", "0,5,50", "--schedule", "wsd", "--noise", "0.1", "--json")  # fmt: skip
    sim = json.loads(_run(*args, "--simulate", "--seeds", "2"))
    model = DataModel(M=300, noise=0.1)
    want = simulate_gd(model, 20, 30, [0, 5, 50], 0.5, schedule="wsd", seeds=2)
    assert [r["loss"] for r in sim] == pytest.approx(list(want.loss_mean[0, 0]), rel=1e-12)
    assert {r["schedule"] for r in sim} == {"wsd"}
    theory = json.loads(_run(*args))
    want = train_curve(model, 20, [0, 5, 50], 0.5, optimizer="gd", T=30, schedule="wsd")
    assert [r["loss"] for r in theory] == pytest.approx(list(want.loss[0, 0, 0]), rel=1e-12)


def test_simulated_gd_and_sgd_records():
    args = ("--M", "300", "--N", "20,40", "--T", "30", "--lr", "0.5", "--steps", "0,5,50")
    records = json.loads(_run("--optimizer", "gd", "--simulate", "--seeds", "2", "--noise",
                              "0.1", *args, "--json"))  # fmt: skip
    assert len(records) == 6
    assert INPUTS | {"loss", "loss_sem", "train_loss", "seeds"} <= set(records[0])
    model = DataModel(M=300, noise=0.1)
    lib = simulate_gd(model, [20, 40], 30, [0, 5, 50], 0.5, seeds=2).records()
    assert [r["loss"] for r in records] == [r["loss"] for r in lib]
    assert {r["estimator"] for r in records} == {"conditional"}  # the default, as simulate's
    full = json.loads(_run("--optimizer", "gd", "--simulate", "--seeds", "2", "--noise", "0.1",
                           "--estimator", "full", *args, "--json"))  # fmt: skip
    lib = simulate_gd(model, [20, 40], 30, [0, 5, 50], 0.5, seeds=2, estimator="full").records()
    assert [r["loss"] for r in full] == [r["loss"] for r in lib]
    assert {r["estimator"] for r in full} == {"full"}
    records = json.loads(_run("--simulate", "--seeds", "2", *args, "--json"))
    lib = simulate_sgd(DataModel(M=300), [20, 40], [0, 5, 50], 0.5, seeds=2).records()
    assert [r["loss"] for r in records] == [r["loss"] for r in lib]
    assert "loss_sem" in records[0] and records[0]["optimizer"] == "sgd"


def test_gd_theory_records_match_the_library():
    records = json.loads(_run("--optimizer", "gd", "--M", "2000", "--N", "200", "--T", "400",
                              "--lr", "4", "--steps", "0,10,100", "--json"))  # fmt: skip
    want = train_curve(DataModel(M=2000), 200, [0, 10, 100], 4.0, optimizer="gd", T=400)
    assert [r["loss"] for r in records] == pytest.approx(list(want.loss[0, 0, 0]), rel=1e-12)
    assert records[0]["T"] == 400 and records[0]["optimizer"] == "gd"


def test_compute_optimal_prints_exponents():
    out = _run("--M", "100000", "--compute-optimal", "--budget", "1e5,1e6,1e7")
    assert "N* ~ C^" in out and "closed form 0.3333" in out


@pytest.mark.slow  # 196 GD theory curves: about 20 s
def test_gd_compute_optimal_prints_exponents():
    out = _run("--optimizer", "gd", "--M", "100000", "--compute-optimal", "--budget", "1e6,1e7")
    assert "T* ~ C^" in out and "steps* ~ C^" in out and "closed form 0.2500" in out


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--M", "2000", "--N", "200"], "'--lr'"),  # missing lr: told the stable range
        (["--optimizer", "gd", "--lr", "1000", "--N", "200", "--T", "400"], "'--lr'"),
        (["--ridge", "0.1", "--lr", "1"], "'--ridge'"),
        (["--steps", "-3", "--lr", "1"], "'--steps'"),
        (["--compute-optimal", "--budget", "1e6,-1"], "'--budget'"),
        (["--estimator", "full", "--lr", "1", "--simulate"], "'--estimator'"),  # SGD: no X
    ],
)
def test_bad_input_is_one_line_exit_2(args, flag, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["dynamics", *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and flag in err
