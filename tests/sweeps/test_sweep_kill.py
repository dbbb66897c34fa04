"""A sweep killed with SIGKILL and run again ends with every row exactly once, same numbers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scalinglab.sweeps import load_results, run_sweep, sweep_status
from scalinglab.sweeps.tasks import FAULT_ENV
from sweeps.sweep_helpers import assert_same_rows

SCRIPT = Path(sys.executable).parent / "scalinglab"
SWEEP = """
seeds = 6
seed = 3
[grid]
M = [200]
alpha = [1.0, 1.5]
N = [40, 80]
T = [60, 120]
ridge = [0.0, 0.01]
noise = [0.0, 0.2]
"""
TASKS = 2 * 2 * 6


def _kill_midway(args: list[str], out: Path, group: bool) -> None:
    """Start the CLI, wait until a few task files exist, SIGKILL it (and its workers)."""
    # Slowed tasks (the sweep writes finished tasks every half second): killed mid-sweep.
    proc = subprocess.Popen(
        [str(SCRIPT), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=group, env={**os.environ, FAULT_ENV: "sleep:*:0.5"},
    )  # fmt: skip
    parts = out / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("*.parquet"))) >= 1:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    if group:  # the run and the Dask workers it started
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_killed_sweep_resumes_to_exactly_the_uninterrupted_result(tmp_path, workers):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    out = tmp_path / "killed"
    args = ["sweep", "run", str(sweep_file), "--out", str(out), "--quiet", "--workers", workers]
    _kill_midway(args, out, group=workers != "1")
    halfway = sweep_status(out)
    assert 0 < halfway.done < TASKS
    rerun = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert sweep_status(out).done == TASKS
    rows = load_results(out)
    assert (
        len(rows) == TASKS * 8
        and not rows.duplicated(["alpha", "noise", "N", "T", "ridge", "seed"]).any()
    )
    reference = tmp_path / "reference"
    assert run_sweep(sweep_file, reference, workers=1).ok
    assert_same_rows(rows, load_results(reference))
