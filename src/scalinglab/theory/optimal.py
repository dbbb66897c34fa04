"""Optimal ridge γ*(N, T) and compute-optimal allocation (docs/theory.md §8–§9).

**Optimal ridge** (docs/theory.md §8). On the physical branch ``γ(Δ) = s²Δ(N−d1)(T−d1)`` is a
strictly increasing bijection from ``(Δ_P, ∞)`` onto ``(0, ∞)``, so L is minimised over
``log Δ``: first on one log-spaced grid shared by all points (its spectral functionals are
computed once), then by a vectorised bounded golden-section search on the bracket around each
point's grid minimum. ``γ* = s²Δ*(N−d1)(T−d1)``; if the exact ridgeless value is lower, γ* = 0.

**Compute-optimal allocation** (docs/theory.md §9). For a budget C and a cost ``cost(N, T)``
(default ``N·T``), minimise ``L*(N, T(N))`` along the iso-cost curve ``cost(N, T) = C`` (grid in
log N, then golden section). With noise-free labels, an isotropic teacher and the optimal ridge the
minimum is at N = T = √C (equiparameterization); label noise moves it to N < T.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._validation import check_int
from ..exceptions import ConfigError
from ..model import DataModel
from .equivalent import (
    Spectrum,
    _check_grid,
    _evaluate,
    _ridgeless_terms,
    loss_terms,
    ridgeless_delta,
    spectrum_of,
)
from .spectral import Functionals

__all__ = ["ComputeOptimalResult", "OptimalRidgeResult", "compute_optimal", "optimal_ridge"]

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
GRID_STEP = 0.1  # shared grid spacing in ln Δ (≈ 23 points per decade)
X_TOL = 1e-5  # final bracket width in ln Δ: L is then within ~1e-10 relative of its minimum


@dataclass(frozen=True)
class OptimalRidgeResult:
    """Optimal ridge and the loss there, on the broadcast grid of (N, T, noise).

    ``ridge`` is γ* (0 when the ridgeless limit is optimal), ``loss = bias + variance`` the DE
    loss at γ*, ``delta`` and ``d1`` the renormalised ridge and effective dimension there.
    ``converged`` is False when the optimum sits on the upper end of the search range
    (``Δ = e^5 Σλ``, i.e. predicting ~0 is optimal); ``reason`` says why.
    """

    N: np.ndarray
    T: np.ndarray
    noise: np.ndarray
    ridge: np.ndarray
    loss: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    delta: np.ndarray
    d1: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    reason: np.ndarray

    def to_frame(self):
        """One row per (N, T, noise): the optimal ``ridge`` and the ``loss`` there."""
        from .._tables import grid_frame

        return grid_frame(self)


def _loss_at(f: Functionals, N, T, var, P) -> np.ndarray:
    """General-ridge loss with the unphysical branch d1 ≥ P mapped to +inf."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        bias, variance = loss_terms(f, N, T, var)
        loss = bias + variance
    return np.where((f.d1 < P) & np.isfinite(loss), loss, np.inf)


