"""Configs, the CLI commands, replotting and the report file (no browser)."""

from __future__ import annotations

import base64
import json
import re

import pandas as pd
import pytest

from scalinglab.cli import main
from scalinglab.exceptions import ConfigError
from scalinglab.reproduce import FIGURES, figure_names, load_figure_config, replot, write_report

from _helpers.reproduce_tiny import TINY


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_config_loads_in_both_modes(name):
    quick, full = load_figure_config(name, True), load_figure_config(name, False)
    assert quick["mode"] == "quick" and full["mode"] == "full"
    assert quick["title"] == full["title"]
    assert "model" in quick or "low_dim_model" in quick or "datasets" in quick
    # every caption names what it reproduces (talk slide or paper claim) and what differs
    assert len(quick["reproduces"]) > 40 and len(quick["differs"]) > 20


def test_config_sections_merge_key_by_key():
    quick = load_figure_config("loss-vs-N", True)
    full = load_figure_config("loss-vs-N", False)
    assert full["model"]["alpha"] == quick["model"]["alpha"]  # kept from the shared table
    assert full["model"]["M"] != quick["model"]["M"]  # overridden by [full]
    tiny = load_figure_config("loss-vs-N", True, {"model": {"M": 50}})
    assert tiny["model"] == {"M": 50, "alpha": quick["model"]["alpha"]}


def test_only_is_validated():
    assert figure_names("phase, spectrum") == ["spectrum", "phase"]
    with pytest.raises(ConfigError, match="'only' parameter"):
        figure_names("nope")


def test_cli_rejects_unknown_figure(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--quick", "--out", str(tmp_path), "--only", "nope"])
    assert stop.value.code == 2
    assert "Error: The '--only' option" in capsys.readouterr().err


def test_cli_report_needs_figures(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["report", str(tmp_path)])
    assert stop.value.code == 2
    assert "has none" in capsys.readouterr().err


def test_report_is_self_contained(run):
    page = run.report.read_text(encoding="utf-8")
    images = re.findall(r"src='data:image/png;base64,([^']+)'", page)
    assert len(images) == len(FIGURES)
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in page and "https://" not in page
    import scalinglab

    assert scalinglab.__version__ in page
    for name in FIGURES:
        assert f"id='{name}'" in page
    links = re.findall(r"class='data-link' href='([^']+)'", page)
    assert len(links) >= 3 * len(FIGURES)  # PNG, SVG and at least one CSV per figure
    assert all((run.out_dir / link).is_file() for link in links), links
    assert page.count("<b>Reproduces:</b>") == len(FIGURES)


def test_replot_redraws_from_stored_data(run, capsys):
    png = run.out_dir / "phase" / "phase.png"
    data = pd.read_csv(run.out_dir / "phase" / "data" / "grid.csv")
    png.unlink()
    assert replot(run.out_dir, "phase") == ["phase"]
    assert png.stat().st_size > 5000
    pd.testing.assert_frame_equal(pd.read_csv(run.out_dir / "phase" / "data" / "grid.csv"), data)
    main(["report", str(run.out_dir)])
    assert "index.html" in capsys.readouterr().out
    assert write_report(run.out_dir) == run.out_dir / "index.html"


def test_demo_command_builds_a_report(tmp_path, monkeypatch, capsys):
    """`scalinglab demo` (the README's `make demo`) end to end, on one tiny figure config."""
    import scalinglab.reproduce as reproduce_module

    from _helpers.reproduce_tiny import TINY

    full = reproduce_module.reproduce
    calls = []

    def tiny(out_dir, **options):
        calls.append(options)
        return full(out_dir, only="spectrum", overrides=TINY, workers=1, **options)

    monkeypatch.setattr(reproduce_module, "reproduce", tiny)
    out = tmp_path / "demo"
    try:
        main(["demo", "--out", str(out)])
    except SystemExit as stop:
        assert stop.code in (0, None), capsys.readouterr()
    output = capsys.readouterr().out
    assert calls and calls[0]["quick"] is True  # the demo is the quick reproduction
    report = out / "index.html"
    assert f"Report: {report.resolve()}" in output
    assert "Built 1 figure(s) (quick, 1 at a time): total wall time" in output
    assert "spectrum" in report.read_text() and (out / "spectrum" / "spectrum.png").exists()


@pytest.mark.parametrize(
    "flags, quick",
    [
        (["--only", "phase"], True),  # a selection defaults to the quick configs
        (["--only", "phase", "--full"], False),
        (["--quick"], True),
        ([], False),  # all figures: the full configs
    ],
)
def test_cli_mode_follows_only_quick_and_full(monkeypatch, tmp_path, flags, quick):
    import scalinglab.reproduce as package

    seen = {}

    def fake(out_dir, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(package, "reproduce", fake)
    with pytest.raises(SystemExit):
        main(["reproduce", "--out", str(tmp_path), *flags])
    assert seen["quick"] is quick


def test_cli_quick_and_full_exclude_each_other(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--quick", "--full", "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "exclude each other" in capsys.readouterr().err


def test_progress_per_figure_and_per_task(tmp_path):
    from scalinglab.reproduce import reproduce

    lines = []
    tiny = {"breakdown": TINY["breakdown"]}
    summary = reproduce(tmp_path, only="breakdown", overrides=tiny, progress=lines.append)
    # one sweep per N (each over its own T), so the figure counts seeds x N tasks
    total = TINY["breakdown"]["seeds"] * len(TINY["breakdown"]["N"])
    assert lines[0] == "[1/1] breakdown: computing ..."
    tasks = [line for line in lines if "simulation task" in line]
    assert [t.split("task ")[1].split()[0] for t in tasks] == [
        f"{k}/{total}" for k in range(1, total + 1)
    ]
    assert all("ETA" in t for t in tasks[:-1])  # every unfinished figure states its ETA
    assert lines[-1].startswith("[1/1] breakdown: done in ")
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["cpus"] >= 1 and len(run["load_average"]) == 2
    page = summary.report.read_text(encoding="utf-8")
    assert "id='run-time-table'" in page and "load average" in page


def test_figures_side_by_side_report_progress_and_match_one_at_a_time(run, tmp_path):
    from scalinglab.reproduce import reproduce

    record = json.loads((run.out_dir / "run.json").read_text())
    assert record["jobs"] == 2 and run.jobs == 2
    assert set(record["figure_cpu_seconds"]) == set(FIGURES)
    for name in FIGURES:  # each figure: started, its tasks counted up, then done
        mine = [line.split(": ", 1)[1] for line in run.progress_lines if f"] {name}: " in line]
        assert mine[0] == "computing ..." and mine[-1].startswith("done in "), mine
        counts = [int(m.split("task ")[1].split("/")[0]) for m in mine if "simulation task" in m]
        assert counts == sorted(counts)
    assert sum("to go, ETA" in line for line in run.progress_lines) == len(FIGURES) - 1
    page = run.report.read_text(encoding="utf-8")
    assert "id='total-wall-time'" in page and "2 figures at a time" in page
    # every simulation draws from its own seed: one figure at a time gives the same numbers
    names = ["breakdown", "noise-allocation"]
    reproduce(tmp_path, only=names, overrides=TINY, jobs=1, report=False)
    for name in names:
        alone = pd.read_csv(tmp_path / name / "data" / "simulation.csv")
        pd.testing.assert_frame_equal(
            alone, pd.read_csv(run.out_dir / name / "data" / "simulation.csv")
        )
