"""Verified storage: damaged, mismatched, duplicated and stray parts are reported together,
quarantined (never deleted) and recomputed; collect writes atomically in the named format."""

from __future__ import annotations

import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import (
    collect,
    expand_tasks,
    load_config,
    load_results,
    run_sweep,
    sweep_status,
    write_table,
)
from scalinglab.sweeps import run as run_module
from scalinglab.sweeps.parts import write_part
from sweeps.sweep_helpers import assert_same_rows, run_cli, small_sweep


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_module, "FLUSH_SECONDS", 0.0)  # a part per task
        assert run_sweep(small_sweep(), out, workers=1).ok
    assert len(list((out / "parts").iterdir())) == 12
    return out


def _damage(out) -> dict[str, str]:
    """Seven kinds of damage to seven or eight files: file name -> a word of its reason.
    Four tasks lose their only part (the copy target, truncated, emptied, altered)."""
    parts = sorted((out / "parts").glob("*.parquet"))
    shutil.copy(parts[0], parts[1])  # cp X Y: Y holds X
    shutil.copy(parts[2], out / "parts" / "0123456789abcdef-s0.parquet")  # a stray copy
    # a second part holding two tasks that already have parts: a duplicate of both
    tables = [pq.read_table(parts[i]) for i in (6, 7)]
    tasks = {t.task_id: t for t in expand_tasks(load_config(small_sweep()))}
    pairs = [(tasks[t["task_id"][0].as_py()], t.replace_schema_metadata(None).to_pydict())
             for t in tables]  # fmt: skip
    digest = load_config(small_sweep()).content_hash()
    twice = write_part(out / "parts", digest, pairs)
    # verification goes by name: the first part holding a task keeps it
    dupes = [parts[6].name, parts[7].name] if twice < parts[6].name else [twice]
    parts[3].write_bytes(parts[3].read_bytes()[:300])  # truncated
    parts[4].write_bytes(b"")  # emptied
    table = pq.read_table(parts[5])  # readable, but one number changed: checksum
    losses = table["loss"].to_pylist()
    losses[0] *= 1.5
    changed = table.set_column(table.schema.get_field_index("loss"), "loss", pa.array(losses))
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), parts[5])
    (out / "parts" / "notes.txt").write_text("a stray file")
    return {parts[1].name: "mismatched", "0123456789abcdef-s0.parquet": "mismatched",
            parts[3].name: "unreadable", parts[4].name: "unreadable",
            parts[5].name: "checksum", "notes.txt": "stray",
            **dict.fromkeys(dupes, "duplicate")}  # fmt: skip


def test_bad_parts_are_reported_together_quarantined_and_recomputed(tmp_path, reference):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    expected = _damage(out)
    # status: reads only, reports every bad part, does not count them as done
    status = sweep_status(out)
    assert set(status.bad) == set(expected)
    assert all(word in status.bad[name] for name, word in expected.items())
    assert status.done == 12 - 4 and status.pending == 4
    # collect: one error naming all of them; they are moved to quarantine, not deleted
    with pytest.raises(ConfigError) as err:
        collect(out)
    message = str(err.value)
    assert "\n" not in message and all(name in message for name in expected)
    quarantined = list((out / "quarantine").glob("*/*"))
    assert {p.name for p in quarantined} == {*expected, "reasons.txt"}
    # resume recomputes exactly the bad ones; the result equals the undamaged sweep
    resumed = run_sweep(small_sweep(), out, workers=1)
    assert resumed.done == 4 and resumed.ok
    assert_same_rows(load_results(out), load_results(reference))
    pd.testing.assert_frame_equal(collect(out), collect(reference))


def test_resume_quarantines_bad_parts_with_one_warning(tmp_path, reference):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    expected = _damage(out)
    with pytest.warns(UserWarning, match=f"{len(expected)} bad part file") as caught:
        summary = run_sweep(small_sweep(), out, workers=1)
    assert len(caught) == 1 and all(name in str(caught[0].message) for name in expected)
    assert summary.done == 4 and summary.ok
    assert_same_rows(load_results(out), load_results(reference))


def test_status_cli_lists_bad_parts_and_they_are_not_done(tmp_path, reference, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    parts = sorted((out / "parts").glob("*.parquet"))
    parts[0].write_bytes(b"")
    assert run_cli(["sweep", "status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "11 done, 1 pending" in text and f"{parts[0].name} (unreadable" in text
    assert run_cli(["sweep", "collect", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 bad part file" in err[0] and "quarantine" in err[0]


def test_collect_writes_parquet_or_csv_by_extension_and_refuses_others(tmp_path, reference,
                                                                      capsys):  # fmt: skip
    table = collect(reference)
    for name in ("t.parquet", "t.csv"):
        assert run_cli(["sweep", "collect", str(reference), "--out", str(tmp_path / name)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), table)
    csv = pd.read_csv(tmp_path / "t.csv")
    assert list(csv.columns) == list(table.columns) and len(csv) == len(table)
    pd.testing.assert_series_equal(csv["loss"], table["loss"], check_exact=True)
    capsys.readouterr()
    assert run_cli(["sweep", "collect", str(reference), "--out", str(tmp_path / "t.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "'--out' option must be a file ending in .parquet or .csv" in err
    assert not (tmp_path / "t.xlsx").exists()


def test_collect_onto_a_full_disk_keeps_the_previous_file(tmp_path, reference, capsys,
                                                         monkeypatch):  # fmt: skip
    target = tmp_path / "results.parquet"
    write_table(collect(reference), target)
    before = target.read_bytes()

    def full(self, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"PAR1 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    assert run_cli(["sweep", "collect", str(reference), "--out", str(target)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0]
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results.parquet"]  # no temporary left
