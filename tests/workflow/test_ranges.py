"""Range syntax of every list option: LO:HI:K (log) and LO:HI:K:lin, as a sweep file's ranges."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from scalinglab._validation import expand_range, parse_list
from scalinglab.cli import cli
from scalinglab.exceptions import ConfigError
from scalinglab.sweeps.config import parse_axis


@pytest.mark.parametrize(
    ("text", "convert", "expected"),
    [
        ("10:10000:4", int, [10, 100, 1000, 10000]),
        ("100:400:3", int, [100, 200, 400]),
        ("1:4:10", int, [1, 2, 3, 4]),  # rounded to distinct integers: fewer than K
        ("0:1:3:lin", float, [0.0, 0.5, 1.0]),
        ("0:100:5:lin", int, [0, 25, 50, 75, 100]),
        ("1e-4:1e-2:3", float, [1e-4, 1e-3, 1e-2]),
        ("5:5:1", int, [5]),
        ("100,200:800:3,5000", int, [100, 200, 400, 800, 5000]),  # lists and ranges mix
        (" 10 : 1000 : 3 ", int, [10, 100, 1000]),
        ("1e3", int, [1000]),
    ],
)
def test_range_values(text, convert, expected):
    got = parse_list("--N", text, convert)
    assert all(type(v) is convert for v in got)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(("axis", "lo", "hi", "num"), [("N", 100, 10000, 9), ("ridge", 1e-4, 1, 7)])
def test_same_values_as_the_sweep_file(axis, lo, hi, num):
    convert = int if axis == "N" else float
    cli_values = parse_list(f"--{axis}", f"{lo}:{hi}:{num}", convert)
    toml_values = parse_axis(axis, {"log": [lo, hi], "num": num})
    np.testing.assert_allclose(cli_values, toml_values, rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("10:1:3", "LO <= HI"),
        ("0:10:3", "must start above 0"),  # log range from 0: use :lin
        ("1:10:0", "count K >= 1"),
        ("1:10:2.5", "count K >= 1"),
        ("1:10", "LO:HI:K"),
        ("1:10:3:cubic", "LO:HI:K"),
        ("a:10:3", "LO:HI:K"),
        ("1e400", "finite"),
        ("1:1e400:3", "finite"),
        ("2.5", "integers"),
        ("", "non-empty"),
    ],
)
def test_bad_ranges_name_the_flag(text, needle):
    with pytest.raises(ConfigError, match="'--N' option") as err:
        parse_list("--N", text, int)
    assert needle in str(err.value)


def test_integer_ranges_are_distinct_and_keep_their_ends():
    values = expand_range("--N", "7:7000:30", integer=True)
    assert values[0] == 7 and values[-1] == 7000
    assert len(values) == len(set(values)) == 30


@pytest.mark.parametrize("command", ["simulate", "theory"])
def test_help_shows_ranges_and_the_grid(command):
    out = CliRunner().invoke(cli, [command, "--help"])
    text = " ".join(out.output.split())
    assert "LO:HI:K" in text and "LO:HI:K:lin" in text
    assert "2 x 2 grid, not two pairs" in text


def test_cli_ranges_run_the_grid():
    args = ["theory", "--M", "500", "--N", "10:1000:3", "--T", "100:200:2:lin", "--json"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    import json

    records = json.loads(out.stdout)
    assert sorted({r["N"] for r in records}) == [10, 100, 1000]
    assert sorted({r["T"] for r in records}) == [100, 200]
    assert len(records) == 6


def test_M_and_noise_lists_run_every_setting():
    """``theory --M 500,1000 --noise 0,0.1``: one table, each (M, noise) equal to predict()."""
    import json

    from scalinglab import DataModel, predict

    args = ["theory", "--M", "500,1000", "--noise", "0:0.1:2:lin", "--N", "100", "--T", "200,400",
            "--json"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [(r["M"], r["noise"], r["T"]) for r in records] == [
        (m, e, t) for m in (500, 1000) for e in (0.0, 0.1) for t in (200, 400)
    ]
    for rec in records:
        expected = predict(DataModel(M=rec["M"], noise=rec["noise"]), rec["N"], rec["T"]).loss
        assert rec["loss"] == pytest.approx(float(expected), rel=1e-12)


def test_simulate_M_list_equals_separate_runs():
    """Each M of a list is the same simulation as a run with that M alone (same seeds)."""
    import json

    def run(M):
        args = ["simulate", "--M", M, "--N", "20", "--T", "30", "--seeds", "2", "--json"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    both = run("100,200")
    assert [r["loss"] for r in both] == [run("100")[0]["loss"], run("200")[0]["loss"]]


def test_single_valued_commands_refuse_M_lists(capsys):
    from scalinglab.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["dynamics", "--M", "300,400", "--N", "20", "--lr", "1", "--steps", "0,5"])
    assert stop.value.code == 2
    assert "'--M' option takes one value" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "name", "flag"),
    [(["spectrum", "--model", "--M", "10"], "M", "'--M' option"),
     (["spectrum", "--dataset", "digits"], "n_samples", "'--n-samples' option")],
)  # fmt: skip
def test_both_spectrum_branches_name_their_flags(argv, name, flag):
    """Errors name the user's flag in either branch of ``spectrum`` (its own option set)."""
    from scalinglab.cli import _flags

    assert _flags(argv)[name] == flag
