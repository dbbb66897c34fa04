"""``scalinglab simulate --estimator``: both estimators from the command line (issue 20)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from scalinglab.cli import cli, main

BASE = ["simulate", "--M", "300", "--N", "20,40", "--T", "60", "--seeds", "3", "--json"]


def test_estimator_flag_selects_and_records_the_estimator():
    default = json.loads(CliRunner().invoke(cli, BASE).output)
    full = json.loads(CliRunner().invoke(cli, [*BASE, "--estimator", "full"]).output)
    assert {r["estimator"] for r in default} == {"conditional"}  # the default
    assert {r["estimator"] for r in full} == {"full"}
    # Different estimators of the same expected loss: other numbers, same grid.
    assert [r["N"] for r in default] == [r["N"] for r in full]
    assert default[0]["loss"] != full[0]["loss"]
    inst = json.loads(CliRunner().invoke(cli, ["simulate", "--M", "300", "--N", "20", "--T", "60",
                                               "--instance", "--json"]).output)  # fmt: skip
    assert inst[0]["estimator"] == "full"


def test_bad_estimator_choices_exit_2_with_one_line(monkeypatch, capsys):
    import sys

    import pytest

    for extra in (["--estimator", "sampled"], ["--estimator", "conditional", "--instance"]):
        monkeypatch.setattr(sys, "argv", ["scalinglab", *BASE, *extra])
        with pytest.raises(SystemExit) as stop:
            main()
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "estimator" in err
