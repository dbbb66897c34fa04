"""``scalinglab dynamics``: loss curves of GD and one-pass SGD (docs/dynamics.md).

Theory by default (deterministic equivalents: one-pass SGD with schedules, GD at finite T),
exact simulation with ``--simulate``, the compute-optimal frontier of SGD with
``--compute-optimal --budget LIST``.
"""

from __future__ import annotations

import sys

import click

from .._validation import parse_list
from ..exceptions import ConfigError
from ._options import build_model, echo_records, estimator_option, model_options, parse_grid
from ._progress import progress_bar


@click.command()
@model_options
@click.option(
    "--optimizer",
    type=click.Choice(["gd", "sgd"]),
    default="sgd",
    show_default=True,
    help="gd: full batch on T samples, theta -= (lr/T) F^T(F theta - y); sgd: "
    "one pass, batch fresh samples per step.",
)
@click.option(
    "--batch",
    default="1",
    show_default=True,
    help="SGD batch size(s), comma-separated (samples seen = steps x batch).",
)
@click.option(
    "--lr",
    type=float,
    default=None,
    help="Learning rate (absolute). Omit it to be told the stable range.",
)
@click.option(
    "--steps",
    default="0,10,100,1000",
    show_default=True,
    help="Update counts at which the loss is reported, comma-separated.",
)
@click.option(
    "--schedule",
    type=click.Choice(["constant", "cosine", "wsd"]),
    default="constant",
    show_default=True,
    help="Learning-rate schedule over max(steps) (SGD and GD).",
)
@click.option(
    "--simulate",
    "use_simulation",
    is_flag=True,
    help="Exact simulation (GD: every step from one eigendecomposition per draw; SGD: "
    "exact expectation given each draw of U) instead of the theory.",
)
@click.option(
    "--seeds", type=int, default=4, show_default=True, help="Draws averaged by --simulate."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Base random seed.")
@estimator_option
@click.option(
    "--compute-optimal",
    "compute_optimal",
    is_flag=True,
    help="SGD compute-optimal frontier N*(C), steps*(C), L*(C) over --budget.",
)
@click.option(
    "--budget",
    default="1e6,1e7,1e8",
    show_default=True,
    help="Compute budgets C = N x steps x batch, comma-separated.",
)
@click.option(
    "--lr-fraction",
    "lr_fraction",
    type=float,
    default=0.5,
    show_default=True,
    help="--compute-optimal: lr as a fraction of each N's stable limit.",
)
def dynamics(
    M, alpha, N, T, ridge, noise, sigma_w, sigma_u, lambda_plus, as_json, optimizer, batch, lr,
    steps, schedule, use_simulation, seeds, seed, estimator, compute_optimal, budget, lr_fraction,
) -> None:  # fmt: skip
    """Test loss against training steps for GD and one-pass SGD (theta_0 = 0)."""
    from ..dynamics import simulate_gd, simulate_sgd, stable_lr
    from ..dynamics.theory import compute_optimal_sgd, theory_stable_lr, train_curve

    model = build_model(M, alpha, noise, sigma_w, sigma_u, lambda_plus)
    Ns, Ts, ridges = parse_grid(N, T, ridge)
    if any(r != 0 for r in ridges):
        raise ConfigError(f"The 'ridge' parameter must be 0 for dynamics. Got {ridge} instead.")
    batches = parse_list("batch", batch, int)
    if estimator is not None and not (optimizer == "gd" and use_simulation and not compute_optimal):
        raise ConfigError(
            "The '--estimator' option applies to GD simulation (--optimizer gd --simulate). Got "
            f"--estimator {estimator} with --optimizer {optimizer}"
            f"{'' if use_simulation else ' without --simulate'} instead."
        )
    if compute_optimal:
        budgets = parse_list("budget", budget, float)
        if optimizer == "gd":
            _gd_frontier(model, budgets, lr_fraction, as_json)
            return
        frontier = compute_optimal_sgd(model, budgets, batch=batches[0], lr_fraction=lr_fraction)
        base = {**model.describe(), "optimizer": "sgd", "batch": batches[0],
                "lr_fraction": lr_fraction}  # fmt: skip
        records = [{**base, **rec} for rec in frontier.records()]
        echo_records(records, as_json, ("budget", "N_opt", "steps_opt", "loss_opt", "ridge_N_opt"))
        if not as_json:
            for name, got, want in (
                ("N*", frontier.exponent_N, frontier.predicted_N),
                ("steps*", frontier.exponent_steps, frontier.predicted_steps),
                ("L*", frontier.exponent_loss, frontier.predicted_loss),
            ):
                click.echo(f"{name} ~ C^{got:.4f} (closed form {want:.4f})")
            click.echo(f"ridge frontier (C = N T): N* ~ C^{frontier.ridge_exponent_N:.4f}, "
                       f"T* ~ C^{frontier.ridge_exponent_T:.4f}")  # fmt: skip
        return
    step_list = parse_list("steps", steps, int)
    if lr is None:
        if optimizer == "gd":
            limit = stable_lr(model, Ns[0], T=Ts[0], seed=seed, estimator=estimator)
            where = f"N = {Ns[0]}, T = {Ts[0]}"
        else:
            limit = theory_stable_lr(model, Ns[0], batches[0])
            where = f"N = {Ns[0]}, batch = {batches[0]}"
        raise ConfigError(
            f"The 'lr' parameter must be given; the stable range at {where} is lr < {limit:.4g}."
        )
    if optimizer == "gd" and use_simulation:
        with progress_bar("simulating", enabled=sys.stderr.isatty()) as update:
            result = simulate_gd(model, Ns, Ts, step_list, lr, schedule=schedule, seeds=seeds,
                                 seed=seed, estimator=estimator, progress=update)  # fmt: skip
        records = result.records()
        columns = ("N", "T", "step", "lr", "loss", "loss_sem", "train_loss", "seeds")
    elif optimizer == "gd":
        records = []
        for n in Ns:
            for t in Ts:
                curve = train_curve(model, n, step_list, lr, optimizer="gd", T=t, schedule=schedule)
                records += curve.records()
        columns = ("N", "T", "step", "lr", "loss")
    elif use_simulation:
        with progress_bar("simulating", enabled=sys.stderr.isatty()) as update:
            result = simulate_sgd(model, Ns, step_list, lr, batch=batches, schedule=schedule,
                                  seeds=seeds, seed=seed, progress=update)  # fmt: skip
        records = result.records()
        columns = ("N", "batch", "step", "T", "lr", "loss", "loss_sem", "seeds")
    else:
        records = []
        for n in Ns:
            for b in batches:
                curve = train_curve(model, n, step_list, lr, batch=b, schedule=schedule)
                records += curve.records()
        columns = ("N", "batch", "step", "T", "lr", "loss")
    echo_records(records, as_json, columns)


def _gd_frontier(model, budgets, lr_fraction, as_json) -> None:
    """GD frontier over C = N x T x steps (``dynamics.theory.compute_optimal_gd``)."""
    from ..dynamics.theory import compute_optimal_gd

    fr = compute_optimal_gd(model, budgets, lr_fraction=lr_fraction)
    base = {**model.describe(), "optimizer": "gd", "lr_fraction": lr_fraction}
    records = [
        {**base, "budget": float(c), "N_opt": float(n), "T_opt": float(t), "steps_opt": float(s),
         "loss_opt": float(v)}
        for c, n, t, s, v in zip(fr.budget, fr.N, fr.T, fr.steps, fr.loss)
    ]  # fmt: skip
    echo_records(records, as_json, ("budget", "N_opt", "T_opt", "steps_opt", "loss_opt"))
    if not as_json:
        for key in ("N", "T", "steps", "loss"):
            click.echo(f"{key}* ~ C^{fr.exponents[key]:.4f} (closed form {fr.predicted[key]:.4f})")
