"""Sweeps at scale: declarative TOML grids, verified resumable Parquet results, local, Dask or
SLURM workers, the same numbers wherever a task runs.

>>> from scalinglab.sweeps import run_sweep, collect            # doctest: +SKIP
>>> summary = run_sweep("examples/sweep_small.toml", "runs/small")  # doctest: +SKIP
>>> table = collect("runs/small")   # seed mean and s.e. per grid point  # doctest: +SKIP
"""

from .cluster import ClusterConfig
from .collect import collect, load_results, write_table
from .config import AXES, GridConfig, SweepConfig, load_config
from .errors import SweepStopped
from .run import SweepSummary, run_sweep
from .store import SweepStatus, sweep_status
from .tasks import Task, expand_tasks

__all__ = [
    "AXES",
    "ClusterConfig",
    "GridConfig",
    "SweepConfig",
    "SweepStatus",
    "SweepStopped",
    "SweepSummary",
    "Task",
    "collect",
    "expand_tasks",
    "load_config",
    "load_results",
    "run_sweep",
    "sweep_status",
    "write_table",
]
