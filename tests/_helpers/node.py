"""Run JavaScript under Node.js (Debian's ``nodejs``, installed by .ci/run) and exchange JSON."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def find_node() -> str:
    """The node binary; a failure in CI (CI=true), a skip elsewhere when it is missing."""
    for name in ("node", "nodejs"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("Node.js is required in CI (apt-get install -y nodejs)")
    pytest.skip("Node.js not installed (apt-get install -y nodejs); required when CI=true")


def _decode(value):
    """Non-finite numbers travel as the strings 'inf', '-inf', 'nan' (JSON has no Infinity)."""
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def _encode(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def run_node(script: Path, payload) -> object:
    """Run ``node script`` with ``payload`` as JSON on stdin; return its JSON stdout."""
    proc = subprocess.run(
        [find_node(), str(script)],
        input=json.dumps(_encode(payload)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return _decode(json.loads(proc.stdout))
