"""``scalinglab simulate``: exact Monte Carlo losses on an (N, T, ridge) grid."""

from __future__ import annotations

import sys

import click

from .._validation import check_int
from ..simulation import simulate as run_simulation
from ._guards import guard, simulation_cost, yes_option
from ._options import (
    build_models,
    echo_records,
    estimator_option,
    model_options,
    parse_grid,
    sigma_b_option,
)
from ._output import check_out_path, out_option, write_table
from ._progress import progress_bar

COLUMNS = ("N", "T", "ridge", "loss", "loss_sem", "train_loss", "seeds")


def _varying(models) -> tuple[str, ...]:
    """``M`` and/or ``noise`` as leading table columns where the command runs several."""
    return tuple(key for key in ("M", "noise") if len({getattr(m, key) for m in models}) > 1)


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
@estimator_option
@click.option("--activation", default="linear", show_default=True,
              help="Feature map sigma(Ux + b): linear|relu|erf|tanh|quadratic.")  # fmt: skip
@sigma_b_option
@click.option("--backend", default="numpy", show_default=True, help="Array backend: numpy|torch.")
@click.option("--device", default="cpu", show_default=True, help="Device: cpu|cuda (torch only).")
@click.option("--dtype", default="float64", show_default=True, help="Precision: float64|float32.")
@out_option
@yes_option
def simulate(
    M, alpha, N, T, ridge, noise, sigma_w, sigma_u, lambda_plus, as_json,
    seeds, seed, independent_draws, instance, estimator, activation, sigma_b, backend, device,
    dtype, out_path, yes,
) -> None:  # fmt: skip
    """Simulate random-feature ridge regression with the exact population test loss.

    The loss is exact for each draw of (U, X) (docs/theory.md §3, streamed over the latent
    index as in §4); the table has the seed mean ``loss`` and its standard error ``loss_sem``.
    """
    out_path = check_out_path(out_path)
    models = build_models(M, alpha, noise, sigma_w, sigma_u, lambda_plus)
    Ns, Ts, ridges = parse_grid(N, T, ridge)
    seeds = check_int("--seeds", seeds, low=1)
    draws = seeds * (1 if not independent_draws else len(Ns) * len(Ts))
    points = len(Ns) * len(Ts) if not independent_draws else 1
    seconds = sum(simulation_cost(m.M, max(Ns), max(Ts), points, draws) for m in models)
    largest = max(m.M for m in models)
    guard(f"A simulation at M = {largest}, N = {max(Ns)}, T = {max(Ts)} with {seeds} seed(s)"
          + (f" for {len(models)} (M, noise) settings" if len(models) > 1 else ""),
          seconds, 0.0, "--M, --N, --T or --seeds", yes)  # fmt: skip
    records = []
    total = draws * len(models)
    with progress_bar("simulating", enabled=sys.stderr.isatty(), total=total) as update:
        for index, model in enumerate(models):
            done = index * draws

            def advance(k, _total, done=done):
                update(done + k, total)

            result = run_simulation(
                model, Ns, Ts, ridges, seeds=seeds, seed=seed, shared_draws=not independent_draws,
                instance=instance, estimator=estimator, activation=activation, sigma_b=sigma_b,
                backend=backend, device=device, dtype=dtype, progress=advance,
            )  # fmt: skip
            records.extend(result.records())
    columns = _varying(models) + COLUMNS + (("instance_loss",) if instance else ())
    if out_path is not None:
        write_table(records, out_path)
    echo_records(records, as_json, columns)
