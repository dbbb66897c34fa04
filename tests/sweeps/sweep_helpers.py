"""Helpers for the sweep tests: a small sweep (12 tasks of a few ms) and table comparison."""

from __future__ import annotations

import pandas as pd

from scalinglab.cli import main

# Columns that legitimately differ between two runs of the same sweep (wall-clock timing).
TIMING = ["task_seconds"]


def small_sweep(**changes) -> dict:
    """2 alphas x 2 noises x 3 seeds = 12 tasks, each with N x T x ridge = 2 x 2 x 2 rows."""
    config = {
        "seeds": 3,
        "seed": 7,
        "grid": {
            "M": [120],
            "alpha": [1.0, 2.0],
            "N": [10, 20],
            "T": [15, 30],
            "ridge": [0.0, 0.1],
            "noise": [0.0, 0.5],
        },
    }
    config.update(changes)
    return config


def assert_same_rows(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Two result tables hold exactly the same rows and numbers (timings aside)."""
    pd.testing.assert_frame_equal(
        left.drop(columns=TIMING), right.drop(columns=TIMING), check_exact=True
    )


def run_cli(argv: list[str]) -> int:
    """Run the CLI in this process; return its exit code."""
    try:
        main(argv)
    except SystemExit as stop:
        return int(stop.code)
    return 0
