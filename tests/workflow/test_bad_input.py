"""Every bad input of issue 15: exit code 2 (1 for environment failures), one line that names the
user's flag and prints plain numbers, no traceback, and nothing computed before the refusal."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

from scalinglab.cli import main


@pytest.fixture
def tables(tmp_path):
    """good.csv: one setting; mixed.csv: the sweep's two ridges and two noise levels."""
    N, T = np.meshgrid([100, 200, 400], [100, 200, 400], indexing="ij")
    loss = 0.5 * (1 / N + 1 / T) ** 0.9
    good = pd.DataFrame({"N": N.ravel(), "T": T.ravel(), "ridge": 0.0, "loss": loss.ravel()})
    good.to_csv(tmp_path / "good.csv", index=False)
    mixed = pd.concat(
        [good.assign(ridge=r, noise=e, loss=good["loss"] * (1 + r + e)) for r in (0, 0.01)
         for e in (0, 0.1)]
    )  # fmt: skip
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    return tmp_path


# (arguments, exit code, words the one line must contain)
CASES = [
    # guards before work (memory, time)
    ("simulate --M 100000000000 --N 10 --T 10", 2, ["--M", "hours", "--yes"]),
    ("theory --activation relu --M 100 --N 200000 --T 200000", 2, ["GiB", "--N"]),
    ("spectrum --model --N 200000", 2, ["GiB", "--N"]),
    ("spectrum --model --M 100000000000 --N 100", 2, ["--M", "--yes"]),
    ("spectrum --dataset digits --features relu --N 20000000", 2, ["GiB", "--N"]),
    ("spectrum --dataset digits --features relu --N 20000 --n-boot 300", 2, ["--n-boot", "--yes"]),
    # files
    ("fit {tmp}/good.csv --plot /nonexistent/dir/fit.png", 2, ["--plot", "/nonexistent/dir"]),
    ("fit {tmp}/good.csv --plot {tmp}/fit.xyz", 2, ["--plot", ".png"]),
    ("spectrum --dataset digits --plot /nonexistent/s.png", 2, ["--plot", "/nonexistent"]),
    ("spectrum --model --M 20 --N 40 --plot /nonexistent/s.png", 2, ["--plot"]),
    ("simulate --out {tmp}/res.txt", 2, ["--out", ".csv, .parquet or .json"]),
    ("theory --out /nonexistent/x.parquet", 2, ["--out", "/nonexistent"]),
    ("dimension --dataset digits --out {tmp}/d.xlsx", 2, ["--out"]),
    ("fit {tmp}/missing.csv", 2, ["FILE argument", "missing.csv"]),
    # silently accepted options, now refused
    ("theory --activation relu --M 20 --N 10 --T 10 --draws 0", 2, ["--draws", "[1, inf)"]),
    ("theory --method kernel", 2, ["--method", "--activation linear"]),
    ("theory --draws 3", 2, ["--draws", "nonlinear"]),
    ("reproduce --workers 0", 2, ["--workers"]),
    ("fit {tmp}/good.csv --bootstrap 100000000", 2, ["--bootstrap", "10000", "100000000"]),
    ("fit {tmp}/good.csv --form chinchilla,mrs --plot {tmp}/f.png", 2, ["--plot", "one fit"]),
    # messages that name the real culprit
    ("spectrum --dataset digits --fit-range 50,10", 2, ["--fit-range", "FIRST < LAST", "50,10"]),
    (
        "fit {tmp}/good.csv --holdout-above N=1 --bootstrap 0",
        2,
        ["--holdout-above", "N=1", "leaves 0 of 9 points"],
    ),
    (
        "fit {tmp}/good.csv --holdout-above N=1e9 --bootstrap 0",
        2,
        ["--holdout-above", "above every point"],
    ),
    ("fit {tmp}/mixed.csv", 2, ["ridge (0, 0.01), noise (0, 0.1)", "--where", "--by ridge,noise"]),
    ("fit {tmp}/mixed.csv --loss-column loss_mean", 2, ["'loss' column", "loss_mean"]),
    ("fit {tmp}/mixed.csv --where ridge=0,noise=0.5", 2, ["--where", "matches none", "0.1"]),
    ("fit {tmp}/mixed.csv --where lr=1", 2, ["--where", "'lr'"]),
    ("fit {tmp}/mixed.csv --by lr", 2, ["--by", "lr"]),
    ("fit {tmp}/mixed.csv --where ridge=zero", 2, ["--where", "number"]),
    # plain numbers, the user's flags
    ("simulate --N 1e400", 2, ["--N", "1e400", "finite"]),
    ("simulate --N 100:10:3", 2, ["--N", "LO <= HI"]),
    ("simulate --sigma-u 0", 2, ["'--sigma-u' option"]),
    ("simulate --M 2.5", 2, ["--M"]),
    ("theory --N 0", 2, ["--N"]),
    ("theory --M 20 --ridge -1", 2, ["--ridge"]),
    ("fit {tmp}/good.csv --bootstrap -1", 2, ["--bootstrap"]),
    ("fit {tmp}/good.csv --budget 1e4:1e2:3", 2, ["--budget", "LO <= HI"]),
    ("reproduce --only nope --out {tmp}/r", 2, ["--only"]),
]


@pytest.mark.parametrize(("args", "code", "words"), CASES, ids=[c[0][:60] for c in CASES])
def test_bad_input_is_one_line(tables, capsys, args, code, words):
    argv = args.format(tmp=tables).split()
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("Note:")]
    assert stop.value.code == code, err
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err and "np.float64" not in err and "parameter" not in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize(
    ("text", "words"),
    [("", ["empty"]), ("[1, 2]", ["list of records"]), ('[{"N": 1', ["valid JSON"])],
)
def test_bad_stdin_is_one_line(monkeypatch, capsys, text, words):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    with pytest.raises(SystemExit) as stop:
        main(["fit", "-", "--form", "power"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and err.startswith("Error:")
    assert all(w in err for w in words), err


def test_more_samples_than_the_data_warns(capsys):
    with pytest.warns(UserWarning, match="--n-samples 100000 exceeds the 1797 samples"):
        main(["dimension", "--dataset", "digits", "--n-samples", "100000", "--json"])