def _optimal_ridge_spectrum(
    spectrum: Spectrum, N: np.ndarray, T: np.ndarray, var: np.ndarray, feature_scale: float
) -> dict[str, np.ndarray]:
    """Core search on 1-D arrays (see module docstring)."""
    P = np.minimum(N, T)
    M = spectrum.M
    delta_P, _ = ridgeless_delta(spectrum, P)
    # the grid starts at the smallest Δ_P; points with P ≥ M (Δ_P = 0) need Δ well below λ_min
    positive = delta_P[delta_P > 0]
    x_low = float(np.log(positive.min())) if positive.size else np.inf
    if positive.size < delta_P.size:
        x_low = min(x_low, np.log(spectrum.lambda_min) - 20.0)
    # ≥ log λ_max + 5 (docs/theory.md §8), and above every Δ_P
    x_high = np.log(spectrum.total) + 5.0
    grid = np.arange(x_low, x_high + GRID_STEP, GRID_STEP)
    fg = spectrum.functionals(np.exp(grid))

    # ridgeless candidate at Δ_P
    f_P = spectrum.functionals(np.where(delta_P > 0, delta_P, 1.0))
    f_P = Functionals(np.minimum(P, M), f_P.d2, f_P.e, f_P.b1, f_P.b2)
    rb, rv = _ridgeless_terms(f_P, N, T, var, M)
    ridgeless_loss = rb + rv

    best = np.empty(N.size, dtype=np.int64)
    chunk = max(1, (1 << 22) // grid.size)
    for s in range(0, N.size, chunk):
        sl = slice(s, s + chunk)
        col = (N[sl, None], T[sl, None], var[sl, None], P[sl, None])
        L = _loss_at(fg, *col)
        best[sl] = np.argmin(L, axis=1)
    log_dP = np.log(np.where(delta_P > 0, delta_P, np.exp(grid[0] - GRID_STEP)))
    first_valid = np.searchsorted(grid, log_dP, "right")
    a = np.where(best - 1 >= first_valid, grid[np.maximum(best - 1, 0)], log_dP)
    b = grid[np.minimum(best + 1, grid.size - 1)]
    at_top = best == grid.size - 1

    def evaluate(x: np.ndarray) -> np.ndarray:
        return _loss_at(spectrum.functionals(np.exp(x)), N, T, var, P)

    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = evaluate(c), evaluate(d)
    iterations = np.full(N.size, 2, dtype=np.int64)
    while np.max(b - a) > X_TOL:
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        fnew = evaluate(new)
        c, d, fc, fd = (
            np.where(left, new, d),
            np.where(left, c, new),
            np.where(left, fnew, fd),
            np.where(left, fc, fnew),
        )
        iterations += 1
    x = np.where(fc < fd, c, d)
    f = spectrum.functionals(np.exp(x))
    bias, variance = loss_terms(f, N, T, var)
    delta = np.exp(x)
    ridge = feature_scale * delta * (N - f.d1) * (T - f.d1)
    use_ridgeless = ridgeless_loss <= bias + variance
    reason = np.full(N.size, "", dtype=object)
    reason[at_top & ~use_ridgeless] = (
        "the optimum lies at the upper end of the search range: predicting ~0 is optimal"
    )
    return {
        "ridge": np.where(use_ridgeless, 0.0, ridge),
        "loss": np.where(use_ridgeless, ridgeless_loss, bias + variance),
        "bias": np.where(use_ridgeless, rb, bias),
        "variance": np.where(use_ridgeless, rv, variance),
        "delta": np.where(use_ridgeless, delta_P, delta),
        "d1": np.where(use_ridgeless, f_P.d1, f.d1),
        "converged": use_ridgeless | ~at_top,
        "iterations": iterations,
        "reason": reason,
    }


def optimal_ridge(
    model: DataModel, N: object, T: object, noise: object = None
) -> OptimalRidgeResult:
    """γ*(N, T) minimising the deterministic-equivalent loss, and the loss there (docs/theory.md
    §8).

    Parameters
    ----------
    model : DataModel
    N, T : array_like
        Numbers of features and samples (> 0), broadcast together with ``noise``.
    noise : array_like, optional
        Label-noise standard deviation σ_ε (default ``model.noise``).

    Examples
    --------
    >>> from scalinglab import DataModel
    >>> res = optimal_ridge(DataModel(M=2000, alpha=1.0), N=800, T=800)
    >>> round(float(res.ridge), 7)
    0.0006438
    """
    noise = model.noise if noise is None else noise
    N, T = _check_grid("N", N, True), _check_grid("T", T, True)
    noise = _check_grid("noise", noise, False)
    N, T, noise = (np.array(a) for a in np.broadcast_arrays(N, T, noise))
    shape = N.shape
    keys = np.stack([N.reshape(-1), T.reshape(-1), noise.reshape(-1) ** 2], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    out = _optimal_ridge_spectrum(
        spectrum_of(model), unique[:, 0], unique[:, 1], unique[:, 2], model.feature_scale
    )
    fields = {k: v[inverse].reshape(shape) for k, v in out.items()}
    return OptimalRidgeResult(N=N, T=T, noise=noise, **fields)


@dataclass(frozen=True)
class ComputeOptimalResult:
    """The compute frontier: for each budget C, the optimal (N*, T*), ridge and loss.

    ``N_exponent``, ``T_exponent`` and ``loss_exponent`` are the log-log slopes of N*, T* and
    L* against C fitted over the budgets (NaN with fewer than two budgets).
    """

    budget: np.ndarray
    N: np.ndarray
    T: np.ndarray
    ridge: np.ndarray
    loss: np.ndarray
    N_exponent: float
    T_exponent: float
    loss_exponent: float

    def to_frame(self):
        """One row per budget C = N T: ``budget``, ``N``, ``T``, ``ridge``, ``loss``."""
        from .._tables import grid_frame

        return grid_frame(self)


def _samples_for_budget(
    cost: Callable[[np.ndarray, np.ndarray], np.ndarray], N: np.ndarray, budget: np.ndarray
) -> np.ndarray:
    """T with ``cost(N, T) = budget`` (cost increasing in T), by bisection in log T."""
    lo = np.zeros(N.shape)
    hi = np.full(N.shape, np.log(1e300))
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        above = np.asarray(cost(N, np.exp(mid)), dtype=np.float64) >= budget
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    return np.exp(0.5 * (lo + hi))


def compute_optimal(
    model: DataModel,
    budget: object,
    cost: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    noise: object = None,
    ridge: float | None = None,
    n_grid: int = 49,
) -> ComputeOptimalResult:
    """Compute-optimal allocation ``N*(C), T*(C)`` and the loss on the frontier (docs/theory.md §9).

    Parameters
    ----------
    model : DataModel
    budget : array_like
        Compute budgets C (> 1).
    cost : callable, optional
        ``cost(N, T)``, increasing in both arguments (default ``N·T``).
    noise : float, optional
        Label-noise standard deviation (default ``model.noise``).
    ridge : float, optional
        Fixed ridge γ; by default the optimal ridge γ*(N, T) is used at every point.
    n_grid : int
        Points of the initial log-N grid per budget (then refined by golden section).

    Notes
    -----
    N and T are treated as real numbers (the deterministic equivalent is smooth in both). The
    search covers ``N ≥ 1`` and ``T ≥ 1``.
    """
    budget = _check_grid("budget", budget, True).reshape(-1)
    if np.any(budget <= 1):
        raise ConfigError(f"The 'budget' parameter must be floats > 1. Got {budget!r} instead.")
    n_grid = check_int("n_grid", n_grid, low=5)
    noise_var = float(model.noise if noise is None else noise) ** 2
    cost = cost if cost is not None else (lambda n, t: n * t)
    spectrum = spectrum_of(model)

    def loss_at(logN: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, ...]:
        N = np.exp(logN)
        T = _samples_for_budget(cost, N, C)
        var = np.full(N.shape, noise_var)
        if ridge is None:
            out = _optimal_ridge_spectrum(spectrum, N, T, var, model.feature_scale)
            return out["loss"], T, out["ridge"]
        res = _evaluate(spectrum, N, T, ridge, np.sqrt(var), model.feature_scale)
        return res.loss, T, res.ridge

    N_max = _samples_for_budget(lambda t, n: cost(n, t), np.ones_like(budget), budget)
    top = np.log(np.maximum(N_max, 1.0))
    frac = np.linspace(0.0, 1.0, n_grid)
    grid = frac[None, :] * top[:, None]
    C_grid = np.broadcast_to(budget[:, None], grid.shape)
    L, _, _ = loss_at(grid.reshape(-1), C_grid.reshape(-1))
    best = np.argmin(L.reshape(grid.shape), axis=1)
    rows = np.arange(budget.size)
    a = grid[rows, np.maximum(best - 1, 0)]
    b = grid[rows, np.minimum(best + 1, n_grid - 1)]
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = loss_at(c, budget)[0], loss_at(d, budget)[0]
    while np.max(b - a) > 1e-7:
        left = fc < fd
        b, a = np.where(left, d, b), np.where(left, a, c)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        fnew = loss_at(new, budget)[0]
        c, d, fc, fd = (
            np.where(left, new, d),
            np.where(left, c, new),
            np.where(left, fnew, fd),
            np.where(left, fc, fnew),
        )
    x = np.where(fc < fd, c, d)
    loss, T, ridge_opt = loss_at(x, budget)
    N = np.exp(x)
    if budget.size >= 2:
        lc = np.log(budget)
        slopes = [float(np.polyfit(lc, np.log(v), 1)[0]) for v in (N, T, loss)]
    else:
        slopes = [np.nan] * 3
    return ComputeOptimalResult(budget, N, T, ridge_opt, loss, *slopes)
