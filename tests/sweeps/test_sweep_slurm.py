"""Sweeps on a real single-node SLURM cluster (started by the test, see slurm_cluster.py): a job
cancelled mid-sweep (``scancel``) loses nothing, and the collected table is byte-identical to
the same sweep run in this process. Also the [cluster] settings and their errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scalinglab.cli import main
from scalinglab.exceptions import ConfigError
from scalinglab.sweeps import (
    ClusterConfig,
    collect,
    load_config,
    run_sweep,
    sweep_status,
    write_table,
)
from scalinglab.sweeps.execute import plan_execution
from scalinglab.sweeps.tasks import FAULT_ENV
from sweeps import slurm_cluster

SCRIPT = Path(sys.executable).parent / "scalinglab"
SWEEP = """
seeds = 40
seed = 2
[grid]
M = [300]
N = [40, 90]
T = [50, 120]
ridge = [0.0, 0.01]

[cluster]
kind = "slurm"
cores = 1
memory = "1GB"
walltime = "00:15:00"
interface = "lo"  # scheduler and workers talk over loopback only
"""
TASKS = 40


@pytest.fixture(scope="module")
def slurm():
    reason = slurm_cluster.unavailable_reason()
    if reason is not None:
        pytest.skip(f"no SLURM cluster: {reason}")
    pytest.importorskip("dask_jobqueue", reason="dask-jobqueue (scalinglab[cluster]) missing")
    started = slurm_cluster.start()
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(slurm_cluster.conf_path())
    yield
    if previous is None:
        os.environ.pop("SLURM_CONF")
    else:
        os.environ["SLURM_CONF"] = previous
    slurm_cluster.stop(started)


def _jobs() -> list[str]:
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-n", "dask-worker", "-o", "%i"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return out.stdout.split()


def _collected(out: Path) -> bytes:
    write_table(collect(out), out.with_suffix(".parquet"))
    return out.with_suffix(".parquet").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    "scaling", [["--jobs", "2"], ["--adaptive", "--min-jobs", "0", "--jobs", "2"]]
)
def test_a_cancelled_slurm_job_loses_nothing(tmp_path, slurm, scaling):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    assert run_sweep(sweep_file, tmp_path / "reference", workers=1).ok
    out = tmp_path / "out"
    args = ["sweep", "run", str(sweep_file), "--out", str(out), "--cluster", "slurm", *scaling]
    env = {**os.environ, FAULT_ENV: "sleep:*:0.25"}
    proc = subprocess.Popen([str(SCRIPT), *args, "--quiet"], stderr=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    cancelled = None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list((out / "parts").glob("*.parquet"))) if (out / "parts").is_dir() else 0
        jobs = _jobs()
        if done >= 3 and jobs:
            cancelled = jobs[0]
            subprocess.run(["scancel", cancelled], check=True)
            break
        time.sleep(0.2)
    assert cancelled is not None, "no SLURM job ran while the sweep was in progress"
    assert sweep_status(out).done < TASKS  # cancelled mid-sweep
    _, stderr = proc.communicate(timeout=400)
    print(f"SLURM ({' '.join(scaling)}): scancel {cancelled} mid-sweep; the run exited "
          f"{proc.returncode} {stderr.strip()!r}")  # fmt: skip
    if proc.returncode != 0:  # the sweep may stop (one line) and resume
        assert proc.returncode == 1 and len(stderr.strip().splitlines()) == 1, stderr
        rerun = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=400,
                               env=env)  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
    status = sweep_status(out)
    assert status.done == TASKS and status.failed == 0 and not status.bad
    assert cancelled not in _jobs()
    assert _collected(out) == _collected(tmp_path / "reference")
    assert list((out / "slurm-logs").glob("*.err"))  # the jobs' logs are kept with the results


def test_cluster_settings_come_from_the_file_and_the_flags(tmp_path):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    config = load_config(sweep_file)
    assert config.cluster == ClusterConfig(
        cores=1, memory="1GB", walltime="00:15:00", interface="lo"
    )
    # where a sweep runs is not part of what it computes
    plain = load_config(config.model_dump(exclude={"cluster"}))
    assert plain.content_hash() == config.content_hash()
    merged = config.cluster.merged(jobs=4, queue="gpu", adaptive=True, cores=None)
    assert (merged.jobs, merged.queue, merged.adaptive, merged.cores) == (4, "gpu", True, 1)
    execution = plan_execution(None, None, 10, cluster=merged)
    assert execution.mode == "slurm" and execution.workers == 4
    assert "partition gpu, 0-4 jobs, adaptive" in execution.describe()
    with pytest.raises(ConfigError, match="must not be given with --scheduler or --workers"):
        plan_execution(None, 2, 10, cluster=merged)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[cluster]\nkind = "pbs"', r"'cluster\.kind' parameter must be one of .*slurm"),
        ("[cluster]\ncores = 0", r"'cluster\.cores' parameter must be an integer"),
        ('[cluster]\nmemory = "lots"', r"'cluster\.memory' parameter must be a size"),
        ("[cluster]\nnodes = 3", r"unknown key 'cluster\.nodes'.*queue, cores, memory"),
        ("cluster = 3", r"sweep file's \[cluster\] must be a table"),
    ],
)
def test_bad_cluster_settings_are_one_line_exit_2(tmp_path, capsys, table, message):
    sweep_file = tmp_path / "sweep.toml"
    head = SWEEP.split("[cluster]")[0]
    # a top-level key must come before the [grid] table
    text = table + "\n" + head if table.startswith("cluster") else head + table
    sweep_file.write_text(text)
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "run", str(sweep_file), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1
    assert re.search(message, err[0]), err[0]


def test_cluster_flags_need_cluster_slurm(tmp_path, capsys):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP)
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "run", str(sweep_file), "--out", str(tmp_path / "o"), "--jobs", "3"])
    assert stop.value.code == 2 and "--jobs need(s) --cluster slurm" in capsys.readouterr().err
