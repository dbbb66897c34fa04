"""The learner tests write their finished units into a temporary cache, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SCALINGLAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
