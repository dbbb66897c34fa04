"""``scalinglab dimension``: intrinsic dimension of a real data set (MLE and TwoNN)."""

from __future__ import annotations

import click

from ._options import echo_records
from ._output import check_out_path, check_plot_path, out_option, write_table
from ._progress import progress_bar
from ._realdata import dataset_options, load_from_options, print_json

COLUMNS = ("dataset", "T", "dim", "mle", "mle_ci", "twonn", "twonn_ci", "mean_nn_distance",
           "d_delta", "d_delta_ci")  # fmt: skip


@click.command()
@dataset_options
@click.option("--k1", type=int, default=10, show_default=True, help="Smallest k of the MLE.")
@click.option("--k2", type=int, default=20, show_default=True, help="Largest k of the MLE.")
@click.option(
    "--T",
    "T",
    default=None,
    help="Subset sizes, a list or a range LO:HI:K: estimates against T and <delta> ~ T^(-1/d).",
)
@click.option(
    "--repeats", type=int, default=3, show_default=True, help="Random subsets per size (with --T)."
)
@click.option(
    "--n-boot",
    "n_boot",
    type=int,
    default=200,
    show_default=True,
    help="Bootstrap replicates over points for the 95% intervals (0: none).",
)
@click.option("--plot", default=None, is_flag=False, flag_value="dimension.png",
              help="Plot the estimates against T (with --T; default dimension.png).")  # fmt: skip
@out_option
def dimension(dataset, split, n_samples, patch_size, n_patches, seed, as_json, k1, k2, T,
              repeats, n_boot, plot, out_path) -> None:  # fmt: skip
    """Intrinsic dimension: Levina-Bickel MLE (MacKay-Ghahramani averaging) and TwoNN, with
    95% intervals from a bootstrap over points; with --T, the estimates against T and the
    dimension d_delta of <delta> ~ T^(-1/d) with its interval."""
    from ..realdata.dimension import dimension_curve, intrinsic_dimension

    plot, out_path = check_plot_path(plot), check_out_path(out_path)
    with progress_bar(f"intrinsic dimension of {dataset}") as bar:
        data = load_from_options(dataset, split, n_samples, patch_size, n_patches, seed)
        bar(0, 1)
        if T is None:
            res = intrinsic_dimension(data.X, k1, k2, n_boot=n_boot, seed=seed)
            records = [{"dataset": data.name, "T": res.n_samples, **res.to_dict(),
                        "d_delta": None, "d_delta_ci": None}]  # fmt: skip
        else:
            curve = dimension_curve(data.X, T, repeats=repeats, seed=seed, k1=k1, k2=k2,
                                    n_boot=n_boot, progress=bar)  # fmt: skip
            records = [{"dataset": data.name, "dim": data.dim, **r} for r in curve.records()]
    if plot and T is not None:
        from ..realdata.plotting import plot_dimension_curve

        plot_dimension_curve(curve, plot, title=data.name)
        click.echo(f"Plot written to {plot}", err=True)
    if out_path is not None:
        write_table(records, out_path)
    if as_json:
        print_json(records)
    else:
        shown = [{k: (f"[{v[0]:.4g}, {v[1]:.4g}]" if k.endswith("_ci") and v else v)
                  for k, v in r.items()} for r in records]  # fmt: skip
        echo_records(shown, False, COLUMNS)
