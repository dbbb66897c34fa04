"""Shared test configuration: headless matplotlib, no BLAS oversubscription."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
