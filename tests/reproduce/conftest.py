"""One tiny reproduce run shared by the reproduce tests (all figures, a few seconds each)."""

from __future__ import annotations

import pytest

from scalinglab.reproduce import reproduce

from _helpers.reproduce_tiny import TINY


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    return reproduce(out, quick=True, overrides=TINY, workers=1)
