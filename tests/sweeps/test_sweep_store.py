"""In-process sweeps: one row per (parameters, seed, ridge), resume, refusal to mix, failures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import scalinglab
from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import AXES, collect, load_results, run_sweep, sweep_status
from scalinglab.sweeps.tasks import FAULT_ENV, expand_tasks
from sweeps.sweep_helpers import assert_same_rows, small_sweep

KEY = [*AXES, "seed"]


def test_rows_are_complete_and_unique(tmp_path):
    summary = run_sweep(small_sweep(), tmp_path, workers=1)
    assert summary.ok and summary.done == 12 and summary.skipped == 0 and summary.failed == 0
    rows = load_results(tmp_path)
    assert len(rows) == 12 * 8  # tasks x (N x T x ridge)
    assert not rows.duplicated(KEY).any()
    assert set(rows["N"]) == {10, 20} and set(rows["ridge"]) == {0.0, 0.1}
    assert (rows["scalinglab_version"] == scalinglab.__version__).all()
    assert (rows["task_seconds"] > 0).all()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["seeds"] == 3 and len(manifest["hash"]) == 64


def test_collect_is_the_seed_mean_and_standard_error(tmp_path):
    run_sweep(small_sweep(), tmp_path, workers=1)
    rows, table = load_results(tmp_path), collect(tmp_path)
    assert len(table) == 2 * 2 * 2 * 2 * 2  # alpha x noise x N x T x ridge
    assert list(table.columns) == [*AXES, "loss", "loss_sem", "train_loss", "train_loss_sem",
                                   "seeds"]  # fmt: skip
    assert (table["seeds"] == 3).all()
    for _, point in table.sample(5, random_state=0).iterrows():
        mask = np.logical_and.reduce([rows[a] == point[a] for a in AXES])
        losses = rows.loc[mask, "loss"].to_numpy()
        assert losses.size == 3
        # Independent recomputation of the mean and s.e. (s.d. with ddof=1 over sqrt(n)).
        assert point["loss"] == pytest.approx(losses.sum() / 3, rel=1e-14)
        sem = np.sqrt(((losses - losses.mean()) ** 2).sum() / 2 / 3)
        assert point["loss_sem"] == pytest.approx(sem, rel=1e-12)


def test_rerun_skips_finished_tasks_and_recomputes_missing_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(scalinglab.sweeps.run, "FLUSH_SECONDS", 0.0)  # a part per task
    run_sweep(small_sweep(), tmp_path, workers=1)
    first = load_results(tmp_path)
    again = run_sweep(small_sweep(), tmp_path, workers=1)
    assert again.skipped == 12 and again.done == 0
    parts = sorted((tmp_path / "parts").glob("*.parquet"))
    parts[3].unlink()
    parts[7].unlink()
    resumed = run_sweep(small_sweep(), tmp_path, workers=1)
    assert resumed.done == 2 and resumed.skipped == 10
    assert_same_rows(load_results(tmp_path), first)


def test_a_leftover_temporary_file_is_ignored_and_removed(tmp_path):
    run_sweep(small_sweep(seeds=1), tmp_path, workers=1)
    stale = tmp_path / "parts" / ".0123456789abcdef01234567.parquet.123.tmp"
    stale.write_bytes(b"half a parquet file")
    assert len(load_results(tmp_path)) == 4 * 8
    run_sweep(small_sweep(seeds=1), tmp_path, workers=1)
    assert not stale.exists()


def test_a_different_sweep_is_refused_unless_force_new(tmp_path):
    run_sweep(small_sweep(seeds=1), tmp_path, workers=1)
    with pytest.raises(ConfigError, match=r"different sweep .*--force-new"):
        run_sweep(small_sweep(seeds=2), tmp_path, workers=1)
    summary = run_sweep(small_sweep(seeds=2), tmp_path, workers=1, force_new=True)
    assert summary.done == 8 and summary.skipped == 0
    kept = pd.concat(pd.read_parquet(p) for p in tmp_path.glob("superseded-*/parts/*.parquet"))
    assert kept["task_id"].nunique() == 4  # the old results, moved aside
    assert (load_results(tmp_path)["seed"].max()) == 1


def test_a_failed_task_is_recorded_and_the_others_go_on(tmp_path, monkeypatch):
    victim = expand_tasks(scalinglab.sweeps.load_config(small_sweep()))[4].task_id
    monkeypatch.setenv(FAULT_ENV, f"raise:{victim}")
    summary = run_sweep(small_sweep(), tmp_path, workers=1)
    assert summary.failed == 1 and summary.done == 11 and not summary.ok
    assert "injected failure" in summary.failures[victim]
    status = sweep_status(tmp_path)
    assert (status.done, status.failed, status.pending, status.total) == (11, 1, 0, 12)
    assert "injected failure" in (tmp_path / "sweep.log").read_text()
    with pytest.warns(UserWarning, match="incomplete"):
        assert (collect(tmp_path)["seeds"] < 3).sum() == 8  # the victim's 8 rows miss a seed
    monkeypatch.delenv(FAULT_ENV)
    retry = run_sweep(small_sweep(), tmp_path, workers=1)
    assert retry.done == 1 and retry.ok and sweep_status(tmp_path).failed == 0


def test_results_of_another_version_warn(tmp_path, monkeypatch):
    run_sweep(small_sweep(seeds=1), tmp_path, workers=1)
    monkeypatch.setattr(scalinglab, "__version__", "9.9.9")
    with pytest.warns(UserWarning, match=r"written by scalinglab .* this is 9\.9\.9"):
        load_results(tmp_path)


def test_out_is_required_and_the_file_may_set_it(tmp_path):
    with pytest.raises(ConfigError, match="'out' parameter must be given"):
        run_sweep(small_sweep())
    summary = run_sweep(small_sweep(seeds=1, out=str(tmp_path / "from-file")), workers=1)
    assert summary.out_dir == tmp_path / "from-file" and summary.ok


def test_empty_results_load_as_an_empty_table(tmp_path, monkeypatch):
    config = small_sweep(seeds=1)
    config["grid"]["alpha"] = [1.0]
    config["grid"]["noise"] = [0.0]
    victim = expand_tasks(scalinglab.sweeps.load_config(config))[0].task_id
    monkeypatch.setenv(FAULT_ENV, f"raise:{victim}")
    assert run_sweep(config, tmp_path, workers=1).failed == 1
    assert isinstance(load_results(tmp_path), pd.DataFrame) and load_results(tmp_path).empty
