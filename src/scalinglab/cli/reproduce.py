"""``scalinglab reproduce`` and ``scalinglab report``: the paper's figures and their report."""

from __future__ import annotations

from pathlib import Path

import click

from ._options import reproduce_out_option


@click.command()
@click.option(
    "--quick", is_flag=True, help="Small configs: every figure in about a minute on 2 cores."
)
@click.option(
    "--full",
    is_flag=True,
    help="The full configs (the default without --only; with --only the default is --quick).",
)
@reproduce_out_option
@click.option("--only", default=None, help="Comma-separated figure names (default: all).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes per simulation sweep (default: 1; one per core with --jobs 1 --full).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Figures built at once, each in its own process (default: one per core).",
)
@click.option(
    "--replot", is_flag=True, help="Redraw the figures from their stored data without recomputing."
)
def reproduce(
    quick: bool,
    full: bool,
    out_dir: Path,
    only: str | None,
    workers: int | None,
    jobs: int | None,
    replot: bool,
) -> None:
    """Build the paper's figures (PNG, SVG and data) and the HTML report DIR/index.html.

    Without --quick or --full: all figures run the full configs, a selection (--only) the quick
    ones. Progress: one line per figure and per simulation task, with ETAs. An interrupted run
    resumes its simulations. Figures (in report order): spectrum, features, loss-vs-N,
    loss-vs-T, phase, breakdown, double-descent, optimal-ridge, scaling-fit, alpha-sweep,
    compute-envelope, noise-allocation, relu-learning-curves, realdata-spectra,
    realdata-learning-curves, intrinsic-dimension.
    """
    from ..reproduce import figure_names, write_report
    from ..reproduce import replot as redraw
    from ..reproduce import reproduce as run

    figure_names(only)  # validate before any work
    if quick and full:
        raise click.UsageError("The '--quick' and '--full' options exclude each other.")
    if replot:
        done = redraw(out_dir, only)
        click.echo(f"Redrew {len(done)} figure(s): {', '.join(done) or 'none found'}")
        click.echo(f"Report: {write_report(out_dir).resolve()}")
        return
    quick = quick or (only is not None and not full)
    mode = "quick" if quick else "full"
    click.echo(f"Reproducing ({mode}) into {out_dir} ...")
    summary = run(out_dir, quick=quick, only=only, workers=workers, jobs=jobs, progress=click.echo)
    click.echo(summary.line())
    click.echo(f"Report: {summary.report.resolve()}")


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
def report(out_dir: Path) -> None:
    """Write OUT_DIR/index.html from the figures of a reproduce run (self-contained page)."""
    from ..reproduce import write_report

    click.echo(f"Report: {write_report(out_dir).resolve()}")
