"""Every fault is one line, no traceback: exit 2 for the user's, 1 for the environment's (130
Ctrl-C, 143 SIGTERM), with what is saved and how to resume; nothing finished is lost."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scalinglab.sweeps import load_config, load_results, run_sweep, sweep_status
from scalinglab.sweeps.tasks import FAULT_ENV, expand_tasks
from sweeps.sweep_helpers import assert_same_rows

SCRIPT = Path(sys.executable).parent / "scalinglab"
SWEEP = """
seeds = 30
seed = 5
[grid]
M = [100]
N = [10, 20]
T = [15, 30]
ridge = [0.0, 0.1]
"""
TASKS = 30


def _cli(*args: str, env: dict | None = None, timeout: float = 300):
    run = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, **(env or {})})  # fmt: skip
    return run.returncode, run.stderr.strip().splitlines()


def _one_line(err: list[str]) -> str:
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.fixture
def sweep_file(tmp_path) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ref")
    (folder / "sweep.toml").write_text(SWEEP)
    assert run_sweep(folder / "sweep.toml", folder / "out", workers=1).ok
    return folder / "out"


# ------------------------------------------------------------------ manifest
@pytest.mark.parametrize(
    "damage",
    [b"\xff\xfe\x00garbage",
     *(pytest.param(d, marks=pytest.mark.slow) for d in (b'{"hash": "abc", "conf', b"", None))],
)  # fmt: skip
def test_a_corrupt_or_missing_manifest_is_one_line_and_rebuild_recovers(
    tmp_path, sweep_file, reference, damage
):
    out = tmp_path / "out"
    subprocess.run(["cp", "-r", str(reference), str(out)], check=True)
    manifest = out / "manifest.json"
    if damage is None:
        manifest.unlink()
    else:
        manifest.write_bytes(damage)
    for command in (["status", str(out)], ["collect", str(out)],
                    ["run", str(sweep_file), "--out", str(out), "--quiet"]):  # fmt: skip
        code, err = _cli("sweep", *command)
        assert code == 2 and "--rebuild-manifest" in _one_line(err), (command, err)
    code, err = _cli("sweep", "run", str(sweep_file), "--out", str(out), "--rebuild-manifest")
    assert code == 0 and "0 task(s) done in" in err[-1] and f"{TASKS} already done" in err[-1]
    assert_same_rows(load_results(out), load_results(reference))
    if damage is not None:  # the damaged manifest is kept aside, not deleted
        assert [p.read_bytes() for p in out.glob("manifest.json.replaced-*")] == [damage]


# ------------------------------------------------------------------ file system
@contextlib.contextmanager
def _tmpfs(path: Path, options: str):
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_read_only_folder_is_one_line_exit_2(tmp_path, sweep_file):
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        code, err = _cli("sweep", "run", str(sweep_file), "--out", str(folder / "out"))
        line = _one_line(err)
        assert code == 2 and "'out' folder must be a writable folder" in line
        assert "Read-only file system" in line


def _disk_use(folder: Path) -> int:
    """Bytes a folder takes on a tmpfs: every file rounded up to whole 4 KiB pages."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in folder.rglob("*") if p.is_file())


def test_a_full_disk_stops_with_what_is_saved_and_resumes(tmp_path, sweep_file, reference):
    slow = {FAULT_ENV: "sleep:*:0.15"}  # about ten parts, written every half second
    args = ["sweep", "run", str(sweep_file), "--workers", "1", "--quiet"]
    code, err = _cli(*args, "--out", str(tmp_path / "full"), env=slow)
    assert code == 0, err
    full = tmp_path / "full"
    room = _disk_use(full) - _disk_use(full / "parts") // 2  # room for about half the parts
    with _tmpfs(tmp_path / "small", f"size={room}") as folder:
        out = folder / "out"
        code, err = _cli(*args, "--out", str(out), env=slow)
        line = _one_line(err)
        saved = sweep_status(out).done
        assert code == 1 and "No space left on device" in line
        assert f"{saved} of {TASKS} tasks are saved" in line and "to resume" in line
        assert 0 < saved < TASKS and not list((out / "failed").iterdir())
        subprocess.run(["mount", "-o", "remount,size=8m", str(folder)], check=True)
        code, err = _cli(*args, "--out", str(out))
        assert code == 0, err
        assert_same_rows(load_results(out), load_results(reference))


# ------------------------------------------------------------------ signals
def _wait_for_parts(out: Path, proc: subprocess.Popen, count: int = 1) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        parts = out / "parts"
        if parts.is_dir() and len(list(parts.glob("*.parquet"))) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the sweep ended before it could be stopped")


