"""``scalinglab sweep run|status|collect``: exit codes, summary lines and the collected table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from scalinglab.sweeps import collect, load_config
from scalinglab.sweeps.tasks import FAULT_ENV, expand_tasks
from sweeps.sweep_helpers import run_cli

SWEEP = """
seeds = 2
[grid]
M = [100]
N = [10, 20]
T = { log = [10, 40], num = 3 }
ridge = [0.0, 0.1]
noise = [0.0, 0.3]
"""


def test_run_status_collect(tmp_path, capsys):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    out = tmp_path / "out"
    assert run_cli(["sweep", "run", str(sweep_file), "--out", str(out), "--workers", "1"]) == 0
    assert "4 task(s) done" in capsys.readouterr().err
    assert run_cli(["sweep", "status", str(out)]) == 0
    assert "4 done, 0 pending, 0 failed, of 4 tasks" in capsys.readouterr().out
    table_file = tmp_path / "results.parquet"
    assert run_cli(["sweep", "collect", str(out), "--out", str(table_file)]) == 0
    table = pd.read_parquet(table_file)
    assert len(table) == 2 * 3 * 2 * 2  # N x T x ridge x noise
    for column in ("M", "alpha", "N", "T", "ridge", "noise", "loss", "loss_sem",
                   "train_loss", "train_loss_sem", "seeds"):  # fmt: skip
        assert column in table.columns
    pd.testing.assert_frame_equal(table, collect(out))
    assert sorted(set(table["T"])) == [10, 20, 40]
    capsys.readouterr()
    assert run_cli(["sweep", "collect", str(out), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(table) and {"N", "T", "ridge", "noise", "loss"} <= set(records[0])


def test_failed_tasks_give_exit_1_and_a_summary_line(tmp_path, capsys, monkeypatch):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    victim = expand_tasks(load_config(sweep_file))[1].task_id
    monkeypatch.setenv(FAULT_ENV, f"raise:{victim}")
    out = tmp_path / "out"
    code = run_cli(
        ["sweep", "run", str(sweep_file), "--out", str(out), "--workers", "1", "--quiet"]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: 1 of 4 tasks failed")
    assert run_cli(["sweep", "status", str(out)]) == 0
    status = capsys.readouterr().out
    assert "3 done, 0 pending, 1 failed" in status and "injected failure" in status


def test_changed_file_is_refused_with_exit_2_unless_force_new(tmp_path, capsys):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    out = str(tmp_path / "out")
    assert (
        run_cli(["sweep", "run", str(sweep_file), "--out", out, "--workers", "1", "--quiet"]) == 0
    )
    sweep_file.write_text(SWEEP.replace("seeds = 2", "seeds = 3"))
    assert (
        run_cli(["sweep", "run", str(sweep_file), "--out", out, "--workers", "1", "--quiet"]) == 2
    )
    assert "different sweep" in capsys.readouterr().err
    args = ["sweep", "run", str(sweep_file), "--out", out, "--workers", "1", "--force-new"]
    assert run_cli(args) == 0


def test_status_of_a_folder_without_a_sweep_is_a_config_error(tmp_path, capsys):
    assert run_cli(["sweep", "status", str(tmp_path)]) == 2
    assert "must hold a sweep" in capsys.readouterr().err


@pytest.mark.parametrize("scheduler", ["local:0", "local:two"])
def test_bad_scheduler_is_exit_2(tmp_path, capsys, scheduler):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    args = ["sweep", "run", str(sweep_file), "--out", str(tmp_path / "o"), "--scheduler", scheduler]
    assert run_cli(args) == 2
    assert "'--scheduler' option" in capsys.readouterr().err
