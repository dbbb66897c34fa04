"""Command-line front ends of the real-data tools.

:func:`cli_spectrum` is the ``--dataset`` branch of ``scalinglab spectrum`` (the command in
:mod:`scalinglab.cli.spectrum` hands it the full argument list); ``scalinglab dimension`` and
``scalinglab predict`` live in :mod:`scalinglab.cli.dimension` and :mod:`scalinglab.cli.predict`
and share :func:`dataset_options` from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import click

from .._validation import parse_list
from ..cli._guards import guard_features, yes_option
from ..cli._output import check_out_path, check_plot_path, out_option, write_table
from ..exceptions import ConfigError

__all__ = ["cli_spectrum", "dataset_options", "load_from_options", "print_json"]


def dataset_options(func: Callable) -> Callable:
    """Attach ``--dataset`` and the loader options to a click command."""
    options = [
        click.option("--dataset", required=True,
                     help="digits | sample-patches | skimage-patches | skimage:NAME | lfw | "
                          "fashion-mnist[:DIR] | mnist:DIR | cifar10:DIR | a .npy/.npz/.parquet "
                          "file | a directory of IDX files or CIFAR-10 batches."),
        click.option("--split", default="train", show_default=True,
                     help="train | test | all (MNIST, Fashion-MNIST, CIFAR-10)."),
        click.option("--n-samples", "n_samples", type=int, default=None,
                     help="Use a random subset of this many samples."),
        click.option("--patch-size", "patch_size", type=int, default=8, show_default=True,
                     help="Patch side for the patch data sets."),
        click.option("--n-patches", "n_patches", type=int, default=10000, show_default=True,
                     help="Number of patches for the patch data sets."),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def load_from_options(dataset: str, split: str, n_samples: int | None, patch_size: int,
                      n_patches: int, seed: int) -> Any:  # fmt: skip
    """The :class:`~scalinglab.realdata.loaders.Dataset` named by the common options."""
    import warnings

    from .loaders import load_dataset

    data = load_dataset(dataset, split=split, n_samples=n_samples, patch_size=patch_size,
                        n_patches=n_patches, seed=seed)  # fmt: skip
    if n_samples is not None and data.X.shape[0] < n_samples:
        size = data.X.shape[0]
        warnings.warn(f"--n-samples {n_samples} exceeds the {size} samples of {data.name}: "
                      f"all {size} are used.", UserWarning, stacklevel=2)  # fmt: skip
    return data


def _safe(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    return value


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON (NaN as null, infinities as strings)."""
    click.echo(json.dumps(_safe(payload), indent=1))


def _parse_range(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    values = parse_list("fit_range", text, int)
    if len(values) != 2:
        raise ConfigError(
            f"The 'fit_range' parameter must be two ranks 'FIRST,LAST'. Got {text!r} instead."
        )
    if values[0] >= values[1]:
        raise ConfigError(
            f"The '--fit-range' option must be FIRST,LAST with FIRST < LAST. Got {text} instead."
        )
    return values[0], values[1]


@click.command(name="spectrum --dataset")
@dataset_options
@click.option(
    "--features",
    default="none",
    show_default=True,
    help="none (the data) | linear | relu: spectrum of N random features of the data.",
)
@click.option(
    "--N",
    "N",
    type=int,
    default=None,
    help="Number of random features (with --features; default 2 x dim).",
)
@click.option(
    "--uncentred",
    "--uncentered",
    "uncentred",
    is_flag=True,
    help="Second moment instead of the covariance.",
)
@click.option(
    "--method", default="auto", show_default=True, help="auto | covariance | gram | randomized."
)
@click.option(
    "--n-components",
    "n_components",
    type=int,
    default=None,
    help="Eigenvalues to compute with the randomized method.",
)
@click.option(
    "--fit-range",
    "fit_range",
    default=None,
    help="Ranks FIRST,LAST of the power-law fit (default: the automatic rule).",
)
@click.option(
    "--n-boot",
    "n_boot",
    type=int,
    default=20,
    show_default=True,
    help="Bootstrap replicates for the exponent's interval.",
)
@click.option(
    "--latent", is_flag=True, help="Also estimate the latent size M and alpha (Silverstein fit)."
)
@click.option("--plot", default=None, is_flag=False, flag_value="spectrum.png",
              help="Write a log-log plot (default file spectrum.png).")  # fmt: skip
@out_option
@yes_option
def _spectrum_command(
    dataset, split, n_samples, patch_size, n_patches, seed, as_json, features, N, uncentred,
    method, n_components, fit_range, n_boot, latent, plot, out_path, yes,
) -> None:  # fmt: skip
    """Covariance spectrum of a real data set with its power-law fit (exponent = 1 + alpha)."""
    from .._validation import check_choice
    from .covariance import feature_map, standardize
    from .powerlaw import fit_spectrum

    features = check_choice("features", features, ("none", "linear", "relu"))
    plot, out_path = check_plot_path(plot), check_out_path(out_path)
    data = load_from_options(dataset, split, n_samples, patch_size, n_patches, seed)
    X = data.X
    if features != "none":
        N = 2 * data.dim if N is None else N
        guard_features(X.shape[0], N, n_boot, features, yes)
        X = feature_map(standardize(X), N, features, 1.0, seed)
    result = fit_spectrum(X, centre=not uncentred, fit_range=_parse_range(fit_range),
                          n_boot=n_boot, seed=seed, method=method,
                          n_components=n_components)  # fmt: skip
    record: dict[str, Any] = {"dataset": data.name, "features": features,
                              "N": None if features == "none" else N}  # fmt: skip
    record.update(result.to_dict())
    record["dim"] = data.dim
    if latent:
        from .latent_size import estimate_latent_size

        fit = estimate_latent_size(result.eigenvalues, X.shape[0], centre=not uncentred)
        record.update({"latent_M": fit.M, "latent_alpha": fit.alpha,
                       "latent_lambda_plus": fit.lambda_plus,
                       "latent_rms_log_error": fit.rms_log_error})  # fmt: skip
    if out_path is not None:
        write_table([record], out_path)
    if as_json:
        print_json([record])
    else:
        from ..cli._options import echo_records

        columns = ["dataset", "n_samples", "dim", "exponent", "alpha", "exponent_se",
                   "fit_range", "cutoff", "cutoff_fraction"]  # fmt: skip
        if latent:
            columns += ["latent_M", "latent_alpha"]
        shown = dict(record, fit_range=f"{record['fit_range'][0]}-{record['fit_range'][1]}")
        echo_records([shown], False, columns)
    if plot:
        from .plotting import plot_spectrum

        plot_spectrum(result.eigenvalues, result.fit, plot, title=data.name)
        click.echo(f"Plot written to {plot}", err=True)


def cli_spectrum(args: Sequence[str]) -> None:
    """Run ``scalinglab spectrum --dataset ...`` on the full argument list."""
    _spectrum_command.main(args=list(args), prog_name="scalinglab spectrum",
                           standalone_mode=False)  # fmt: skip
