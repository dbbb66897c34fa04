"""``scalinglab sweep``: run a TOML sweep file, show its status, collect its results."""

from __future__ import annotations

import click

STATS = ("loss_mean", "loss_sem", "train_loss_mean", "seeds")


@click.group()
def sweep() -> None:
    """Sweeps over grids of the model's parameters (TOML files, resumable Parquet results)."""


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
@click.option("--force-new", is_flag=True, help="Start over if OUT holds a different sweep.")
@click.option("--retries", type=int, default=1, show_default=True, help="Dask retries per task.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary line.")
def run(file, out, scheduler, workers, force_new, retries, quiet) -> None:
    """Run (or resume) the sweep in FILE; exit code 1 if some tasks failed."""
    from ..sweeps import run_sweep

    summary = run_sweep(
        file,
        out,
        scheduler=scheduler,
        workers=workers,
        quiet=quiet,
        force_new=force_new,
        retries=retries,
    )
    if not quiet:
        click.echo(summary.line(), err=True)
    if summary.failed:
        first = next(iter(summary.failures.items()))
        raise click.ClickException(  # exit code 1, one "Error: ..." line
            f"{summary.failed} of {summary.total} tasks failed (first: {first[0]}: "
            f"{first[1]}); see {summary.out_dir / 'sweep.log'}, rerun to retry them."
        )


@sweep.command("status")
@click.argument("directory", type=click.Path(file_okay=False))
def status(directory) -> None:
    """Show how many tasks of the sweep in DIRECTORY are done, pending and failed."""
    from ..sweeps import sweep_status

    state = sweep_status(directory)
    click.echo(
        f"{state.done} done, {state.pending} pending, {state.failed} failed, of {state.total} tasks"
    )
    for task_id, error in sorted(state.failures.items()):
        click.echo(f"failed {task_id}: {error}")


@sweep.command("collect")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--out", "out", default=None, help="Write the table to this Parquet file.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of records.")
def collect(directory, out, as_json) -> None:
    """Seed mean and standard error of the losses per grid point of the sweep in DIRECTORY."""
    from ..sweeps import AXES, collect
    from ._options import echo_records

    table = collect(directory)
    if out is not None:
        table.to_parquet(out, index=False)
        click.echo(f"{len(table)} points written to {out}", err=True)
        return
    varying = [a for a in AXES if table[a].nunique() > 1] or ["N", "T", "ridge"]
    echo_records(table.to_dict("records"), as_json, (*varying, *STATS))
