"""``scalinglab theory``: the deterministic-equivalent loss on an (N, T, ridge) grid
(docs/theory.md §5)."""

from __future__ import annotations

import sys

import click
import numpy as np

from .._validation import check_int
from ..exceptions import ConfigError
from ..theory import optimal_ridge, predict
from ..theory.regimes import REGIMES
from ._guards import feature_covariance_cost, guard, yes_option
from ._options import build_models, echo_records, model_options, parse_grid, sigma_b_option
from ._output import check_out_path, out_option, write_table
from ._progress import progress_bar

COLUMNS = ("N", "T", "ridge", "loss", "bias", "variance", "train_loss")


@click.command()
@model_options
@click.option(
    "--optimal-ridge",
    "with_optimal",
    is_flag=True,
    help="Also report the optimal ridge gamma*(N, T) (ridge_opt) and the loss there.",
)
@click.option(
    "--regime",
    "with_regime",
    is_flag=True,
    help="Show the asymptotic regime of each point (always present in --json).",
)
@click.option(
    "--activation",
    default="linear",
    show_default=True,
    help="Feature map: linear (exact DE) or relu|erf|tanh|quadratic (docs/theory.md §11).",
)
@click.option(
    "--method",
    default=None,
    help="Nonlinear theory (with a nonlinear --activation only): conditional (DE on the exact "
    "feature covariance, default) | kernel (kernel-spectrum reduction) | naive "
    "(mu-linearisation, known to fail).",
)
@sigma_b_option
@click.option(
    "--draws",
    type=int,
    default=None,
    help="Draws of U averaged (nonlinear: default 4, kernel 1; --finite-size: default 64).",
)
@click.option(
    "--bank",
    type=int,
    default=None,
    help="Bank size of --method kernel (default max(6000, 4 max N)).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the draws of U (nonlinear, --finite-size).",
)
@click.option(
    "--finite-size",
    "finite_size",
    is_flag=True,
    help="Finite-size theory (docs/finite_size.md): exact at ridge 0 (FS-1, FS-2) with a "
    "Monte Carlo s.e. (--draws, default 64; --seed), the DE with an error band at ridge > 0.",
)
@out_option
@yes_option
def theory(
    M, alpha, N, T, ridge, noise, sigma_w, sigma_u, lambda_plus, as_json, with_optimal,
    with_regime, activation, method, sigma_b, draws, bank, seed, finite_size, out_path, yes,
) -> None:  # fmt: skip
    """Deterministic-equivalent test loss, bias/variance and training loss (no sampling).

    Several --M or --noise values give one table, every (M, noise) with every (N, T, ridge).
    """
    out_path = check_out_path(out_path)
    models = build_models(M, alpha, noise, sigma_w, sigma_u, lambda_plus)
    Ns, Ts, ridges = parse_grid(N, T, ridge)
    if finite_size:
        _check_finite_size(activation, sigma_b, with_optimal or with_regime)

        def compute(model):
            return _finite_size(model, Ns, Ts, ridges, draws, seed)

        columns, notes = FINITE_SIZE_COLUMNS, []
    elif activation != "linear" or sigma_b != 0.0:
        method = _check_nonlinear(models, Ns, activation, method, draws, bank, with_optimal, yes)

        def compute(model):
            return _nonlinear(model, Ns, Ts, ridges, activation, method, sigma_b, draws, bank,
                              seed)  # fmt: skip

        columns, notes = NONLINEAR_COLUMNS, []
    else:
        for flag, value in (("--method", method), ("--draws", draws), ("--bank", bank)):
            if value is not None:
                raise ConfigError(
                    f"The '{flag}' option applies to nonlinear features only. Got {flag} "
                    f"{value} with --activation linear instead (the linear theory is exact and "
                    "draws nothing)."
                )

        def compute(model):
            return _linear(model, Ns, Ts, ridges, with_optimal)

        columns = COLUMNS + (("ridge_opt", "loss_opt") if with_optimal else ())
        columns += ("regime",) if with_regime else ()
        notes = None
    records = []
    for model in models:
        records.extend(compute(model))
    if out_path is not None:
        write_table(records, out_path)
    varying = tuple(k for k in ("M", "noise") if len({getattr(m, k) for m in models}) > 1)
    echo_records(records, as_json, varying + columns)
    if as_json:
        return
    for rec in records:
        if "reason" in rec:
            where = "".join(f"{k}={rec[k]:g} " for k in varying)
            click.echo(f"{where}N={rec['N']} T={rec['T']} ridge={rec['ridge']:g}: {rec['reason']}")
    if notes is None and with_regime:
        for name in sorted({rec["regime"] for rec in records}):
            click.echo(f"{name}: {REGIMES[name]}")
    if activation != "linear" and not finite_size and records:
        click.echo(f"method: {records[0]['method']} ({records[0]['draws']} draw(s) of U)")


