"""``scalinglab simulate``: exact Monte Carlo losses on an (N, T, ridge) grid."""

from __future__ import annotations

import sys

import click

from ..simulation import simulate as run_simulation
from ._options import build_model, echo_records, model_options, parse_grid, sigma_b_option
from ._progress import progress_bar

COLUMNS = ("N", "T", "ridge", "loss_mean", "loss_sem", "train_loss_mean", "seeds")


@click.command()
@model_options
@click.option("--seeds", type=int, default=4, show_default=True, help="Draws of (U, X) to average.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base random seed.")
@click.option(
    "--independent-draws",
    is_flag=True,
    help="Draw (U, X) afresh for every grid point instead of sharing one draw per seed.",
)
@click.option("--instance", is_flag=True, help="Also report the loss of one fixed teacher draw.")
@click.option("--estimator", type=click.Choice(["full", "conditional"]), default=None,
              help="full: draw X and U; conditional: draw the features from their law given U "
              "(faster, variance no larger). Default: conditional for linear float64 features "
              "without --instance, else full.")  # fmt: skip
@click.option("--activation", default="linear", show_default=True,
              help="Feature map sigma(Ux + b): linear|relu|erf|tanh|quadratic.")  # fmt: skip
@sigma_b_option
@click.option("--backend", default="numpy", show_default=True, help="Array backend: numpy|torch.")
@click.option("--device", default="cpu", show_default=True, help="Device: cpu|cuda (torch only).")
@click.option("--dtype", default="float64", show_default=True, help="Precision: float64|float32.")
def simulate(
    M, alpha, N, T, ridge, noise, sigma_w, sigma_u, lambda_plus, as_json,
    seeds, seed, independent_draws, instance, estimator, activation, sigma_b, backend, device,
    dtype,
) -> None:  # fmt: skip
    """Simulate random-feature ridge regression with the exact population test loss."""
    model = build_model(M, alpha, noise, sigma_w, sigma_u, lambda_plus)
    Ns, Ts, ridges = parse_grid(N, T, ridge)
    with progress_bar("simulating", enabled=sys.stderr.isatty()) as update:
        result = run_simulation(
            model, Ns, Ts, ridges, seeds=seeds, seed=seed, shared_draws=not independent_draws,
            instance=instance, estimator=estimator, activation=activation, sigma_b=sigma_b,
            backend=backend, device=device, dtype=dtype, progress=update,
        )  # fmt: skip
    columns = COLUMNS + (("instance_loss_mean",) if instance else ())
    echo_records(result.records(), as_json, columns)
