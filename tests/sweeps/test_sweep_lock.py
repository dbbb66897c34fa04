"""The lock of a sweep folder: stale only when its owner is provably gone; only one's own lock
is removed; a live lock is refused with a message naming --break-lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from scalinglab.cli import main
from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import lock as lockmod
from scalinglab.sweeps import run_sweep
from scalinglab.sweeps.lock import STALE_SECONDS, SweepLock, lock_holder
from sweeps.sweep_helpers import small_sweep

HOLD = """
import sys, time
from scalinglab.sweeps.lock import SweepLock
lock = SweepLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def _record(**changes) -> dict:
    record = {**lockmod._machine(), "pid": os.getpid(),
              "start": psutil.Process().create_time(), "token": "other"}  # fmt: skip
    record.update(changes)
    return record


def _write_lock(folder, record, age: float = 0.0) -> None:
    path = folder / ".lock"
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))


def test_a_live_driver_in_another_process_is_refused_until_break_lock(tmp_path, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        assert f"pid {holder.pid}" in lock_holder(tmp_path)
        with pytest.raises(ConfigError, match=rf"in use .*pid {holder.pid}.*--break-lock"):
            run_sweep(small_sweep(seeds=1), tmp_path, workers=1)
        sweep = tmp_path / "sweep.toml"
        sweep.write_text("seeds = 1\n[grid]\nM = [50]\nN = [10]\nT = [10]\n")
        with pytest.raises(SystemExit) as stop:
            main(["sweep", "run", str(sweep), "--out", str(tmp_path), "--quiet"])
        err = capsys.readouterr().err.strip().splitlines()
        assert stop.value.code == 2 and len(err) == 1 and "--break-lock" in err[0]
        summary = run_sweep(small_sweep(seeds=1), tmp_path, workers=1, break_lock=True)
        assert summary.ok
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert not (tmp_path / ".lock").exists()


@pytest.mark.parametrize(
    ("record", "age", "stale"),
    [
        ("", 1.0, False),  # empty (between create and write, by an older version): recent
        ("", STALE_SECONDS + 5, True),  # ... and without a heartbeat for too long
        (_record(pid=2**22 + 12345), 1.0, True),  # same machine, no such process
        (_record(start=psutil.Process().create_time() - 1000), 1.0, True),  # PID reused
        (_record(), 1.0, False),  # same machine, alive (this very process)
        (_record(host="elsewhere"), 30.0, False),  # another host: recent heartbeat
        (_record(host="elsewhere"), STALE_SECONDS + 5, True),  # ... no heartbeat for too long
        (_record(pidns=1), 30.0, False),  # another container on this host: PIDs not comparable
    ],
)
def test_a_lock_is_stale_only_when_its_owner_is_provably_gone(tmp_path, record, age, stale):
    _write_lock(tmp_path, record, age)
    lock = SweepLock(tmp_path)
    if stale:
        lock.acquire()
        assert json.loads((tmp_path / ".lock").read_text())["token"] == lock.token
        lock.release()
        assert not (tmp_path / ".lock").exists()
    else:
        with pytest.raises(ConfigError, match="--break-lock"):
            lock.acquire()
        assert (tmp_path / ".lock").read_text() == (
            record if isinstance(record, str) else json.dumps(record)
        )


def test_a_driver_removes_only_its_own_lock_and_notices_a_takeover(tmp_path, monkeypatch):
    monkeypatch.setattr(lockmod, "HEARTBEAT_SECONDS", 0.05)
    lock = SweepLock(tmp_path)
    lock.acquire()
    first = (tmp_path / ".lock").stat().st_mtime
    time.sleep(0.3)
    assert (tmp_path / ".lock").stat().st_mtime > first  # the heartbeat
    other = SweepLock(tmp_path)
    other.acquire(break_lock=True)  # a second driver takes over
    time.sleep(0.3)
    assert lock.lost
    lock.release()
    assert json.loads((tmp_path / ".lock").read_text())["token"] == other.token
    other.release()
    assert not (tmp_path / ".lock").exists()


def test_a_lock_is_written_whole_with_host_pid_and_start_time(tmp_path):
    lock = SweepLock(tmp_path)
    lock.acquire()
    try:
        record = json.loads((tmp_path / ".lock").read_text())
        assert record["pid"] == os.getpid() and record["host"] == lockmod._machine()["host"]
        assert record["start"] == psutil.Process().create_time()
        assert not list(tmp_path.glob(".lock.*"))  # the temporary was linked, then removed
    finally:
        lock.release()
