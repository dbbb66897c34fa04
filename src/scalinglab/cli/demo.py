"""``scalinglab demo``: the main job with built-in defaults."""

from __future__ import annotations

import click

from ..model import DataModel
from ..simulation import simulate
from ._options import echo_records

COLUMNS = ("N", "T", "ridge", "loss_mean", "loss_sem", "train_loss_mean", "seeds")


@click.command()
def demo() -> None:
    """Run a small simulation grid (M = 2000, alpha = 1) and print it as a table."""
    model = DataModel(M=2000, alpha=1.0)
    result = simulate(model, N=[50, 100, 200, 400], T=[100, 400], ridge=[0.0, 1e-3], seeds=4)
    click.echo("Simulated test loss of linear random-feature ridge regression (M=2000, alpha=1):")
    echo_records(result.records(), False, COLUMNS)