def _linear(model, Ns, Ts, ridges, with_optimal) -> list[dict]:
    """Linear features: the deterministic equivalent (and optimal ridge) on the grid."""
    n, t, r = np.meshgrid(Ns, Ts, ridges, indexing="ij")
    result = predict(model, n, t, r)
    opt = optimal_ridge(model, n, t) if with_optimal else None
    base = model.describe()
    records = []
    for idx in np.ndindex(n.shape):
        rec = dict(base)
        rec.update(N=int(n[idx]), T=int(t[idx]), ridge=float(r[idx]))
        for key in ("loss", "bias", "variance", "train_loss"):
            rec[key] = float(getattr(result, key)[idx])
        rec["activation"], rec["method"] = "linear", "equivalent"
        rec["regime"] = str(result.regime[idx])
        rec["converged"] = bool(result.converged[idx])
        if result.reason[idx]:
            rec["reason"] = str(result.reason[idx])
        if opt is not None:
            rec["ridge_opt"] = float(opt.ridge[idx])
            rec["loss_opt"] = float(opt.loss[idx])
        records.append(rec)
    return records


NONLINEAR_COLUMNS = ("N", "T", "ridge", "activation", "method", "loss", "loss_sem")


def _check_nonlinear(models, Ns, activation, method, draws, bank, with_optimal, yes) -> str:
    """Validate the nonlinear options and guard the cost of every model; the method to use."""
    if with_optimal:
        raise ConfigError(
            "The '--optimal-ridge' option works with --activation linear only. "
            f"Got --activation {activation} instead."
        )
    method = method or "conditional"
    if draws is not None:
        check_int("--draws", draws, low=1)
    count = draws or (1 if method == "kernel" else 4)
    width = max(Ns) if method != "kernel" else (bank or max(6000, 4 * max(Ns)))
    costs = [feature_covariance_cost(m.M, width, count) for m in models]
    largest = max(m.M for m in models)
    guard(f"The {method} theory of {activation} features at N = {max(Ns)}, M = {largest}",
          sum(c[0] for c in costs), max(c[1] for c in costs), "--N, --M or --draws",
          yes)  # fmt: skip
    return method


def _nonlinear(model, Ns, Ts, ridges, activation, method, sigma_b, draws, bank,
               seed) -> list[dict]:  # fmt: skip
    """Nonlinear features: :func:`scalinglab.theory.nonlinear.predict_nonlinear` (§11)."""
    from ..theory.nonlinear import predict_nonlinear

    result = predict_nonlinear(model, Ns, Ts, ridges, activation=activation, method=method,
                               sigma_b=sigma_b, draws=draws, seed=seed, bank=bank)  # fmt: skip
    return result.records()


FINITE_SIZE_COLUMNS = ("N", "T", "ridge", "loss", "loss_sem", "loss_band", "equivalent", "method")


def _check_finite_size(activation, sigma_b, with_extras) -> None:
    if activation != "linear" or sigma_b != 0.0:
        raise ConfigError(
            f"The 'activation' parameter must be linear with --finite-size. Got {activation} "
            "instead."
        )
    if with_extras:
        raise ConfigError(
            "The 'optimal-ridge' and 'regime' parameters must be off with --finite-size. "
            "Got on instead."
        )


def _finite_size(model, Ns, Ts, ridges, draws, seed) -> list[dict]:
    """Linear features: :func:`scalinglab.theory.finite_size.predict_finite_size`."""
    n, t, r = np.meshgrid(Ns, Ts, ridges, indexing="ij")
    with progress_bar("finite-size draws", enabled=sys.stderr.isatty()) as update:
        result = predict(model, n, t, r, finite_size=True, draws=draws, seed=seed, progress=update)
    base = model.describe()
    records = []
    for idx in np.ndindex(n.shape):
        rec = dict(base)
        rec.update(N=int(n[idx]), T=int(t[idx]), ridge=float(r[idx]))
        for key in ("loss", "loss_sem", "bias", "variance", "train_loss", "loss_band"):
            rec[key] = float(getattr(result, key)[idx])
        rec["equivalent"] = float(result.equivalent[idx])
        rec["activation"], rec["method"] = "linear", f"finite-size:{result.method[idx]}"
        rec["draws"] = result.draws
        if result.reason[idx]:
            rec["reason"] = str(result.reason[idx])
        records.append(rec)
    return records
