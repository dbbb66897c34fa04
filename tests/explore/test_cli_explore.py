"""``scalinglab explore``: the written page, its data, its bad input, and its JavaScript lint."""

from __future__ import annotations

import json
import re
import subprocess
import webbrowser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scalinglab import DataModel, predict
from scalinglab.cli import cli, main
from scalinglab.explore import MAX_BYTES, asset_path, load_results, render_explorer
from scalinglab.explore.page import SCRIPTS

from _helpers.explore_page import training_curves
from _helpers.node import find_node

CONFIG = re.compile(r'<script type="application/json" id="explore-config">(.*?)</script>', re.S)


def config_of(html: str) -> dict:
    return json.loads(CONFIG.search(html).group(1))


def run_main(args, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        main(args)
    return stop.value.code, capsys.readouterr().err


def test_explore_writes_one_self_contained_page(tmp_path):
    out = tmp_path / "explore.html"
    args = ["--M", "10000", "--alpha", "0.5", "--ridge", "1e-3", "--noise", "0.1"]
    result = CliRunner().invoke(cli, ["explore", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    html = out.read_text()
    assert out.stat().st_size < MAX_BYTES
    # no external resource: no src/href attribute, no URL, no fetch in the page
    assert not re.search(r"(src|href)\s*=", html)
    assert not re.search(r"https?://", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for name in SCRIPTS:  # the package's JavaScript files are inlined verbatim
        assert asset_path(name).read_text() in html
    state = config_of(html)["defaults"]
    assert (state["M"], state["alpha"], state["ridge"], state["noise"]) == (10000, 0.5, 1e-3, 0.1)


def test_explore_without_out_opens_a_temporary_page(monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    result = CliRunner().invoke(cli, ["explore", "--ridge", "optimal"])
    assert result.exit_code == 0, result.output
    (url,) = opened
    assert url.startswith("file://") and url.endswith(".html")
    path = result.output.split("Wrote ", 1)[1].split(" (", 1)[0]
    assert config_of(Path(path).read_text())["defaults"]["optimal"] is True
    Path(path).unlink()
    # --open opens a page written with --out; --no-open keeps the temporary page closed
    page = Path(path).with_name("named.html")
    assert CliRunner().invoke(cli, ["explore", "--out", str(page), "--open"]).exit_code == 0
    assert opened[-1] == page.resolve().as_uri()
    page.unlink()
    result = CliRunner().invoke(cli, ["explore", "--no-open"])
    assert result.exit_code == 0 and len(opened) == 2
    Path(result.output.split("Wrote ", 1)[1].split(" (", 1)[0]).unlink()


def test_data_tables_are_embedded_with_the_common_schema(tmp_path):
    model = DataModel(M=500, alpha=1.0)
    N = np.array([50, 100, 200])
    loss = predict(model, N, 400).loss
    current = pd.DataFrame({"N": N, "T": 400, "loss": loss, "loss_sem": 0.01 * loss, "M": 500,
                            "alpha": 1.0, "ridge": 0.0, "noise": 0.0, "extra": "x"})  # fmt: skip
    current.to_parquet(tmp_path / "current.parquet")
    legacy = pd.DataFrame({"N": N, "T": 400, "loss_mean": loss})  # before the common schema
    legacy.to_csv(tmp_path / "legacy.csv", index=False)
    seeds = pd.DataFrame({"N": [50, 50, 50, 100, 100, 100], "T": 400, "seed_index": [0, 1, 2] * 2,
                          "loss": [1.0, 2.0, 3.0, 4.0, 4.0, 4.0]})  # fmt: skip
    seeds.to_csv(tmp_path / "seeds.csv", index=False)
    html = render_explorer([tmp_path / "current.parquet", tmp_path / "legacy.csv",
                            tmp_path / "seeds.csv"])  # fmt: skip
    config = config_of(html)
    first, second, third = config["data"]
    assert first["columns"] == ["N", "T", "loss", "loss_sem", "M", "alpha", "noise", "ridge"]
    assert second["columns"] == ["N", "T", "loss"]
    rows = [dict(zip(third["columns"], v)) for v in third["values"]]
    assert [r["loss"] for r in rows] == [2.0, 4.0]
    assert rows[0]["loss_sem"] == pytest.approx(1 / np.sqrt(3))  # std 1 over sqrt(3) seeds
    assert rows[1]["loss_sem"] == 0.0 and rows[0]["seeds"] == 3
    # the first table's parameters and the data's size ranges start the page
    state = config["defaults"]
    assert (state["M"], state["N"], state["T"]) == (500, 50, 400)
    assert state["N_min"] == 25 and state["N_max"] == 400
    assert load_results(tmp_path / "legacy.csv")["values"][0][2] == pytest.approx(loss[0])


def test_readme_command_with_dynamics(tmp_path, monkeypatch):
    """README: ``scalinglab explore --out steps.html --optimizer sgd --batch 8 --schedule cosine
    --lr-fraction 0.3 --steps-max 100000``: the loss-vs-steps panel starts there."""
    monkeypatch.chdir(tmp_path)
    args = ["explore", "--out", "steps.html", "--optimizer", "sgd", "--batch", "8", "--schedule",
            "cosine", "--lr-fraction", "0.3", "--steps-max", "100000"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    state = config_of(Path("steps.html").read_text())["defaults"]
    assert (state["optimizer"], state["batch"], state["schedule"]) == ("sgd", 8, "cosine")
    assert (state["lr_fraction"], state["steps_max"]) == (0.3, 100_000)


def test_readme_command_with_data(tmp_path, monkeypatch):
    """README: ``scalinglab explore --out explore.html --data results.parquet``."""
    monkeypatch.chdir(tmp_path)
    table = pd.DataFrame({"N": [100, 200], "T": [400, 400], "loss": [0.01, 0.005],
                          "loss_sem": [0.001, 0.001], "seeds": [8, 8]})  # fmt: skip
    table.to_parquet("results.parquet")
    args = ["explore", "--out", "explore.html", "--data", "results.parquet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (data,) = config_of(Path("explore.html").read_text())["data"]
    assert data["name"] == "results.parquet" and len(data["values"]) == 2
    assert data["columns"] == ["N", "T", "loss", "loss_sem", "seeds"]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--data", "missing.csv"], "'--data'"),
        (["--data", "{bad}"], "'--data'"),
        (["--data", "{noloss}"], "'--data'"),
        (["--data", "{nan}"], "'--data'"),
        (["--M", "0"], "'--M'"),
        (["--alpha", "-1"], "'--alpha'"),
        (["--noise", "nan"], "'--noise'"),
        (["--ridge", "-1"], "'--ridge'"),
        (["--ridge", "best"], "'--ridge'"),
        (["--N", "0"], "'--N'"),
        (["--lr-fraction", "1.5"], "'--lr-fraction'"),
        (["--batch", "0"], "'--batch'"),
        (["--steps-max", "0"], "'--steps-max'"),
        (["--optimizer", "adam"], "'--optimizer'"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, flag, tmp_path, capsys):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    pd.DataFrame({"N": [1], "T": [2], "error": [0.1]}).to_csv(tmp_path / "noloss.csv")
    pd.DataFrame({"N": [1, 2], "T": [2, 2], "loss": [0.1, None]}).to_csv(tmp_path / "nan.csv")
    files = {name: tmp_path / f"{name}.{'parquet' if name == 'bad' else 'csv'}"
             for name in ("bad", "noloss", "nan")}  # fmt: skip
    args = [a.format(**files) for a in args]
    out = tmp_path / "page.html"
    code, err = run_main(["explore", "--out", str(out), *args], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("Error:") and flag in err, err
    assert not out.exists()


def test_too_much_data_is_refused_before_writing(tmp_path, capsys):
    n = 40_000
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"N": rng.integers(1, 10**6, n), "T": rng.integers(1, 10**6, n),
                        "loss": rng.random(n), "loss_sem": rng.random(n)})  # fmt: skip
    big.to_csv(tmp_path / "big.csv", index=False)
    out = tmp_path / "page.html"
    code, err = run_main(["explore", "--out", str(out), "--data", str(tmp_path / "big.csv")],
                         capsys)  # fmt: skip
    assert code == 2 and "'--data'" in err and "40000 rows" in err, err
    assert not out.exists()


@pytest.mark.parametrize("name", [*SCRIPTS, "theory_calls.js"])
def test_javascript_is_valid_and_offline(name):
    """Lint: ``node --check`` parses every script; none can reach the network."""
    path = asset_path(name) if name in SCRIPTS else Path(__file__).with_name(name)
    proc = subprocess.run([find_node(), "--check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    assert text.lstrip().startswith(("/*", "//")) and "'use strict'" in text
    for api in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "import(", "http://",
                "https://", "sendBeacon", "eval(", "new Function"):  # fmt: skip
        assert api not in text, (name, api)


def test_training_curves_start_the_steps_panel(tmp_path):
    """A ``scalinglab dynamics`` table sets the optimizer, batch, lr fraction and steps."""
    training_curves(tmp_path / "curves.parquet")
    html = render_explorer([tmp_path / "curves.parquet"])
    config = config_of(html)
    state = config["defaults"]
    assert (state["optimizer"], state["batch"], state["steps_max"], state["N"]) == (
        "sgd", 4, 1000, 100)  # fmt: skip
    assert state["lr_fraction"] == pytest.approx(0.3, rel=1e-12)
    (data,) = config["data"]
    assert {"step", "optimizer", "batch", "schedule", "lr"} <= set(data["columns"])
    assert len(data["values"]) == 6  # step 0 (T = 0 samples seen) is not drawn on a log axis
