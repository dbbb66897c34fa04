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
from ._options import build_model, echo_records, model_options, parse_grid, sigma_b_option
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
    """Deterministic-equivalent test loss, bias/variance and training loss (no sampling)."""
    out_path = check_out_path(out_path)
    model = build_model(M, alpha, noise, sigma_w, sigma_u, lambda_plus)
    Ns, Ts, ridges = parse_grid(N, T, ridge)
    if finite_size:
        _finite_size(model, Ns, Ts, ridges, activation, sigma_b, with_optimal or with_regime,
                     draws, seed, as_json, out_path)  # fmt: skip
        return
    if activation != "linear" or sigma_b != 0.0:
        _nonlinear(model, Ns, Ts, ridges, activation, method, sigma_b, draws, bank, seed,
                   as_json, with_optimal, out_path, yes)  # fmt: skip
        return
    for flag, value in (("--method", method), ("--draws", draws), ("--bank", bank)):
        if value is not None:
            raise ConfigError(
                f"The '{flag}' option applies to nonlinear features only. Got {flag} {value} "
                "with --activation linear instead (the linear theory is exact and draws nothing)."
            )
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
    columns = COLUMNS + (("ridge_opt", "loss_opt") if with_optimal else ())
    columns += ("regime",) if with_regime else ()
    if out_path is not None:
        write_table(records, out_path)
    echo_records(records, as_json, columns)
    if not as_json:
        for rec in records:
            if "reason" in rec:
                click.echo(f"N={rec['N']} T={rec['T']} ridge={rec['ridge']:g}: {rec['reason']}")
        if with_regime:
            for name in sorted({rec["regime"] for rec in records}):
                click.echo(f"{name}: {REGIMES[name]}")


def _nonlinear(model, Ns, Ts, ridges, activation, method, sigma_b, draws, bank, seed, as_json,
               with_optimal, out_path, yes) -> None:  # fmt: skip
    """Nonlinear features: :func:`scalinglab.theory.nonlinear.predict_nonlinear` (§11)."""
    from ..theory.nonlinear import predict_nonlinear

    if with_optimal:
        raise ConfigError(
            "The '--optimal-ridge' option works with --activation linear only. "
            f"Got --activation {activation} instead."
        )
    method = method or "conditional"
    if draws is not None:
        draws = check_int("--draws", draws, low=1)
    count = draws or (1 if method == "kernel" else 4)
    width = max(Ns) if method != "kernel" else (bank or max(6000, 4 * max(Ns)))
    seconds, nbytes = feature_covariance_cost(model.M, width, count)
    guard(f"The {method} theory of {activation} features at N = {max(Ns)}, M = {model.M}",
          seconds, nbytes, "--N, --M or --draws", yes)  # fmt: skip
    result = predict_nonlinear(model, Ns, Ts, ridges, activation=activation, method=method,
                               sigma_b=sigma_b, draws=draws, seed=seed, bank=bank)  # fmt: skip
    records = result.records()
    if out_path is not None:
        write_table(records, out_path)
    echo_records(records, as_json, ("N", "T", "ridge", "activation", "method", "loss", "loss_sem"))
    if not as_json:
        click.echo(f"method: {result.method} ({result.draws} draw(s) of U)")


FINITE_SIZE_COLUMNS = ("N", "T", "ridge", "loss", "loss_sem", "loss_band", "equivalent", "method")


def _finite_size(model, Ns, Ts, ridges, activation, sigma_b, with_extras, draws, seed,
                 as_json, out_path) -> None:  # fmt: skip
    """Linear features: :func:`scalinglab.theory.finite_size.predict_finite_size`."""
    from ..exceptions import ConfigError

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
    echo_records(records, as_json, FINITE_SIZE_COLUMNS)
    if out_path is not None:
        write_table(records, out_path)
    if not as_json:
        for rec in records:
            if "reason" in rec:
                click.echo(f"N={rec['N']} T={rec['T']} ridge={rec['ridge']:g}: {rec['reason']}")
