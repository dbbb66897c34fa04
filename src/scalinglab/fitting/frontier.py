"""The compute-optimal frontier of a fitted law: minimise L(N, T) at fixed cost.

For each budget C, ``(N*, T*) = argmin L(N, T)`` subject to ``cost(N, T) = C`` (default
``cost = N·T``, docs/theory.md §9). The minimisation is over ``log N``: a grid of ``n_grid`` points
then bounded Brent around the best one, with T solved from the cost (``T = C/N`` for the default;
a root in ``log T`` for a user cost increasing in T). The exponents are least-squares slopes of
``log N*``, ``log T*`` and ``log L*`` against ``log C``. Checks: for Chinchilla,
``N* = (aA/(bB))^(1/(a+b)) C^(b/(a+b))``; for ``mrs``, ``N* = T* = √C`` (equiparameterization).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from .._validation import check_int, check_positive_array
from ..exceptions import ConfigError
from .forms import ScalingForm, get_form

__all__ = ["FrontierResult", "compute_optimal_frontier"]


@dataclass(frozen=True, eq=False)
class FrontierResult:
    """N*(C), T*(C), L*(C) on the budgets C, and their log-log slopes (exponents)."""

    form: str
    C: np.ndarray
    N: np.ndarray
    T: np.ndarray
    loss: np.ndarray
    exponent_N: float
    exponent_T: float
    exponent_loss: float

    def to_frame(self):
        """One row per budget: ``C``, ``N``, ``T``, ``loss`` (the frontier's points)."""
        from .._tables import grid_frame

        return grid_frame(self)

    def to_dict(self) -> dict[str, Any]:
        def num(x):
            return float(x) if math.isfinite(x) else None

        return {
            "form": self.form,
            "exponent_N": num(self.exponent_N),
            "exponent_T": num(self.exponent_T),
            "exponent_loss": num(self.exponent_loss),
            "points": [
                {"C": num(c), "N": num(n), "T": num(t), "loss": num(v)}
                for c, n, t, v in zip(self.C, self.N, self.T, self.loss)
            ],
        }


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:
        return float("nan")
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def compute_optimal_frontier(
    fit,
    C,
    *,
    cost: Callable[[float, float], float] | None = None,
    N_range: tuple[float, float] | None = None,
    n_grid: int = 256,
) -> FrontierResult:
    """The compute-optimal allocation of a law along budgets C.

    Parameters
    ----------
    fit : FitResult or (form, params)
        A fitted law, or a form (name or object) with a mapping of its parameters.
    C : array_like
        Positive budgets.
    cost : callable, optional
        ``cost(N, T)``, increasing in T (default ``N·T``).
    N_range : (low, high), optional
        Search range of N (default ``[1, C]``, i.e. T ≥ 1 for the default cost).
    n_grid : int
        Grid points in log N before the Brent refinement.

    Returns
    -------
    FrontierResult
    """
    form, params = _law(fit)
    if set(form.variables) != {"N", "T"}:
        raise ConfigError(
            f"The 'fit' parameter must be a law of both N and T for a frontier. Got form "
            f"{form.name!r} (a law of {', '.join(form.variables)}) instead."
        )
    budgets = check_positive_array("C", np.atleast_1d(np.asarray(C, dtype=np.float64)))
    n_grid = check_int("n_grid", n_grid, low=8)
    theta = form.to_internal(params)

    def log_loss(log_N: np.ndarray, budget: float) -> np.ndarray:
        log_T = _solve_T(log_N, budget, cost)
        with np.errstate(all="ignore"):
            out = form.log_predict(theta, np.exp(log_N), np.exp(log_T))
        return np.where(np.isfinite(out), out, np.inf)

    rows = []
    for budget in budgets:
        lo, hi = (1.0, budget) if N_range is None else N_range
        if not 0 < lo < hi:
            raise ConfigError(f"The 'N_range' parameter must satisfy 0 < low < high. Got {(lo, hi)}"
                              " instead.")  # fmt: skip
        grid = np.linspace(math.log(lo), math.log(hi), n_grid)
        values = log_loss(grid, budget)
        i = int(np.argmin(values))
        if not np.isfinite(values[i]):
            rows.append((np.nan, np.nan, np.nan))
            continue
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, n_grid - 1)]
        best = minimize_scalar(
            lambda x, budget=budget: float(log_loss(np.array([x]), budget)[0]),
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-10},
        )
        x = best.x if best.fun <= values[i] else grid[i]
        log_T = float(_solve_T(np.array([x]), budget, cost)[0])
        rows.append((math.exp(x), math.exp(log_T), math.exp(min(best.fun, values[i]))))
    N_opt, T_opt, L_opt = (np.array(col) for col in zip(*rows))
    log_C = np.log(budgets)
    return FrontierResult(
        form=form.name,
        C=budgets,
        N=N_opt,
        T=T_opt,
        loss=L_opt,
        exponent_N=_slope(log_C, np.log(N_opt)),
        exponent_T=_slope(log_C, np.log(T_opt)),
        exponent_loss=_slope(log_C, np.log(L_opt)),
    )


def _law(fit) -> tuple[ScalingForm, Mapping[str, float]]:
    if hasattr(fit, "form") and hasattr(fit, "params"):
        return fit.form, fit.params
    try:
        form, params = fit
    except (TypeError, ValueError):
        raise ConfigError(
            f"The 'fit' parameter must be a FitResult or a (form, params) pair. Got {fit!r} "
            "instead."
        ) from None
    return get_form(form), params


def _solve_T(log_N: np.ndarray, budget: float, cost) -> np.ndarray:
    """``log T`` with ``cost(N, T) = C`` (``NaN`` where no T ≥ e^-50 fits the budget)."""
    if cost is None:
        return math.log(budget) - log_N
    out = np.full(log_N.shape, np.nan)
    for j, x in enumerate(log_N):
        N = math.exp(x)

        def gap(log_T, N=N):
            return math.log(cost(N, math.exp(log_T))) - math.log(budget)

        lo, hi = -50.0, 1.0
        if gap(lo) > 0:
            continue
        while gap(hi) < 0 and hi < 700:
            hi *= 2
        if gap(hi) >= 0:
            out[j] = brentq(gap, lo, hi, xtol=1e-12)
    return out
