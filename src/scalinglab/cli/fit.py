"""``scalinglab fit FILE``: fit scaling laws to a table of results (CSV, Parquet, JSON or stdin).

One form and one group print the parameters with standard errors and intervals (``--json``: the
result dictionary of :meth:`scalinglab.fitting.FitResult.to_dict`). Several forms
(``--form kaplan,chinchilla,mrs``) print a comparison table; several groups (``--by ridge``)
one row per group and form. A fit that did not converge prints a ``Warning:`` line on stderr
and ``converged: false``; a parameter at a bound of its range is flagged (``at_bound``).
"""

from __future__ import annotations

import json
import math
import sys

import click

from .._validation import parse_list
from ..exceptions import ConfigError
from ..fitting.io import plain
from ._options import echo_records
from ._output import check_out_path, check_plot_path, json_records, out_option, write_table
from ._progress import progress_bar


@click.command("fit")
@click.argument("file")
@click.option(
    "--form",
    default="chinchilla",
    show_default=True,
    help="Law(s), comma-separated: kaplan, chinchilla, mrs, mrs-breakdown, theory (the model's "
    "own ridgeless loss, fitted for M, alpha and k), power, "
    "power-offset, power-N, ... or a registered user form. Several forms print a comparison "
    "(AIC, BIC and a held-out error). README 'Fit scaling laws' gives each form's status.",
)
@click.option(
    "--variable",
    type=click.Choice(["N", "T"]),
    default=None,
    help="Variable of the power / power-offset forms (default N).",
)
@click.option(
    "--where",
    default=None,
    help="Fit only the rows with these values, e.g. ridge=0,noise=0.",
)
@click.option(
    "--by",
    default=None,
    help="Fit each group of rows with equal values of these columns, e.g. ridge,noise.",
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
    help="Bootstrap refits for intervals (0: asymptotic intervals; at most 10000).",
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
    help="Compute budgets C = N*T, a list or a range LO:HI:K: print the compute-optimal frontier.",
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
    default=None,
    help="Per-seed rows (enables the seed bootstrap) [default: seed_index, or a varying seed].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--plot", "plot_path", default=None, help="Save a figure (PNG, PDF, SVG, ...).")
@out_option
def fit(file, form, variable, where, by, method, delta, n_bootstrap, seed, n_grid, maxiter,
        holdout_above, budget, n_column, t_column, loss_column, sem_column, seed_column,
        as_json, plot_path, out_path) -> None:  # fmt: skip
    """Fit a scaling law L(N, T) to the table FILE (.csv, .parquet, .json, or - for stdin).

    The table must describe one setting of the model: select rows with --where and fit each
    setting with --by; other varying input columns (ridge, noise, M, ...) are refused.
    """
    from ..fitting import read_frame
    from ..fitting.compare import parse_threshold
    from ..fitting.fit import MAX_BOOTSTRAP

    plot_path = check_plot_path(plot_path)
    out_path = check_out_path(out_path)
    forms = [f.strip() for f in form.split(",") if f.strip()]
    if not forms:
        raise ConfigError(f"The '--form' option must name a form. Got {form!r} instead.")
    if not 0 <= n_bootstrap <= MAX_BOOTSTRAP:
        raise ConfigError(
            f"The '--bootstrap' option must be an integer in [0, {MAX_BOOTSTRAP}] (a few hundred "
            f"refits give a 95% interval to about 1%). Got {n_bootstrap} instead."
        )
    if holdout_above is not None:
        parse_threshold(holdout_above)
    budgets = parse_list("--budget", budget, float) if budget is not None else None
    if plot_path is not None and (len(forms) > 1 or by):
        raise ConfigError(
            "The '--plot' option draws one fit: use it with one --form and without --by. "
            f"Got --form {form}{' --by ' + by if by else ''} instead."
        )
    frame = read_frame(file)
    if where is not None:
        from ..fitting.io import apply_where

        frame = apply_where(frame, where)
    groups = _groups(frame, by)
    columns = dict(N=n_column, T=t_column, loss=loss_column, loss_sem=sem_column,
                   seed=seed_column)  # fmt: skip
    options = dict(variable=variable, method=method, delta=delta, n_bootstrap=n_bootstrap,
                   seed=seed, n_grid=n_grid, maxiter=maxiter)  # fmt: skip
    if len(groups) == 1 and len(forms) == 1:
        _single(groups[0][1], forms[0], columns, options, holdout_above, budgets, as_json,
                plot_path, out_path)  # fmt: skip
        return
    rows = []
    for key, part in groups:
        label = ", ".join(f"{k}={plain(v)}" for k, v in key.items())
        rows.extend(
            {**key, **row} for row in _compare(part, forms, columns, options, holdout_above, label)
        )
    if out_path is not None:
        write_table(rows, out_path)
    if as_json:
        click.echo(json.dumps(json_records(rows), indent=1))
        return
    shown = [*groups[0][0], "form", "n_params", "aic", "bic", "heldout_error", "heldout"]
    shown += ["converged", "at_bound", "best"]
    echo_records(rows, False, shown)
    for row in rows:
        tag = ", ".join(f"{k}={plain(row[k])}" for k in groups[0][0])
        params = ", ".join(
            f"{name} = {value:.4g}" for name, value in row["params"].items() if value is not None
        )
        click.echo(f"{tag + ': ' if tag else ''}{row['form']}: {params}")


