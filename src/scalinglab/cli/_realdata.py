"""Command-line front ends of the real-data tools.

:func:`cli_spectrum` is the ``--dataset`` branch of ``scalinglab spectrum`` (the command in
:mod:`scalinglab.cli.spectrum` hands it the full argument list); ``scalinglab dimension`` and
``scalinglab predict`` live in :mod:`scalinglab.cli.dimension` and :mod:`scalinglab.cli.predict`
and share :func:`dataset_options` from here.

The library's :class:`~scalinglab.exceptions.EstimateWarning` (an estimate that cannot be
trusted for this input) is printed as one ``Warning: ...`` line by :func:`scalinglab.cli.main`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import click

from .._validation import parse_list
from ..exceptions import ConfigError
from ._guards import guard_features, yes_option
from ._output import check_out_path, check_plot_path, out_option, write_table
from ._progress import progress_bar

__all__ = [
    "HELP_SETTINGS",
    "cli_spectrum",
    "dataset_options",
    "load_from_options",
    "print_json",
]

HELP_SETTINGS = {"help_option_names": ["-h", "--help"]}
"""``-h`` as well as ``--help`` on commands run outside the top-level group."""


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

    from ..realdata.loaders import load_dataset

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


@click.command(name="spectrum --dataset", context_settings=HELP_SETTINGS)
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
    "--draws",
    type=int,
    default=3,
    show_default=True,
    help="Feature draws (seeds) averaged and included in the interval (with --features).",
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
    default=30,
    show_default=True,
    help="Parametric-bootstrap replicates: finite-T bias correction and 95% interval of the "
    "exponent (0: raw fit, no interval).",
)
@click.option(
    "--latent",
    is_flag=True,
    help="Also estimate the latent size M and latent alpha of the population (Silverstein "
    "fit; 95% intervals from 20 parametric replicates, none with --n-boot 0).",
)
@click.option("--plot", default=None, is_flag=False, flag_value="spectrum.png",
              help="Write a log-log plot (default file spectrum.png).")  # fmt: skip
@out_option
@yes_option
def _spectrum_command(
    dataset, split, n_samples, patch_size, n_patches, seed, as_json, features, N, draws,
    uncentred, method, n_components, fit_range, n_boot, latent, plot, out_path, yes,
) -> None:  # fmt: skip
    """Covariance spectrum of a real data set with its power-law fit.

    The exponent 1 + alpha of the sample spectrum is corrected for its finite-T bias and
    given with a 95% interval by a parametric bootstrap (docs/realdata.md); with --features
    the interval also covers the feature draw (--draws). fit_quality says whether the
    spectrum is a power law over the fitted ranks.
    """
    from .._validation import check_choice
    from ..realdata.spectrum_fit import fit_feature_spectrum, fit_spectrum

    features = check_choice("features", features, ("none", "linear", "relu"))
    ranks = _parse_range(fit_range)
    plot, out_path = check_plot_path(plot), check_out_path(out_path)
    if latent and (method == "randomized" or n_components is not None):
        _check_latent(method, n_components, 0, 0)
    with progress_bar(f"spectrum of {dataset}") as bar:
        data = load_from_options(dataset, split, n_samples, patch_size, n_patches, seed)
        if latent:
            D = data.dim if features == "none" else (2 * data.dim if N is None else N)
            _check_latent(method, n_components, data.n_samples, D)
        if features == "none":
            X = data.X
            bar(0, 1)
            result = fit_spectrum(X, centre=not uncentred, fit_range=ranks, n_boot=n_boot,
                                  seed=seed, method=method, n_components=n_components,
                                  label=f"{data.name} spectrum", progress=bar)  # fmt: skip
        else:
            N = 2 * data.dim if N is None else N
            guard_features(data.n_samples, N, draws, n_boot, features, yes)
            bar(0, 1)
            result = fit_feature_spectrum(data.X, N, activation=features, draws=draws,
                                          centre=not uncentred, fit_range=ranks, n_boot=n_boot,
                                          seed=seed, label=f"{data.name} {features} features",
                                          progress=bar)  # fmt: skip
    record: dict[str, Any] = {"dataset": data.name, "features": features,
                              "N": None if features == "none" else N}  # fmt: skip
    record.update(result.to_dict())
    if latent:
        with progress_bar("latent size M") as bar:
            record.update(_latent_record(result, bar))
    if out_path is not None:
        write_table([record], out_path)
    if as_json:
        print_json([record])
    else:
        from ._options import echo_records

        columns = ["dataset", "n_samples", "dim", "exponent", "exponent_ci", "alpha",
                   "fit_range", "cutoff", "fit_quality"]  # fmt: skip
        if latent:
            columns += ["latent_M", "latent_M_ci", "latent_alpha", "latent_alpha_ci",
                        "latent_quality"]  # fmt: skip
        shown = dict(record, fit_range=f"{record['fit_range'][0]}-{record['fit_range'][1]}",
                     exponent_ci=_interval(record["exponent_ci"]))  # fmt: skip
        if latent:
            shown.update(latent_M_ci=_interval(record["latent_M_ci"],
                                               lower=record["latent_M_lower_bound"]),
                         latent_alpha_ci=_interval(record["latent_alpha_ci"]))  # fmt: skip
        echo_records([shown], False, columns)
        click.echo(
            "exponent = 1 + alpha of the sample spectrum over fit_range (bias-corrected"
            + (", interval over data and feature draws" if features != "none" else "")
            + ")"
            + (
                "; latent_alpha, latent_M: the population power law J^-(1+alpha), J <= M, "
                "whose finite-T sample spectrum matches the whole spectrum (docs/realdata.md)"
                if latent
                else ""
            ),
            err=True,
        )
    if plot:
        from ..realdata.plotting import plot_spectrum

        plot_spectrum(result.eigenvalues, result.fit, plot, title=data.name)
        click.echo(f"Plot written to {plot}", err=True)


def _interval(ci: Any, lower: Any = None) -> str:
    if lower is not None:
        return f">= {lower:.4g}"
    if ci is None:
        return "-"
    return f"[{ci[0]:.4g}, {ci[1]:.4g}]"


def _check_latent(method: str, n_components: int | None, T: int, D: int) -> None:
    """Refuse ``--latent`` before any long work when the spectrum would be truncated."""
    from ..realdata.covariance import EXACT_LIMIT

    if (
        method == "randomized"
        or n_components is not None
        or (method == "auto" and min(T, D) > EXACT_LIMIT)
    ):
        raise ConfigError(
            "The '--latent' option needs the whole spectrum (all min(T, d) eigenvalues); "
            "a truncated one (--method randomized, --n-components, or auto above "
            f"{EXACT_LIMIT}) puts M at its length. Use --method covariance or gram, or fewer "
            "samples (--n-samples)."
        )


def _latent_record(result: Any, progress: Any) -> dict[str, Any]:
    from ..realdata.latent_size import estimate_latent_size

    fit = estimate_latent_size(result.eigenvalues, result.n_samples, centre=result.centre,
                               dim=result.dim, n_boot=20 if result.n_boot else 0,
                               progress=progress)  # fmt: skip
    return {f"latent_{k}": v for k, v in fit.to_dict().items()}


def cli_spectrum(args: Sequence[str]) -> None:
    """Run ``scalinglab spectrum --dataset ...`` on the full argument list."""
    _spectrum_command.main(args=list(args), prog_name="scalinglab spectrum",
                           standalone_mode=False)  # fmt: skip
