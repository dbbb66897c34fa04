"""Crash-safe exponent studies: every fit and pool is saved as it finishes, a stopped run says
so in one line, and the rerun reuses what finished and gives bit-identical numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from learners.learners_helpers import planted
from scalinglab.cli import main
from scalinglab.learners.cache import FAULT_ENV, Scope, UnitStore
from scalinglab.learners.exponents import study_exponents

pytestmark = pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")

ARGV = ["exponents", "--dataset", "digits", "--T", "40,80,160", "--n-pool", "300",
        "--fit-ranks", "3,30", "--n-boot", "2", "--seeds", "2", "--json"]  # fmt: skip
UNITS = 1 + 2 + 2 * 3  # the pool, 2 replicates, 2 seeds x 3 T


def _run(capsys, argv):
    main(argv)
    return json.loads(capsys.readouterr().out)


def _record_puts(monkeypatch) -> list[str]:
    written: list[str] = []
    put = Scope.put

    def spy(self, unit, value):
        written.append(json.dumps({"context": self.context, "unit": unit}, sort_keys=True))
        put(self, unit, value)

    monkeypatch.setattr(Scope, "put", spy)
    return written


def test_interrupted_run_resumes_to_identical_json(capsys, tmp_path, monkeypatch):
    reference = _run(capsys, [*ARGV, "--no-cache"])
    cache = tmp_path / "cache"
    written = _record_puts(monkeypatch)
    monkeypatch.setenv(FAULT_ENV, "interrupt:4")  # Ctrl-C before the 5th unit
    with pytest.raises(SystemExit) as stop:
        main([*ARGV, "--cache", str(cache)])
    err = capsys.readouterr().err
    assert stop.value.code == 130 and err.count("\n") == 1 and "Traceback" not in err
    assert "interrupted" in err and f"4 finished fits and pools are saved in {cache}" in err
    assert "rerun the same command to resume" in err
    first = list(written)
    assert len(first) == 4 and len(list(cache.rglob("*.json"))) == 4

    monkeypatch.delenv(FAULT_ENV)
    written.clear()
    resumed = _run(capsys, [*ARGV, "--cache", str(cache)])
    assert resumed == reference  # bit-identical: floats are stored by repr
    assert len(written) == UNITS - 4 and not set(first) & set(written)  # nothing recomputed
    written.clear()
    assert _run(capsys, [*ARGV, "--cache", str(cache)]) == reference and written == []


def test_sigterm_is_one_line_exit_143(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(FAULT_ENV, "terminate:2")
    with pytest.raises(SystemExit) as stop:
        main([*ARGV, "--cache", str(tmp_path)])
    err = capsys.readouterr().err
    assert stop.value.code == 143 and err.count("\n") == 1 and "terminated (SIGTERM)" in err
    assert "2 finished fits and pools are saved" in err and len(list(tmp_path.rglob("*.json"))) == 2


def test_changed_input_is_computed_afresh_and_bad_files_are_recomputed(tmp_path):
    X, Y = planted(600, 40, 1.0, teachers=2, seed=3)
    kw = dict(kernel="linear", T=[20, 40, 80], n_pool=200, fit_ranks=(3, 20), n_boot=2,
              seeds=2, n_test=100, dimension=False)  # fmt: skip
    plain = study_exponents(X, Y, **kw).to_dict()
    store = UnitStore(tmp_path)
    assert study_exponents(X, Y, cache=store, **kw).to_dict() == plain
    assert (store.saved, store.reused) == (UNITS, 0)
    files = sorted(tmp_path.rglob("*.json"))
    files[0].write_text("{not json")  # a damaged unit is recomputed, never trusted
    files[1].write_text(json.dumps({"context": {}, "unit": {}, "value": 1.0}))  # another key
    again = UnitStore(tmp_path)
    assert study_exponents(X, Y, cache=again, **kw).to_dict() == plain
    assert (again.saved, again.reused) == (2, UNITS - 2)
    other = UnitStore(tmp_path)  # another ridge: another λ, other fits and pools
    changed = study_exponents(X, Y, cache=other, **{**kw, "ridge": 1e-3}).to_dict()
    assert other.reused == 0 and changed["ridge_lambda"] != plain["ridge_lambda"]
    Y2 = Y.copy()
    Y2[0, 0] += 1e-9  # other data: nothing reused
    fresh = UnitStore(tmp_path)
    study_exponents(X, Y2, cache=fresh, **kw)
    assert fresh.reused == 0 and np.isfinite(changed["measured_exponent"])


def test_unwritable_cache_is_one_line_exit_2(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as stop:
        main([*ARGV, "--cache", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "'--cache' option" in err, err


def test_disk_failure_is_one_line_exit_1(capsys, tmp_path, monkeypatch):
    calls = []

    def full(self, unit, value):
        calls.append(unit)
        if len(calls) > 2:
            raise OSError(28, "No space left on device", str(tmp_path))
        self.store.saved += 1

    monkeypatch.setattr(Scope, "put", full)
    with pytest.raises(SystemExit) as stop:
        main([*ARGV, "--cache", str(tmp_path)])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and err.count("\n") == 1 and "No space left" in err
    assert "2 finished fits and pools are saved" in err