@pytest.mark.parametrize(
    ("workers", "sig", "code", "word"),
    [("1", signal.SIGINT, 130, "Ctrl-C"), ("1", signal.SIGTERM, 143, "SIGTERM"),
     *(pytest.param("2", sig, code, word, marks=pytest.mark.slow)
       for sig, code, word in ((signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")))],
)  # fmt: skip
def test_ctrl_c_and_sigterm_say_what_is_saved(tmp_path, sweep_file, reference, workers, sig,
                                              code, word):  # fmt: skip
    out = tmp_path / "out"
    args = ["sweep", "run", str(sweep_file), "--out", str(out), "--workers", workers, "--quiet"]
    env = {**os.environ, FAULT_ENV: "sleep:*:0.1"}
    proc = subprocess.Popen([str(SCRIPT), *args], stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # fmt: skip
    _wait_for_parts(out, proc)
    os.killpg(proc.pid, sig)  # as a terminal does: the driver and its workers
    _, stderr = proc.communicate(timeout=120)
    line = _one_line(stderr.strip().splitlines())
    saved = sweep_status(out).done
    assert proc.returncode == code and word in line
    assert f"{saved} of {TASKS} tasks are saved" in line and "to resume" in line
    assert sweep_status(out).failed == 0 and not (out / ".lock").exists()
    rerun, err = _cli(*args[:-1])
    assert rerun == 0, err
    assert_same_rows(load_results(out), load_results(reference))


# ------------------------------------------------------------------ Dask
@pytest.mark.slow  # an external Dask scheduler killed mid-sweep
def test_a_lost_scheduler_is_not_a_task_failure(tmp_path, sweep_file, reference):
    bin_dir = Path(sys.executable).parent
    port = 20000 + os.getpid() % 20000
    address = f"tcp://127.0.0.1:{port}"
    # 0.5 s a task: 15 s of work, so the scheduler dies mid-sweep on a fast machine too. The
    # tasks run on the external worker, so the worker is the process that needs the hook.
    env = {**os.environ, FAULT_ENV: "sleep:*:0.5"}
    scheduler = subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--port", str(port),
                                  "--no-dashboard"], stderr=subprocess.DEVNULL)  # fmt: skip
    worker = subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nthreads", "1",
                               "--no-dashboard"], stderr=subprocess.DEVNULL, env=env)  # fmt: skip
    try:
        out = tmp_path / "out"
        args = ["sweep", "run", str(sweep_file), "--out", str(out), "--scheduler", address]
        proc = subprocess.Popen([str(SCRIPT), *args, "--quiet"], stderr=subprocess.PIPE,
                                text=True, env=env)  # fmt: skip
        _wait_for_parts(out, proc)
        scheduler.kill()
        _, stderr = proc.communicate(timeout=180)
        line = _one_line(stderr.strip().splitlines())
        saved = sweep_status(out).done
        assert proc.returncode == 1 and "lost the Dask scheduler" in line
        assert f"{saved} of {TASKS} tasks are saved" in line
        assert sweep_status(out).failed == 0  # not recorded as task failures
    finally:
        for proc_ in (scheduler, worker):
            proc_.kill()
            proc_.wait()
    code, err = _cli("sweep", "run", str(sweep_file), "--out", str(out), "--workers", "1")
    assert code == 0, err
    assert_same_rows(load_results(out), load_results(reference))


def test_workers_that_die_at_start_up_are_one_line(tmp_path, sweep_file):
    preload = tmp_path / "die.py"
    preload.write_text("import os\nos._exit(3)\n")
    env = {"DASK_DISTRIBUTED__WORKER__PRELOAD": f'["{preload}"]'}
    code, err = _cli("sweep", "run", str(sweep_file), "--out", str(tmp_path / "out"),
                     "--workers", "2", env=env)  # fmt: skip
    line = _one_line(err)
    assert code == 1 and "could not start a local Dask cluster" in line
    assert f"0 of {TASKS} tasks are saved" in line


# ------------------------------------------------------------------ failed tasks
def test_a_task_that_fails_repeatedly_is_recorded_with_its_parameters(tmp_path, sweep_file):
    victim = expand_tasks(load_config(sweep_file))[3]
    out = tmp_path / "out"
    args = ["sweep", "run", str(sweep_file), "--out", str(out), "--workers", "1", "--quiet"]
    code, err = _cli(*args, "--retries", "2", env={FAULT_ENV: f"raise:{victim.task_id}"})
    assert code == 1 and "1 of 30 tasks failed" in _one_line(err)
    text = subprocess.run([str(SCRIPT), "sweep", "status", str(out)], capture_output=True,
                          text=True).stdout  # fmt: skip
    assert f"29 done, 0 pending, 1 failed, of {TASKS} tasks" in text
    assert f"failed {victim.task_id} (M=100, alpha=1.0" in text
    assert f"seed {victim.seed_index}): RuntimeError: injected failure" in text
