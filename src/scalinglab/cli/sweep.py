"""``scalinglab sweep``: run a TOML sweep file, show its status, collect its results.

Exit codes: 0 done; 1 some tasks failed or the environment stopped the run (disk full, lost
cluster; the one-line message says what is saved and how to resume); 2 bad input; 130 Ctrl-C;
143 SIGTERM.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

STATS = ("loss", "loss_sem", "train_loss", "seeds")


@contextmanager
def _stopped_is_one_line():
    """A :class:`SweepStopped` (or a disk error) as one ``Error:`` line and its exit code."""
    from ..sweeps import SweepStopped

    try:
        yield
    except SweepStopped as stop:
        click.echo(f"Error: {stop}", err=True)
        sys.exit(stop.exit_code)
    except OSError as err:
        click.echo(f"Error: {err.strerror or err} ({getattr(err, 'filename', '') or ''}).",
                   err=True)  # fmt: skip
        sys.exit(1)


@click.group()
def sweep() -> None:
    """Sweeps over grids of the model's parameters (TOML files, verified resumable Parquet)."""


@sweep.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out", default=None, help="Output folder (overrides the file's `out`).")
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler address, or local:K for a new local cluster of K workers.",
)
@click.option(
    "--workers", type=int, default=None, help="Local worker processes [default: one per core]."
)
@click.option(
    "--cluster",
    type=click.Choice(["slurm"]),
    default=None,
    help="Run on SLURM via dask-jobqueue (pip install 'scalinglab[cluster]'); settings from the "
    "file's [cluster] table and the flags below.",
)
@click.option("--queue", default=None, help="SLURM partition [default: the cluster's].")
@click.option("--cores", type=int, default=None, help="Cores per SLURM job [1].")
@click.option("--memory", default=None, help="Memory per SLURM job, e.g. 4GB [2GB].")
@click.option("--walltime", default=None, help="Walltime per SLURM job [01:00:00].")
@click.option("--jobs", type=int, default=None, help="SLURM jobs (the most, if adaptive) [1].")
@click.option("--adaptive/--no-adaptive", default=None, help="Scale SLURM jobs with the load [no].")
@click.option("--min-jobs", type=int, default=None, help="Fewest SLURM jobs when adaptive [0].")
@click.option("--force-new", is_flag=True, help="Start over if OUT holds a different sweep.")
@click.option(
    "--rebuild-manifest",
    is_flag=True,
    help="Rebuild a missing or unreadable manifest from FILE; finished parts are kept.",
)
@click.option("--break-lock", is_flag=True, help="Take OUT over from a run that is gone.")
@click.option(
    "--retries", type=int, default=1, show_default=True, help="Further tries of a failing task."
)
@click.option("--quiet", is_flag=True, help="No progress bar or summary line.")
def run(file, out, scheduler, workers, cluster, queue, cores, memory, walltime, jobs, adaptive,
        min_jobs, force_new, rebuild_manifest, break_lock, retries, quiet) -> None:  # fmt: skip
    """Run (or resume) the sweep in FILE.

    Exit code 0 when every task is done; 1 if some tasks failed or the environment stopped the
    run (full disk, lost cluster: the message says what is saved and how to resume); 2 for
    bad input; 130 for Ctrl-C and 143 for SIGTERM (what finished is saved).
    """
    from ..sweeps import run_sweep

    flags = {"queue": queue, "cores": cores, "memory": memory, "walltime": walltime,
             "jobs": jobs, "adaptive": adaptive, "min_jobs": min_jobs}  # fmt: skip
    given = {k: v for k, v in flags.items() if v is not None}
    if given and cluster is None:
        names = ", ".join(f"--{k.replace('_', '-')}" for k in given)
        raise click.UsageError(f"{names} need(s) --cluster slurm.")
    with _stopped_is_one_line():
        summary = run_sweep(
            file,
            out,
            scheduler=scheduler,
            workers=workers,
            cluster={"kind": cluster, **given} if cluster else None,
            quiet=quiet,
            force_new=force_new,
            rebuild_manifest=rebuild_manifest,
            break_lock=break_lock,
            retries=retries,
        )
    if not quiet:
        click.echo(summary.line(), err=True)
    if summary.failed:
        first = next(iter(summary.failures.items()))
        raise click.ClickException(  # exit code 1, one "Error: ..." line
            f"{summary.failed} of {summary.total} tasks failed (first: {first[0]}: "
            f"{first[1]}); `scalinglab sweep status {summary.out_dir}` lists them, rerun to "
            "retry them."
        )


@sweep.command("status")
@click.argument("directory", type=click.Path(file_okay=False))
def status(directory) -> None:
    """Show how many tasks of the sweep in DIRECTORY are done, pending, failed or bad."""
    from ..sweeps import sweep_status

    state = sweep_status(directory)
    line = (
        f"{state.done} done, {state.pending} pending, {state.failed} failed, of {state.total} tasks"
    )
    if state.running:
        line += f"; running ({state.running})"
    click.echo(line)
    for task_id, record in sorted(state.failures.items()):
        params = ", ".join(f"{k}={v}" for k, v in record.get("params", {}).items())
        click.echo(f"failed {task_id} ({params}, seed {record.get('seed')}): {record['error']}")
    if state.bad:
        listed = "; ".join(f"{name} ({why})" for name, why in sorted(state.bad.items()))
        click.echo(
            f"{len(state.bad)} bad part file(s), not counted as done (the next run moves them "
            f"to quarantine/ and recomputes them): {listed}"
        )


@sweep.command("collect")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--out", "out", default=None, help="Write the table to this .parquet or .csv file (atomically)."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of records.")
def collect(directory, out, as_json) -> None:
    """Seed mean (loss, train_loss) and standard error (loss_sem, train_loss_sem) of the losses
    per grid point of the sweep in DIRECTORY, with the number of seeds (seeds)."""
    from ..sweeps import AXES, collect, write_table
    from ..sweeps.collect import check_table_path
    from ._options import echo_records

    if out is not None:
        check_table_path(out)  # before the work of reading every part
    table = collect(directory)
    if out is not None:
        with _stopped_is_one_line():
            write_table(table, out)
        click.echo(f"{len(table)} points written to {out}", err=True)
        return
    axes = [*AXES, *(c for c in ("batch", "step") if c in table)]  # dynamics: one row per step
    varying = [a for a in axes if table[a].nunique() > 1] or ["N", "T", "ridge"]
    echo_records(table.to_dict("records"), as_json, (*varying, *STATS))
