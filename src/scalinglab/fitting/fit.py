"""Fit a scaling law to a table of results: :func:`fit_scaling_law` → :class:`FitResult`.

Method ``"lbfgs"`` (Hoffmann et al. 2022, approach 3): minimise the Huber objective on
log-residuals (:mod:`.objective`) with L-BFGS-B from every point of a start grid (``n_grid``
values per parameter, scales in log space) and keep the best; by default each start is first
screened by ``screen_iter`` L-BFGS-B steps and only the ``n_refine`` best are run to convergence
(``screen_iter=None`` runs them all; benchmarks/bench_fit.py compares the two).
Method ``"varpro"``: variable projection over the exponents with NNLS for the linear
coefficients (:mod:`.varpro`), then the same Huber objective polished by L-BFGS-B from that
point. Uncertainties: an asymptotic covariance (Huber's formula, :mod:`.objective`), or, with
``n_bootstrap > 0``, a bootstrap over points (and over seeds when per-seed losses are given;
:mod:`.bootstrap`), following Besiroglu et al. (2024), who found
approach 3's published intervals far too narrow.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri
from threadpoolctl import threadpool_limits

from .._validation import check_choice, check_float, check_int
from ..exceptions import ConfigError, EstimateWarning
from .forms import ScalingForm, get_form
from .io import FitData, load_table
from .objective import HuberObjective, lbfgs, log_weights

__all__ = ["FitResult", "fit_scaling_law"]

METHODS = ("lbfgs", "varpro")
MAX_BOOTSTRAP = 10_000
"""Most bootstrap refits (a few hundred give the 95% percentile interval to ~1%)."""
NEGLIGIBLE = 1e-4
"""A positive parameter below this fraction of the smallest loss is at its bound 0: an offset or
prefactor that small moves no prediction by more than 0.01%, whatever its fitted value."""


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted scaling law.

    Attributes
    ----------
    form : ScalingForm
        The law (``form.name`` is its registry name).
    params, stderr : dict
        Parameter values and standard errors (natural units).
    ci : dict
        ``name -> (low, high)``: the ``ci_level`` interval (bootstrap percentile when
        ``n_bootstrap > 0``, else Wald in the fitted coordinates).
    covariance : ndarray
        (p, p) covariance of the parameters in natural units (bootstrap or asymptotic).
    objective : float
        Huber objective ``Σ w_i h_δ(r_i)`` at the optimum.
    converged : bool
        Whether the optimiser reported convergence for the best fit; ``message`` says more.
    n_points : int
        Number of points fitted.
    aic, bic : float
        ``n log(RSS/n) + 2p`` and ``n log(RSS/n) + p log n`` with ``RSS = Σ w_i r_i²``
        (a Gaussian model of the log-residuals; for comparing forms on the same data).
    bootstrap_params : ndarray or None
        (n_bootstrap, p) refitted parameters.
    at_bound : dict
        ``name -> "lower"/"upper"`` for the parameters that sit at a bound of their range (a
        positive parameter fitted to ~0 is at its lower bound 0): the data do not determine
        them. Their ``stderr`` is NaN and their interval one-sided, ``(bound, upper percentile)``
        with a bootstrap and ``(bound, NaN)`` without one; the others' intervals treat them as
        fixed.
    """

    form: ScalingForm
    params: dict[str, float]
    stderr: dict[str, float]
    ci: dict[str, tuple[float, float]]
    covariance: np.ndarray
    objective: float
    converged: bool
    message: str
    n_points: int
    method: str
    delta: float
    aic: float
    bic: float
    ci_level: float = 0.95
    ci_method: str = "wald"
    n_bootstrap: int = 0
    bootstrap_converged: float | None = None
    bootstrap_params: np.ndarray | None = field(default=None, repr=False)
    seed: int = 0
    at_bound: dict[str, str] = field(default_factory=dict)

    @property
    def n_params(self) -> int:
        return len(self.params)

    def predict(self, N=None, T=None) -> np.ndarray:
        """Predicted loss at (N, T), broadcasting; a variable the form ignores may be omitted."""
        for name, value in (("N", N), ("T", T)):
            if value is None and name in self.form.variables:
                raise ConfigError(
                    f"The '{name}' parameter must be given for form {self.form.name!r}. "
                    "Got None instead."
                )
        N = np.nan if N is None else N
        T = np.nan if T is None else T
        return self.form.predict(self.params, N, T)

    def to_frame(self):
        """One row per parameter: ``param``, ``value``, ``stderr``, ``low``, ``high``,
        ``at_bound`` (empty, ``lower`` or ``upper``)."""
        import pandas as pd

        return pd.DataFrame([
            {"form": self.form.name, "param": name, "value": value,
             "stderr": self.stderr[name], "low": self.ci[name][0], "high": self.ci[name][1],
             "at_bound": self.at_bound.get(name, "")}
            for name, value in self.params.items()
        ])  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (non-finite floats become None)."""
        return {
            "form": self.form.name,
            "law": self.form.doc,
            "method": self.method,
            "params": {k: _finite(v) for k, v in self.params.items()},
            "stderr": {k: _finite(v) for k, v in self.stderr.items()},
            "ci": {k: [_finite(lo), _finite(hi)] for k, (lo, hi) in self.ci.items()},
            "ci_level": self.ci_level,
            "ci_method": self.ci_method,
            "covariance": [[_finite(v) for v in row] for row in self.covariance],
            "converged": bool(self.converged),
            "message": self.message,
            "objective": _finite(self.objective),
            "n_points": self.n_points,
            "n_params": self.n_params,
            "delta": self.delta,
            "aic": _finite(self.aic),
            "bic": _finite(self.bic),
            "n_bootstrap": self.n_bootstrap,
            "bootstrap_converged": self.bootstrap_converged,
            "seed": self.seed,
            "at_bound": dict(self.at_bound),
        }

    def __str__(self) -> str:
        lines = [f"{self.form.name}: {self.form.doc}  ({self.n_points} points, {self.method})"]
        for name, value in self.params.items():
            lo, hi = self.ci[name]
            if name in self.at_bound:
                upper = "" if not math.isfinite(hi) else f", one-sided [{lo:.6g}, {hi:.6g}]"
                lines.append(
                    f"  {name:>8} = {value:.6g}  at its {self.at_bound[name]} bound: "
                    f"not determined by the data{upper}"
                )
                continue
            lines.append(
                f"  {name:>8} = {value:.6g} ± {self.stderr[name]:.3g}  [{lo:.6g}, {hi:.6g}]"
            )
        lines.append(f"  objective = {self.objective:.6g}, converged = {self.converged}")
        return "\n".join(lines)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def prepare(form: ScalingForm, data: FitData) -> tuple[np.ndarray, np.ndarray]:
    """Validate data for a form: (N, T) with unused variables set to 1.

    Raises a :class:`ConfigError` for a missing variable, a variable with a single value,
    fewer points than parameters, or points where the law is undefined.
    """
    sizes = {"N": data.N, "T": data.T}
    for name in form.variables:
        values = sizes[name]
        if np.any(np.isnan(values)):
            raise ConfigError(
                f"The '{name}' column must be in the table for form {form.name!r}. "
                "Got no such column instead."
            )
        distinct = np.unique(values).size
        if distinct < 2:
            raise ConfigError(
                f"The '{name}' column must take at least 2 distinct values to fit form "
                f"{form.name!r}, which depends on {name}. Got {distinct} instead."
            )
    p = len(form.params)
    if data.n_points < p:
        raise ConfigError(
            f"The 'data' parameter must have at least {p} points to fit the {p} parameters of "
            f"form {form.name!r}. Got {data.n_points} instead."
        )
    N = data.N if "N" in form.variables else np.ones_like(data.loss)
    T = data.T if "T" in form.variables else np.ones_like(data.loss)
    form.check_data(N, T)
    _warn_at_rounding_floor(data.loss)
    return N, T


ROUNDING_FLOOR = 1e3 * float(np.finfo(np.float64).eps)
"""A loss below this fraction of the table's largest is at the float64 rounding floor of the
simulation that produced it (``simulate`` resolves a loss to ~64 ε of its cancelling terms)."""


def _warn_at_rounding_floor(loss: np.ndarray) -> None:
    """Warn where losses sit at the rounding floor: a true loss of 0 (the plateau
    ``min(N, T) ≥ M`` without noise) measured as rounding noise, whose log-residuals are
    decades off any law and dominate the fit (e.g. the ``theory`` form then pins M)."""
    low = loss < ROUNDING_FLOOR * float(np.max(loss))
    if np.any(low):
        warnings.warn(
            f"{int(low.sum())} of {loss.size} losses are below {ROUNDING_FLOOR:.1e} of the "
            f"largest (smallest {float(np.min(loss)):.2e}): float64 rounding of a true loss of "
            "0 (e.g. min(N, T) >= M without noise), which dominates the log-residuals; the fit "
            "is not to be trusted: remove those rows from the table before fitting.",
            EstimateWarning,
            stacklevel=3,
        )


def fit_scaling_law(
    data,
    form: str | ScalingForm = "chinchilla",
    *,
    variable: str | None = None,
    method: str = "lbfgs",
    delta: float = 1e-3,
    weighted: bool = True,
    n_grid: int = 4,
    screen_iter: int | None = 20,
    n_refine: int = 8,
    n_bootstrap: int = 0,
    ci_level: float = 0.95,
    seed: int = 0,
    maxiter: int = 1000,
    columns: dict[str, str | None] | None = None,
    progress=None,
    start: dict[str, float] | None = None,
) -> FitResult:
    """Fit a scaling law ``L(N, T)`` by Huber regression on log-residuals.

    Parameters
    ----------
    data : FitData, pandas.DataFrame, mapping or path
        The points (see :func:`.io.load_table`; ``columns`` renames its columns).
    form : str or ScalingForm
        A name in :data:`.forms.FORMS` (``kaplan``, ``chinchilla``, ``mrs``, ``mrs-breakdown``,
        ``power``, ``power-offset``, ...) or a form object.
    variable : {"N", "T"}, optional
        The variable of ``power``/``power-offset`` (default N).
    method : {"lbfgs", "varpro"}
        Multi-start L-BFGS-B, or variable projection then a Huber polish.
    delta : float
        Huber threshold on log-residuals (default 1e-3, as Hoffmann et al. 2022).
    weighted : bool
        Weight points by ``(L/s)²`` when standard errors ``s`` are available.
    n_grid : int
        Start-grid values per parameter (``n_grid ** p`` starts for ``lbfgs``; exponent grid
        ``(4 n_grid) ** k`` for ``varpro``).
    screen_iter, n_refine : int
        ``lbfgs`` runs every start for ``screen_iter`` L-BFGS-B iterations, then runs the
        ``n_refine`` best to convergence (``screen_iter=None``: every start to convergence).
        On Chinchilla-like data the screened and full searches end at the same optimum
        (benchmarks/bench_fit.py) at a fraction of the cost.
    n_bootstrap : int
        Bootstrap refits for the intervals and covariance (0: asymptotic only; at most
        :data:`MAX_BOOTSTRAP`).
    ci_level : float
        Coverage of the intervals in ``ci``.
    seed : int
        Seed of the bootstrap draws.
    maxiter : int
        L-BFGS-B iteration limit per start.
    progress : callable, optional
        ``progress(done, total)`` after each bootstrap refit.
    start : dict, optional
        Parameter values to start a single L-BFGS-B run from, instead of the start grid (the
        cross-validation refits of :func:`.compare.compare_forms` start at the full-data fit).

    Returns
    -------
    FitResult

    Raises
    ------
    ConfigError
        For unusable data (fewer points than parameters, a single value of a variable the law
        depends on, non-positive or missing values) or bad options.
    """
    form = get_form(form, variable)
    if not isinstance(data, FitData):
        data = load_table(data, **(columns or {}))
    method = check_choice("method", method, METHODS)
    delta = check_float("delta", delta, 0.0, low_open=True)
    n_grid = check_int("n_grid", n_grid, low=1, high=50)
    if screen_iter is not None:
        screen_iter = check_int("screen_iter", screen_iter, low=1)
    n_refine = check_int("n_refine", n_refine, low=1)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, low=0, high=MAX_BOOTSTRAP)
    ci_level = check_float("ci_level", ci_level, 0.0, 1.0, low_open=True, high_open=True)
    seed = check_int("seed", seed, low=0)
    maxiter = check_int("maxiter", maxiter, low=1)
    N, T = prepare(form, data)
    # Thousands of tiny L-BFGS-B steps: a threaded BLAS only adds synchronisation cost.
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
        return _fit(form, data, N, T, method, delta, weighted, n_grid, screen_iter, n_refine,
                    n_bootstrap, ci_level, seed, maxiter, progress, start)  # fmt: skip


def _at_bound(form: ScalingForm, theta: np.ndarray, bounds, loss: np.ndarray) -> dict[str, str]:
    """Parameters at a bound of their range (see :attr:`FitResult.at_bound`).

    At an L-BFGS-B box bound to 1e-6 (relative), or a positive (log) parameter without a lower
    bound driven below ``NEGLIGIBLE`` times the smallest loss: an offset like ``E`` fitted to
    1e-16 is 0 for the data.
    """
    out = {}
    floor = math.log(NEGLIGIBLE * float(np.min(loss)))
    for i, param in enumerate(form.params):
        low, high = bounds[i]
        tol = 1e-6 * (1.0 + abs(theta[i]))
        if low is not None and theta[i] <= low + tol:
            out[param.name] = "lower"
        elif high is not None and theta[i] >= high - tol:
            out[param.name] = "upper"
        elif param.log and low is None and theta[i] < floor:
            out[param.name] = "lower"
    return out


def _fit(form, data, N, T, method, delta, weighted, n_grid, screen_iter, n_refine, n_bootstrap,
         ci_level, seed, maxiter, progress=None, start=None) -> FitResult:  # fmt: skip
    weights = log_weights(data.loss, data.loss_sem if weighted else None)
    objective = HuberObjective(form, N, T, data.loss, weights, delta)
    bounds = form.internal_bounds(N, T)

    if start is not None:
        best = lbfgs(objective, form.to_internal(start), bounds, maxiter)
        note = "one L-BFGS-B run from the given start"
    elif method == "lbfgs":
        starts = form.starts(N, T, data.loss, n_grid)
        if screen_iter is not None and len(starts) > n_refine:
            steps = min(screen_iter, maxiter)
            screened = [lbfgs(objective, theta0, bounds, steps) for theta0 in starts]
            order = np.argsort([res.fun for res in screened], kind="stable")[:n_refine]
            starts = [screened[i].x for i in order]
            note = f"{n_refine} best of {len(screened)} starts after {steps} L-BFGS-B steps"
        else:
            note = f"best of {len(starts)} L-BFGS-B starts"
        runs = [lbfgs(objective, theta0, bounds, maxiter) for theta0 in starts]
        f_min = min(res.fun for res in runs)
        # The lowest objective; among runs equal to it within 1e-9 (rounding), a converged one.
        ties = [res for res in runs if res.fun <= f_min + 1e-9 * abs(f_min)]
        best = min(ties, key=lambda res: (not res.success, res.fun))
    else:
        from .varpro import variable_projection

        theta0, n_tried = variable_projection(form, N, T, data.loss, weights, bounds, 4 * n_grid)
        best = lbfgs(objective, theta0, bounds, maxiter)
        note = f"variable projection over {n_tried} exponent points, then L-BFGS-B"
    theta = best.x
    value = objective.value(theta)
    converged = bool(best.success) and math.isfinite(value)
    message = f"{note}: {best.message}"

    r = objective.residuals(theta)
    n, p = data.n_points, len(form.params)
    rss = max(float(weights @ (r * r)), np.finfo(float).tiny)
    aic = n * math.log(rss / n) + 2 * p
    bic = n * math.log(rss / n) + p * math.log(n)

    params = form.to_natural(theta)
    names = form.param_names
    log_mask = form.log_mask
    at_bound = _at_bound(form, theta, bounds, data.loss)
    pinned = np.array([name in at_bound for name in names])
    edge = {  # the bound each pinned parameter sits at, in natural units
        p.name: (p.low or 0.0) if at_bound[p.name] == "lower" else p.high
        for p in form.params
        if p.name in at_bound
    }
    cov_theta = objective.covariance(theta, free=~pinned)
    jac = np.where(log_mask, np.exp(theta), 1.0)
    covariance = cov_theta * np.outer(jac, jac)
    se_theta = np.sqrt(np.clip(np.diag(cov_theta), 0.0, None))
    z = float(ndtri(0.5 + ci_level / 2))
    lo_theta, hi_theta = theta - z * se_theta, theta + z * se_theta
    lo = np.where(log_mask, np.exp(lo_theta), lo_theta)
    hi = np.where(log_mask, np.exp(hi_theta), hi_theta)
    for i, param in enumerate(form.params):  # a Wald interval stays inside the range
        lo[i] = lo[i] if param.low is None else max(lo[i], param.low)
        hi[i] = hi[i] if param.high is None else min(hi[i], param.high)
    ci = {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(names)}
    stderr = {name: float(math.sqrt(max(covariance[i, i], 0.0))) for i, name in enumerate(names)}
    for name in at_bound:  # no two-sided interval for a parameter the data do not determine
        ci[name], stderr[name] = (min(edge[name], params[name]), math.nan), math.nan
    extra: dict[str, Any] = {}

    if n_bootstrap:
        from .bootstrap import bootstrap_fits

        draws, frac = bootstrap_fits(
            objective, data, theta, bounds, n_bootstrap, seed, maxiter, n_params=p,
            progress=progress,
        )  # fmt: skip
        samples = np.where(log_mask, np.exp(draws), draws)
        tail = 50 * (1 - ci_level)
        lo_b, hi_b = np.percentile(samples, [tail, 100 - tail], axis=0)
        one_sided = np.percentile(samples, [100 * (1 - ci_level), 100 * ci_level], axis=0)
        ci = {name: (float(lo_b[i]), float(hi_b[i])) for i, name in enumerate(names)}
        covariance = np.atleast_2d(np.cov(samples, rowvar=False))
        stderr = {name: float(math.sqrt(covariance[i, i])) for i, name in enumerate(names)}
        for i, name in enumerate(names):
            if at_bound.get(name) == "lower":
                ci[name], stderr[name] = (edge[name], float(one_sided[1, i])), math.nan
            elif at_bound.get(name) == "upper":
                ci[name], stderr[name] = (float(one_sided[0, i]), edge[name]), math.nan
        extra = {
            "ci_method": "bootstrap-percentile",
            "n_bootstrap": n_bootstrap,
            "bootstrap_converged": frac,
            "bootstrap_params": samples,
        }

    return FitResult(
        form=form,
        params=params,
        stderr=stderr,
        ci=ci,
        covariance=covariance,
        objective=value,
        converged=converged,
        message=message,
        n_points=n,
        method=method,
        delta=delta,
        aic=aic,
        bic=bic,
        ci_level=ci_level,
        seed=seed,
        at_bound=at_bound,
        **extra,
    )
