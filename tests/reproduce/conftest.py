"""One tiny reproduce run shared by the reproduce tests (all figures, a few seconds each, two
at a time), with its progress lines."""

from __future__ import annotations

import pytest

from scalinglab.reproduce import reproduce

from _helpers.reproduce_tiny import TINY


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    lines: list[str] = []
    # two figures at a time (the default on two cores), so the side-by-side path is tested
    summary = reproduce(out, quick=True, overrides=TINY, workers=1, jobs=2, progress=lines.append)
    summary.progress_lines = lines
    return summary