def _groups(frame, by: str | None) -> list[tuple[dict, object]]:
    """``[(values of the --by columns, rows)]``; one group of every row without --by."""
    if by is None:
        return [({}, frame)]
    names = [b.strip() for b in by.split(",") if b.strip()]
    missing = [n for n in names if n not in frame.columns]
    if not names or missing:
        raise ConfigError(
            f"The '--by' option must name columns of the table. Got {', '.join(missing) or by!r} "
            f"instead (columns: {', '.join(map(str, frame.columns))})."
        )
    out = []
    for values, part in frame.groupby(names, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        key = {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, values)}
        out.append((key, part.reset_index(drop=True)))
    return out


def _load(frame, columns, label: str = ""):
    from ..fitting import load_table

    try:
        return load_table(frame, **columns)
    except ConfigError as err:
        if not label:
            raise
        raise ConfigError(f"In the group {label}: {err}") from None


def _bar(n_bootstrap: int):
    return progress_bar("bootstrap", enabled=n_bootstrap > 0 and sys.stderr.isatty(),
                        total=n_bootstrap or None)  # fmt: skip


def _single(frame, form, columns, options, holdout_above, budgets, as_json, plot_path,
            out_path) -> None:  # fmt: skip
    """One form on one group: the parameters, intervals, extrapolation and frontier."""
    from ..fitting import compute_optimal_frontier, extrapolation_check, fit_scaling_law

    data = _load(frame, columns)
    check = None
    with _bar(options["n_bootstrap"]) as update:
        if holdout_above is not None:
            check = extrapolation_check(data, form, above=holdout_above, progress=update,
                                        **options)  # fmt: skip
            result = check.fit
        else:
            result = fit_scaling_law(data, form, progress=update, **options)
    frontier = compute_optimal_frontier(result, budgets) if budgets is not None else None
    if plot_path is not None:
        from ..fitting.plotting import plot_fit

        plot_fit(result, data, plot_path)
    if not result.converged:
        click.echo(f"Warning: the fit did not converge ({result.message}).", err=True)
    for name, side in result.at_bound.items():
        click.echo(
            f"Warning: {name} = {result.params[name]:.4g} sits at its {side} bound: the data do "
            "not determine it (one-sided interval); a form without it may fit as well.",
            err=True,
        )
    out = result.to_dict()
    if check is not None:
        out["extrapolation"] = check.to_dict()
    if frontier is not None:
        out["frontier"] = frontier.to_dict()
    if out_path is not None:
        write_table([_row(result)], out_path)
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    click.echo(str(result))
    click.echo(f"  intervals: {result.ci_method} ({100 * result.ci_level:g}%), "
               f"AIC = {result.aic:.6g}, BIC = {result.bic:.6g}")  # fmt: skip
    if check is not None:
        above = ",".join(f"{k}={v:g}" for k, v in check.threshold.items())
        click.echo(f"extrapolation above {above}: {check.heldout.n_points} points, "
                   f"mean |rel. error| = {check.mean_abs_rel_error:.4g}, "
                   f"max = {check.max_abs_rel_error:.4g}")  # fmt: skip
    if frontier is not None:
        click.echo(f"frontier: N* ~ C^{frontier.exponent_N:.4g}, T* ~ C^{frontier.exponent_T:.4g},"
                   f" L* ~ C^{frontier.exponent_loss:.4g}")  # fmt: skip
        for c, n, t, v in zip(frontier.C, frontier.N, frontier.T, frontier.loss):
            click.echo(f"  C = {c:.4g}: N* = {n:.4g}, T* = {t:.4g}, L* = {v:.6g}")


def _row(result) -> dict:
    """One flat record of a fit: form, scores, and each parameter with its interval."""
    row = {"form": result.form.name, "n_points": result.n_points, "n_params": result.n_params,
           "aic": result.aic, "bic": result.bic, "converged": result.converged,
           "at_bound": ",".join(result.at_bound)}  # fmt: skip
    for name, value in result.params.items():
        lo, hi = result.ci[name]
        row.update({name: value, f"{name}_low": lo, f"{name}_high": hi})
    return row


def _compare(frame, forms, columns, options, holdout_above, label) -> list[dict]:
    """Every form fitted to one group: one record each (scores, held-out error, parameters)."""
    from ..fitting import compare_forms

    data = _load(frame, columns, label)
    n_bootstrap = options["n_bootstrap"]
    with _bar(n_bootstrap) as update:
        comparison = compare_forms(data, forms, holdout_above=holdout_above, progress=update,
                                   **options)  # fmt: skip
    rows = []
    for record in comparison.records:
        result = comparison.fits[record["form"]]
        if not result.converged:
            where = f" ({label})" if label else ""
            click.echo(f"Warning: the {record['form']} fit{where} did not converge.", err=True)
        rows.append({
            **record,
            "best": record["form"] == comparison.best,
            "at_bound": ",".join(result.at_bound),
            "params": {k: (v if math.isfinite(v) else None) for k, v in result.params.items()},
            "ci": {k: list(v) for k, v in result.ci.items()},
        })  # fmt: skip
    return rows
