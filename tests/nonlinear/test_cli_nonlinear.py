"""CLI: simulate/theory --activation and the spectrum --model command."""

from __future__ import annotations

import json

import pytest

from scalinglab.cli import main


def _run(capsys, argv):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def _ok(capsys, argv):
    main(argv)
    return capsys.readouterr().out


def test_simulate_and_theory_relu_json(capsys):
    sim = json.loads(_ok(capsys, ["simulate", "--M", "60", "--N", "20", "--T", "80",
                                  "--activation", "relu", "--seeds", "2", "--json"]))  # fmt: skip
    th = json.loads(_ok(capsys, ["theory", "--M", "60", "--N", "20", "--T", "80",
                                 "--activation", "relu", "--json"]))  # fmt: skip
    assert sim[0]["activation"] == "relu"
    assert th[0]["activation"] == "relu" and th[0]["method"] == "conditional"
    # same model, same seeds' U: the conditional DE is close to the simulation (spec §9.6)
    assert th[0]["loss"] == pytest.approx(sim[0]["loss"], rel=0.15)


def test_theory_linear_records_name_the_method(capsys):
    rec = json.loads(_ok(capsys, ["theory", "--M", "60", "--N", "20", "--T", "80", "--json"]))
    assert rec[0]["activation"] == "linear" and rec[0]["method"] == "equivalent"


def test_spectrum_model_json_and_plot(capsys, tmp_path):
    path = tmp_path / "spec.png"
    out = _ok(capsys, ["spectrum", "--model", "--M", "20", "--N", "200", "--json",
                       "--plot", str(path)])  # fmt: skip
    recs = json.loads(out)
    assert [r["activation"] for r in recs] == ["linear", "relu"]
    assert recs[0]["cut_ratio"] < 1e-8 < recs[1]["cut_ratio"]
    assert len(recs[1]["eigenvalues"]) == 200
    assert path.stat().st_size > 0


def test_spectrum_needs_a_branch(capsys):
    code, _, err = _run(capsys, ["spectrum", "--M", "20"])
    assert code == 2 and "--model or --dataset" in err
    code, _, err = _run(capsys, ["spectrum", "--model", "--activation", "swish"])
    assert code == 2 and "'--activation' option" in err


def test_bad_activation_is_one_line_error(capsys):
    code, _, err = _run(capsys, ["simulate", "--activation", "swish", "--M", "20"])
    assert code == 2 and err.startswith("Error: The '--activation' option")
