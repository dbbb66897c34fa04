"""Options shared by the ``simulate`` and ``theory`` commands (the paper's vocabulary).

``--N``, ``--T`` and ``--ridge`` take comma-separated lists or ranges (``LO:HI:K``, see
:func:`scalinglab._validation.expand_range`): the command runs their grid, every N with every T.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from .._validation import check_int, parse_list
from ..exceptions import ConfigError
from ..model import DataModel
from ._output import json_records

sigma_b_option = click.option(
    "--sigma-b",
    "sigma_b",
    type=float,
    default=0.0,
    show_default=True,
    help="Bias scale of nonlinear features: b_i ~ N(0, sigma_b^2) (0: no bias).",
)

estimator_option = click.option(
    "--estimator",
    type=click.Choice(["full", "conditional"]),
    default=None,
    help="full: draw X and U; conditional: draw the features from their law given U (faster, "
    "variance no larger). Default: conditional for linear float64 features without "
    "--instance, else full (docs/estimators.md).",
)

reproduce_out_option = click.option(
    "--out",
    "out_dir",
    default="reproduce-out",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder of the figures and the report.",
)


class Count(click.ParamType):
    """A positive integer that may be written ``100000`` or ``1e5`` (sizes, counts)."""

    name = "integer"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        flag = param.opts[0] if param is not None else "value"
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"must be an integer. Got {value!r} instead.", param, ctx)
        return check_int(flag, number, low=None)


COUNT = Count()


def model_options(func: Callable) -> Callable:
    """Attach the data-model and grid options to a click command."""
    options = [
        click.option("--M", "M", default="2000", show_default=True,
                     help="Latent dimension(s) M (1e6 and 1000000 both work): a list or a "
                          "range LO:HI:K, as --N."),
        click.option("--alpha", type=float, default=1.0, show_default=True,
                     help="Spectral exponent: lambda_J = lambda_plus * J^-(1+alpha)."),
        click.option("--N", "N", default="100,400", show_default=True,
                     help="Number(s) of random features: a comma-separated list or a range "
                          "LO:HI:K (log-spaced, distinct integers)."),
        click.option("--T", "T", default="400,100", show_default=True,
                     help="Number(s) of training samples, as --N. --N 100,400 --T 400,100 "
                          "is the 2 x 2 grid, not two pairs."),
        click.option("--ridge", default="0", show_default=True,
                     help="Ridge(s) gamma >= 0 (un-normalised, docs/theory.md §2): a "
                          "list or a range LO:HI:K, LO:HI:K:lin (from 0)."),
        click.option("--noise", default="0", show_default=True,
                     help="Label-noise standard deviation(s) sigma_eps: a list or a range "
                          "LO:HI:K:lin."),
        click.option("--sigma-w", "sigma_w", type=float, default=1.0, show_default=True,
                     help="Teacher scale: w_J ~ N(0, sigma_w^2/M)."),
        click.option("--sigma-u", "sigma_u", type=float, default=1.0, show_default=True,
                     help="Feature scale: U_iJ ~ N(0, sigma_u^2/M)."),
        click.option("--lambda-plus", "lambda_plus", type=float, default=1.0, show_default=True,
                     help="Largest latent eigenvalue lambda_plus."),
        click.option("--json", "as_json", is_flag=True, help="Print a JSON list of records."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def build_models(M: Any, alpha: float, noise: Any, sigma_w: float, sigma_u: float,
                 lambda_plus: float) -> list[DataModel]:  # fmt: skip
    """The validated :class:`DataModel` of every (M, noise) of the ``--M`` and ``--noise`` lists,
    M varying slowest (the order of the output rows)."""
    Ms, noises = parse_list("--M", M, int), parse_list("--noise", noise, float)
    return [DataModel(M=m, alpha=alpha, lambda_plus=lambda_plus, sigma_w=sigma_w,
                      sigma_u=sigma_u, noise=e) for m in Ms for e in noises]  # fmt: skip


def build_model(M: Any, alpha: float, noise: Any, sigma_w: float, sigma_u: float,
                lambda_plus: float) -> DataModel:  # fmt: skip
    """The validated :class:`DataModel` of the command's options, for commands that take one
    ``--M`` and one ``--noise``."""
    for flag, value, convert in (("--M", M, int), ("--noise", noise, float)):
        values = parse_list(flag, value, convert)
        if len(values) != 1:
            raise ConfigError(
                f"The '{flag}' option takes one value in this command. Got {value} instead."
            )
    (model,) = build_models(M, alpha, noise, sigma_w, sigma_u, lambda_plus)
    return model


def parse_grid(N: str, T: str, ridge: str) -> tuple[list[int], list[int], list[float]]:
    """Parse the comma-separated ``--N``, ``--T`` and ``--ridge`` lists."""
    return (parse_list("--N", N, int), parse_list("--T", T, int),
            parse_list("--ridge", ridge, float))  # fmt: skip


def echo_records(records: Sequence[dict[str, Any]], as_json: bool, columns: Sequence[str]) -> None:
    """Print records as JSON (one list) or as a readable rich table of ``columns``."""
    if as_json:
        click.echo(json.dumps(json_records(records), indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for col in columns:
        table.add_column(col, justify="right")
    for rec in records:
        row = []
        for col in columns:
            value = rec.get(col)
            row.append(f"{value:.6g}" if isinstance(value, float) else str(value))
        table.add_row(*row)
    # Wide enough for every column even when the output is not a terminal (rich defaults to 80).
    Console(width=max(80, 14 * len(columns))).print(table)
