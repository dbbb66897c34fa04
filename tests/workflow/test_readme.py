"""The README's commands in "Simulate and predict", "Results tables", "Fit scaling laws" and
"Sweeps" run as written, in order, in a fresh folder: the simulate -> fit files, the stdin pipe
and the sweep -> collect -> fit sequence."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("Simulate and predict", "Results tables", "Fit scaling laws", "Sweeps")


def readme_commands(section: str) -> list[str]:
    """The ``$S ...`` lines of the bash blocks of one README section (comments stripped)."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", body, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith("$S "):
                lines.append(line)
    return lines


def run(line: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "scalinglab"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line], cwd=cwd, env={**_env(), "S": str(exe)},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, f"{line}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def test_python_example_runs():
    text = (ROOT / "README.md").read_text()
    body = text.split("## Simulate and predict\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", body, flags=re.S)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the README's own lines, as written
    assert namespace["sim"].to_frame()["loss"].gt(0).all()
    assert namespace["best"].ridge > 0


def test_every_section_has_commands():
    for section in SECTIONS:
        assert readme_commands(section), section


def test_simulate_theory_and_results_sections(tmp_path):
    for line in readme_commands("Simulate and predict"):
        run(line, tmp_path)
    table = pd.read_csv(tmp_path / "curve.csv")
    assert sorted(table["ridge"].unique()) == [0.0, 0.005, 0.01]
    assert {"loss", "loss_sem", "train_loss", "train_loss_sem", "seeds"} <= set(table.columns)
    (pipe,) = readme_commands("Results tables")
    out = run(pipe, tmp_path).stdout
    assert "power-N" in out and "converged = True" in out


@pytest.mark.slow  # 200-resample bootstrap fits and a plot (fast: tests/workflow/test_fit_workflow)
def test_fit_section(tmp_path):
    outputs = [run(line, tmp_path).stdout for line in readme_commands("Fit scaling laws")]
    fit = json.loads(outputs[1])
    assert fit["form"] == "chinchilla" and fit["n_bootstrap"] == 200 and "at_bound" in fit
    assert (tmp_path / "fit.png").stat().st_size > 10_000
    assert "extrapolation above N=300" in outputs[2]
    for form in ("kaplan", "chinchilla", "mrs"):
        assert form in outputs[3]


@pytest.mark.slow  # a 144-task sweep on a local Dask cluster: about a minute on 2 cores
def test_sweep_collect_fit_sequence(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    lines = readme_commands("Sweeps")
    assert [line.split()[1:3] for line in lines[:3]] == [["sweep", "run"], ["sweep", "status"],
                                                          ["sweep", "collect"]]  # fmt: skip
    for line in lines[:3]:
        run(line, tmp_path)
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert {"loss", "loss_sem", "train_loss", "train_loss_sem", "seeds"} <= set(table.columns)
    out = run(lines[3], tmp_path).stdout
    assert "ridge" in out and out.count("chinchilla") >= 2  # one fit per ridge, noise=0
