"""A sweep killed with SIGKILL and run again ends with every row exactly once, same numbers."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scalinglab.sweeps import load_results, run_sweep, sweep_status
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


KILLED_AFTER = 3
# The CLI with SweepStore.write_part wrapped and a part per task: right after the 3rd part is
# written the run SIGKILLs itself (and, in its own session, the Dask workers it started). The
# kill lands at the same point of every run, not after a race against a polling loop.
LAUNCHER = f"""
import os, signal, sys
from scalinglab.cli import main
from scalinglab.sweeps import run
from scalinglab.sweeps.store import SweepStore
run.FLUSH_SECONDS = 0.0
write, written = SweepStore.write_part, []
def write_then_die(self, outcomes):
    name = write(self, outcomes)
    written.append(name)
    if len(written) == {KILLED_AFTER}:
        if sys.argv[1] == "group":
            os.killpg(0, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    return name
SweepStore.write_part = write_then_die
main(sys.argv[2:])
"""


def _kill_midway(args: list[str], group: bool) -> None:
    """Run the CLI until it has written KILLED_AFTER parts, where it SIGKILLs itself."""
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, "group" if group else "self", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=group,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_killed_sweep_resumes_to_exactly_the_uninterrupted_result(tmp_path, workers):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    out = tmp_path / "killed"
    args = ["sweep", "run", str(sweep_file), "--out", str(out), "--quiet", "--workers", workers]
    _kill_midway(args, group=workers != "1")
    assert sweep_status(out).done == KILLED_AFTER
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
