"""``scalinglab demo``: the main job with built-in defaults (the quick reproduction)."""

from __future__ import annotations

from pathlib import Path

import click

from ._options import reproduce_out_option


@click.command()
@reproduce_out_option
def demo(out_dir: Path) -> None:
    """Reproduce every figure of the paper with the quick configs and print the report path."""
    from ..reproduce import reproduce

    click.echo(f"Reproducing the paper's figures (quick) into {out_dir} ...")
    summary = reproduce(out_dir, quick=True, progress=click.echo)
    click.echo(summary.line())
    click.echo(f"Report: {summary.report.resolve()}")
