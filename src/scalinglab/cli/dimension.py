"""``scalinglab dimension``: intrinsic dimension of a real data set (MLE and TwoNN)."""

from __future__ import annotations

import click

from ._realdata import dataset_options, load_from_options, print_json
from ._options import echo_records

COLUMNS = ("dataset", "T", "dim", "mle", "twonn", "mean_nn_distance", "d_delta")


@click.command()
@dataset_options
@click.option("--k1", type=int, default=10, show_default=True, help="Smallest k of the MLE.")
@click.option("--k2", type=int, default=20, show_default=True, help="Largest k of the MLE.")
@click.option(
    "--T",
    "T",
    default=None,
    help="Subset sizes, comma-separated: estimates against T and <delta> ~ T^(-1/d).",
)
@click.option(
    "--repeats", type=int, default=3, show_default=True, help="Random subsets per size (with --T)."
)
@click.option("--plot", default=None, is_flag=False, flag_value="dimension.png",
              help="Plot the estimates against T (with --T; default dimension.png).")  # fmt: skip
def dimension(dataset, split, n_samples, patch_size, n_patches, seed, as_json, k1, k2, T,
              repeats, plot) -> None:  # fmt: skip
    """Intrinsic dimension: Levina-Bickel MLE (MacKay-Ghahramani averaging) and TwoNN."""
    from ..realdata.dimension import dimension_curve, intrinsic_dimension

    data = load_from_options(dataset, split, n_samples, patch_size, n_patches, seed)
    if T is None:
        res = intrinsic_dimension(data.X, k1, k2)
        records = [{"dataset": data.name, "T": res.n_samples, **res.to_dict(), "d_delta": None}]
    else:
        curve = dimension_curve(data.X, T, repeats=repeats, seed=seed, k1=k1, k2=k2)
        records = [{"dataset": data.name, "dim": data.dim, **r} for r in curve.records()]
        if plot:
            from ..realdata.plotting import plot_dimension_curve

            plot_dimension_curve(curve, plot, title=data.name)
            click.echo(f"Plot written to {plot}", err=True)
    if as_json:
        print_json(records)
    else:
        echo_records(records, False, COLUMNS)
