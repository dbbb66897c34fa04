"""SLURM clusters for sweeps, through dask-jobqueue (the optional extra ``scalinglab[cluster]``).

Settings come from a ``[cluster]`` table of the sweep file, overridden by the CLI's flags::

    [cluster]
    kind = "slurm"
    queue = "debug"         # partition (--queue); default: the cluster's default partition
    cores = 1               # cores per job, one single-threaded worker process each (--cores)
    memory = "2GB"          # memory per job (--memory)
    walltime = "01:00:00"   # per job (--walltime)
    jobs = 2                # number of jobs (--jobs); with adaptive, the most at once
    adaptive = false        # scale between min_jobs and jobs with the load (--adaptive)
    min_jobs = 0            # (--min-jobs)
    job_extra = []          # extra #SBATCH lines, e.g. ["--account=myproject"]
    interface = "ib0"       # network interface of the scheduler and workers; default: Dask's

Where a sweep runs does not change its numbers (tasks pin their threads), so this table is not
part of the sweep's content hash. The cluster is always driven by Dask's adaptive scaling —
between ``jobs`` and ``jobs`` when not ``adaptive`` — so that a job that ends (``scancel``,
walltime, a node failure) is replaced and its batches rescheduled.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from .._validation import check_choice, check_int
from ..exceptions import ConfigError

__all__ = ["KINDS", "ClusterConfig"]

KINDS = ("slurm",)
SETTINGS = (
    "queue",
    "cores",
    "memory",
    "walltime",
    "jobs",
    "adaptive",
    "min_jobs",
    "job_extra",
    "interface",
)


class ClusterConfig(BaseModel):
    """A validated SLURM cluster: queue, cores and memory per job, walltime, jobs, scaling."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "slurm"
    queue: str | None = None
    cores: int = 1
    memory: str = "2GB"
    walltime: str = "01:00:00"
    jobs: int = 1
    adaptive: bool = False
    min_jobs: int = 0
    job_extra: tuple[str, ...] = ()
    interface: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return check_choice("cluster.kind", value, KINDS)

    @field_validator("cores", "jobs", mode="before")
    @classmethod
    def _positive(cls, value: Any, info) -> int:
        return check_int(f"cluster.{info.field_name}", value, low=1)

    @field_validator("min_jobs", mode="before")
    @classmethod
    def _min_jobs(cls, value: Any) -> int:
        return check_int("cluster.min_jobs", value, low=0)

    @field_validator("memory", "walltime", mode="before")
    @classmethod
    def _text(cls, value: Any, info) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"The 'cluster.{info.field_name}' parameter must be a string such as "
                f"{'2GB' if info.field_name == 'memory' else '01:00:00'}. Got {value!r} instead."
            )
        if info.field_name == "memory":
            from dask.utils import parse_bytes

            try:
                parse_bytes(value)
            except ValueError:
                raise ConfigError(
                    f"The 'cluster.memory' parameter must be a size such as 2GB. Got {value!r} "
                    "instead."
                ) from None
        return value

    @property
    def processes(self) -> int:
        """Worker processes per job: one single-threaded worker per core."""
        return self.cores

    def describe(self) -> str:
        scale = f"{self.min_jobs}-{self.jobs} jobs, adaptive" if self.adaptive else (
            f"{self.jobs} job(s)")  # fmt: skip
        queue = f"partition {self.queue}, " if self.queue else ""
        return f"{queue}{scale} of {self.cores} core(s), {self.memory}, {self.walltime}"

    def merged(self, **flags: Any) -> ClusterConfig:
        """These settings with the CLI's flags (those not None) on top, validated."""
        given = {k: v for k, v in flags.items() if v is not None}
        return ClusterConfig.model_validate({**self.model_dump(), **given})

    def start(self, log_directory: str | None = None):
        """Start a dask-jobqueue SLURMCluster with these settings and its adaptive scaling;
        the jobs' output goes to ``log_directory``."""
        try:
            from dask_jobqueue import SLURMCluster
        except ImportError:
            raise ConfigError(
                "The 'cluster' parameter 'slurm' needs dask-jobqueue: pip install "
                "'scalinglab[cluster]'."
            ) from None
        import logging

        cluster = SLURMCluster(
            queue=self.queue,
            cores=self.cores,
            processes=self.processes,
            memory=self.memory,
            walltime=self.walltime,
            job_extra_directives=list(self.job_extra),
            log_directory=log_directory,
            interface=self.interface,
            scheduler_options={"dashboard_address": None, "dashboard": False},
            silence_logs=logging.CRITICAL,
        )
        low = self.min_jobs if self.adaptive else self.jobs
        cluster.adapt(minimum_jobs=low, maximum_jobs=self.jobs, interval="1s", wait_count=5)
        return cluster
