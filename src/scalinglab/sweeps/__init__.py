"""Sweeps at scale: declarative TOML grids, resumable Parquet results, local or Dask workers.

>>> from scalinglab.sweeps import run_sweep, collect            # doctest: +SKIP
>>> summary = run_sweep("examples/sweep_small.toml", "runs/small")  # doctest: +SKIP
>>> table = collect("runs/small")   # seed mean and s.e. per grid point  # doctest: +SKIP
"""

from .config import AXES, GridConfig, SweepConfig, load_config
from .run import SweepSummary, run_sweep
from .store import SweepStatus, collect, load_results, sweep_status
from .tasks import Task, expand_tasks

__all__ = [
    "AXES",
    "GridConfig",
    "SweepConfig",
    "SweepStatus",
    "SweepSummary",
    "Task",
    "collect",
    "expand_tasks",
    "load_config",
    "load_results",
    "run_sweep",
    "sweep_status",
]
