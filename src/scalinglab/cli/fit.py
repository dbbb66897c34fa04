"""``scalinglab fit FILE``: fit a scaling law to a CSV/Parquet table of results.

Prints the parameters with standard errors and intervals (``--json``: the result dictionary of
:meth:`scalinglab.fitting.FitResult.to_dict`). A fit that did not converge prints a
``Warning:`` line on stderr and ``converged: false``.
"""

from __future__ import annotations

import json

import click

from .._validation import parse_list


@click.command("fit")
@click.argument("file")
@click.option(
    "--form",
    default="chinchilla",
    show_default=True,
    help="Law: kaplan, chinchilla, mrs, mrs-breakdown, power, power-offset, "
    "power-N, ... or a registered user form.",
)
@click.option(
    "--variable",
    type=click.Choice(["N", "T"]),
    default=None,
    help="Variable of the power / power-offset forms (default N).",
)
@click.option(
    "--method",
    type=click.Choice(["lbfgs", "varpro"]),
    default="lbfgs",
    show_default=True,
    help="Multi-start L-BFGS-B, or variable projection (NNLS).",
)
@click.option(
    "--delta", type=float, default=1e-3, show_default=True, help="Huber threshold on log-residuals."
)
@click.option(
    "--bootstrap",
    "n_bootstrap",
    type=int,
    default=200,
    show_default=True,
    help="Bootstrap refits for intervals (0: asymptotic intervals).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option(
    "--n-grid", type=int, default=4, show_default=True, help="Start-grid values per parameter."
)
@click.option(
    "--maxiter", type=int, default=1000, show_default=True, help="L-BFGS-B iteration limit."
)
@click.option(
    "--holdout-above",
    default=None,
    help="Fit only points up to a size, e.g. N=1e4 or N=1e4,T=1e5, and report the "
    "relative error above it.",
)
@click.option(
    "--budget",
    default=None,
    help="Comma-separated compute budgets C = N*T: print the compute-optimal frontier.",
)
@click.option("--N-column", "n_column", default="N", show_default=True)
@click.option("--T-column", "t_column", default="T", show_default=True)
@click.option("--loss-column", default="loss", show_default=True)
@click.option(
    "--sem-column",
    default="loss_sem",
    show_default=True,
    help="Standard errors of the loss (weights), used when present.",
)
@click.option(
    "--seed-column",
    default="seed",
    show_default=True,
    help="Per-seed rows (enables the seed bootstrap), used when present.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--plot", "plot_path", default=None, help="Save a figure (PNG, PDF, ...).")
def fit(file, form, variable, method, delta, n_bootstrap, seed, n_grid, maxiter, holdout_above,
        budget, n_column, t_column, loss_column, sem_column, seed_column, as_json,
        plot_path) -> None:  # fmt: skip
    """Fit a scaling law L(N, T) to the table FILE (CSV or Parquet)."""
    from ..fitting import (
        compute_optimal_frontier,
        extrapolation_check,
        fit_scaling_law,
        load_table,
    )

    data = load_table(file, N=n_column, T=t_column, loss=loss_column, loss_sem=sem_column,
                      seed=seed_column)  # fmt: skip
    options = dict(variable=variable, method=method, delta=delta, n_bootstrap=n_bootstrap,
                   seed=seed, n_grid=n_grid, maxiter=maxiter)  # fmt: skip
    check = None
    if holdout_above is not None:
        check = extrapolation_check(data, form, above=holdout_above, **options)
        result = check.fit
    else:
        result = fit_scaling_law(data, form, **options)
    frontier = None
    if budget is not None:
        frontier = compute_optimal_frontier(result, parse_list("budget", budget, float))
    if plot_path is not None:
        from ..fitting.plotting import plot_fit

        plot_fit(result, data, plot_path)
    if not result.converged:
        click.echo(f"Warning: the fit did not converge ({result.message}).", err=True)

    if as_json:
        out = result.to_dict()
        if check is not None:
            out["extrapolation"] = check.to_dict()
        if frontier is not None:
            out["frontier"] = frontier.to_dict()
        click.echo(json.dumps(out, indent=1))
        return
    click.echo(str(result))
    click.echo(f"  intervals: {result.ci_method} ({100 * result.ci_level:g}%), "
               f"AIC = {result.aic:.6g}, BIC = {result.bic:.6g}")  # fmt: skip
    if check is not None:
        click.echo(f"extrapolation above {check.threshold}: {check.heldout.n_points} points, "
                   f"mean |rel. error| = {check.mean_abs_rel_error:.4g}, "
                   f"max = {check.max_abs_rel_error:.4g}")  # fmt: skip
    if frontier is not None:
        click.echo(f"frontier: N* ~ C^{frontier.exponent_N:.4g}, T* ~ C^{frontier.exponent_T:.4g},"
                   f" L* ~ C^{frontier.exponent_loss:.4g}")  # fmt: skip
        for c, n, t, v in zip(frontier.C, frontier.N, frontier.T, frontier.loss):
            click.echo(f"  C = {c:.4g}: N* = {n:.4g}, T* = {t:.4g}, L* = {v:.6g}")
