"""``scalinglab spectrum``: eigenvalue spectra of model features (``--model``) or of real data
(``--dataset NAME|PATH``).

One command, two branches, each owning its options:

* ``scalinglab spectrum --model [options]``: population feature spectra of the model's random
  features (:mod:`scalinglab.spectra.model_spectra`), parsed by :data:`model_spectrum` below.
* ``scalinglab spectrum --dataset NAME|PATH [options]``: real-data spectra. The whole argument
  list (``--dataset`` included) is handed to ``scalinglab.cli._realdata.cli_spectrum(args)``, which
  parses its own options.
"""

from __future__ import annotations

import json

import click

from ..exceptions import ConfigError
from ._guards import feature_covariance_cost, guard, yes_option
from ._options import COUNT, build_model, echo_records, sigma_b_option
from ._output import check_out_path, check_plot_path, out_option, write_table
from ._realdata import HELP_SETTINGS

MODEL_COLUMNS = (
    "activation",
    "M",
    "N",
    "cut_ratio",
    "slope_head",
    "slope_extension",
    "window_extension",
    "max_log10_residual_extension",
)
KERNEL_COLUMNS = ("activation", "M", "banks", "top_change", "slope_change")


def _plot(path: str, curves: dict[str, object], M: int, title: str) -> None:
    from ..realdata.plotting import plot_spectra

    plot_spectra(curves, path, title, M=M)
    click.echo(f"Plot written to {path}", err=True)


@click.command(name="spectrum --model", context_settings=HELP_SETTINGS)
@click.option("--M", "M", type=COUNT, default=100, show_default=True, help="Latent dimension M.")
@click.option(
    "--alpha",
    type=float,
    default=1.0,
    show_default=True,
    help="Spectral exponent: lambda_J = lambda_plus * J^-(1+alpha).",
)
@click.option(
    "--lambda-plus",
    "lambda_plus",
    type=float,
    default=1.0,
    show_default=True,
    help="Largest latent eigenvalue lambda_plus.",
)
@click.option(
    "--sigma-u",
    "sigma_u",
    type=float,
    default=1.0,
    show_default=True,
    help="Feature scale: U_iJ ~ N(0, sigma_u^2/M).",
)
@click.option(
    "--N",
    "N",
    type=COUNT,
    default=1000,
    show_default=True,
    help="Number of random features (size of the N x N covariance).",
)
@click.option(
    "--activation",
    default="linear,relu",
    show_default=True,
    help="Activation(s), comma-separated: linear|relu|erf|tanh|quadratic.",
)
@sigma_b_option
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draw of U.")
@click.option(
    "--uncentered",
    is_flag=True,
    help="Eigenvalues of the second moment E[phi phi^T] instead of the covariance.",
)
@click.option(
    "--kernel",
    "kernel_limit",
    is_flag=True,
    help="Large-N limit: kernel-operator eigenvalues eig(S_n)/n on nested banks "
    "n = N/4, N/2, N with convergence diagnostics.",
)
@click.option(
    "--plot",
    default=None,
    is_flag=False,
    flag_value="spectrum.png",
    help="Write a log-log plot (default file spectrum.png).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON records (with the eigenvalues).")
@out_option
@yes_option
def model_spectrum(
    M, alpha, lambda_plus, sigma_u, N, activation, sigma_b, seed, uncentered, kernel_limit, plot,
    as_json, out_path, yes,
) -> None:  # fmt: skip
    """Population feature spectrum of the model's random features for one draw of U.

    Linear features cut the latent power law at index M (rank M); nonlinear ones (relu, ...)
    extend it beyond M. The fitted log-log slopes inside [5, M/2] and over the extension
    [M, min(10M, N/2)] are reported (docs/theory.md §11: the extension slope is not
    -(1+alpha)).
    """
    from ..spectra.model_spectra import feature_spectrum, kernel_spectrum

    plot, out_path = check_plot_path(plot), check_out_path(out_path)
    model = build_model(M, alpha, 0.0, 1.0, sigma_u, lambda_plus)
    names = [a.strip() for a in activation.split(",") if a.strip()]
    if not names:
        raise ConfigError(
            f"The '--activation' option must be a non-empty list. Got {activation!r} instead."
        )
    seconds, nbytes = feature_covariance_cost(model.M, N, len(names) * (2 if kernel_limit else 1))
    guard(f"The feature spectrum at N = {N}, M = {model.M}", seconds, nbytes, "--N or --M", yes)
    records, curves = [], {}
    for name in names:
        if kernel_limit:
            res = kernel_spectrum(model, N, name, sigma_b=sigma_b, seed=seed,
                                  centered=not uncentered)  # fmt: skip
            rec = res.summary()
            largest = max(res.eigenvalues)
            for n in sorted(res.eigenvalues):
                curves[f"{name}, n = {n}"] = res.eigenvalues[n]
            if as_json:
                rec["eigenvalues"] = res.eigenvalues[largest].tolist()
        else:
            res = feature_spectrum(model, N, name, sigma_b=sigma_b, seed=seed,
                                   centered=not uncentered)  # fmt: skip
            rec = res.summary()
            curves[name] = res.eigenvalues
            if as_json:
                rec["eigenvalues"] = res.eigenvalues.tolist()
        records.append(rec)
    if out_path is not None:
        write_table(records, out_path)
    if as_json:
        click.echo(json.dumps(records, indent=1))
    else:
        echo_records(records, False, KERNEL_COLUMNS if kernel_limit else MODEL_COLUMNS)
    if plot:
        kind = "kernel operator" if kernel_limit else "feature covariance"
        _plot(plot, curves, M, f"{kind} spectrum, M = {M}, alpha = {alpha:g}")


_USAGE = """Usage: scalinglab spectrum (--model | --dataset NAME|PATH) [OPTIONS]

  Eigenvalue spectra: of the model's random features (--model) or of a real
  dataset (--dataset). Each branch has its own options:

    scalinglab spectrum --model --help
    scalinglab spectrum --dataset NAME|PATH --help
"""


def branch(args: list[str]) -> click.Command:
    """The command that parses ``args``: the --model or the --dataset branch (for messages)."""
    if "--model" in args:
        return model_spectrum
    from ._realdata import _spectrum_command

    return _spectrum_command


@click.command(
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def spectrum(args: tuple[str, ...]) -> None:
    """Eigenvalue spectra of model features (--model) or of real data (--dataset NAME|PATH)."""
    args = list(args)
    has_model = "--model" in args
    has_dataset = any(a == "--dataset" or a.startswith("--dataset=") for a in args)
    if not has_model and not has_dataset:
        if any(a in ("-h", "--help") for a in args):
            click.echo(_USAGE)
            return
        raise click.UsageError("Choose one of --model or --dataset NAME|PATH.")
    if has_model and has_dataset:
        raise click.UsageError("Options --model and --dataset are mutually exclusive.")
    if has_dataset:
        # ---- real-data branch: owned by scalinglab.realdata (it parses the full list) ----
        from ._realdata import cli_spectrum

        cli_spectrum(args)
        return
    # ---- model branch ----
    rest = [a for a in args if a != "--model"]
    model_spectrum.main(args=rest, prog_name="scalinglab spectrum --model", standalone_mode=False)
