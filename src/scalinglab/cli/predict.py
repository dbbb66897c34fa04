"""``scalinglab predict``: predicted vs measured learning curves of random-feature ridge
regression on a real data set (kernel-spectrum deterministic equivalent, docs/theory.md §5,
§11)."""

from __future__ import annotations

import click

from ._options import echo_records
from ._output import check_out_path, check_plot_path, out_option, write_table
from ._progress import progress_bar
from ._realdata import dataset_options, load_from_options, print_json

COLUMNS = ("N", "T", "predicted", "loss", "loss_sem", "relative_error")


@click.command()
@dataset_options
@click.option(
    "--target",
    default="linear",
    show_default=True,
    help="linear (random linear teacher on the inputs) | label:C (one-vs-rest).",
)
@click.option("--activation", default="relu", show_default=True, help="relu | linear.")
@click.option(
    "--N",
    "N",
    default="100,200,400",
    show_default=True,
    help="Numbers of random features: a list or a range LO:HI:K (a grid with --T).",
)
@click.option(
    "--T",
    "T",
    default="100,200,400",
    show_default=True,
    help="Numbers of training samples: a list or a range LO:HI:K.",
)
@click.option(
    "--ridge",
    type=float,
    default=1.0,
    show_default=True,
    help="Ridge gamma >= 0 (un-normalised, docs/theory.md §2).",
)
@click.option(
    "--seeds",
    type=int,
    default=4,
    show_default=True,
    help="Draws of (features, training subset) to average.",
)
@click.option(
    "--n-test", "n_test", type=int, default=500, show_default=True, help="Held-out test points."
)
@click.option(
    "--n-pool",
    "n_pool",
    type=int,
    default=3000,
    show_default=True,
    help="Points representing the data distribution (kernel spectrum).",
)
@click.option("--plot", default=None, is_flag=False, flag_value="predict.png",
              help="Write the learning curves (default file predict.png).")  # fmt: skip
@out_option
def predict(dataset, split, n_samples, patch_size, n_patches, seed, as_json, target, activation,
            N, T, ridge, seeds, n_test, n_pool, plot, out_path) -> None:  # fmt: skip
    """Predict the test loss vs N and T on real data and compare with trained models.

    Exponents are fitted on one side of the interpolation peak T = N only (T <= N/2 at the
    largest N, N <= T/2 at the largest T); the points used are printed, and the measured
    exponents carry 95% intervals over the seeds.
    """
    from ..realdata.predict import predict_learning_curve

    plot, out_path = check_plot_path(plot), check_out_path(out_path)
    with progress_bar(f"learning curves on {dataset}") as bar:
        data = load_from_options(dataset, split, n_samples, patch_size, n_patches, seed)
        result = predict_learning_curve(data, N, T, target=target, activation=activation,
                                        ridge=ridge, n_test=n_test, n_pool=n_pool, seeds=seeds,
                                        seed=seed, progress=bar)  # fmt: skip
    exponents = result.exponents()
    if out_path is not None:
        write_table(result.records(), out_path)
    if as_json:
        print_json({"dataset": data.name, "target": target, "activation": activation,
                    "ridge": ridge, **exponents, "records": result.records()})  # fmt: skip
    else:
        echo_records(result.records(), False, COLUMNS)
        for axis, other in (("T", "N"), ("N", "T")):
            key = f"exponent_{axis}"
            ci = exponents[f"{key}_measured_ci"]
            shown = "" if ci is None else f" [{ci[0]:.4g}, {ci[1]:.4g}]"
            click.echo(
                f"{key}: predicted {exponents[f'{key}_predicted']:.4g}, measured "
                f"{exponents[f'{key}_measured']:.4g}{shown} (at {other} = "
                f"{exponents[f'{key}_at_{other}']}, {axis} = {exponents[f'{key}_points']})"
            )
    if plot:
        from ..realdata.plotting import plot_learning_curves

        plot_learning_curves(result, plot)
        click.echo(f"Plot written to {plot}", err=True)
