"""Vectorised, bracketed root finding in log space (docs/theory.md §5 items 2–3).

Every fixed point of the theory is a root of a strictly increasing function ``g(x)`` of
``x = log Δ`` on a known bracket ``[lo, hi]`` with ``g(lo) < 0 ≤ g(hi)``. The solver below runs a
safeguarded Newton iteration on a whole array of such problems at once: a Newton step is taken
only when it stays strictly inside the current bracket and the residual keeps shrinking, otherwise
the bracket is bisected. It therefore never leaves the bracket (in particular never reaches the
unphysical branch ``d1 ≥ P`` of §12, where the caller returns ``g = −inf``), converges like
bisection in the worst case and quadratically near the root. Diagnostics are returned per problem
instead of failing silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["SolverInfo", "bracketed_newton"]


@dataclass(frozen=True)
class SolverInfo:
    """Per-point solver diagnostics.

    Attributes
    ----------
    converged : bool array
        The root was located to the requested tolerance.
    iterations : int array
        Function evaluations spent on the point.
    residual : float array
        ``|g|`` at the returned point (for the theory's log-space equations this is the
        relative residual of the fixed point to first order).
    """

    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray


def bracketed_newton(
    func: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    ftol: float = 1e-14,
    xtol: float = 4e-16,
    maxiter: int = 300,
) -> tuple[np.ndarray, SolverInfo]:
    """Solve ``g(x) = 0`` for increasing ``g`` on each bracket ``[lo, hi]``.

    Parameters
    ----------
    func : callable
        ``func(x, idx) -> (g, dg)``: the value and derivative at points ``x`` of the problems
        ``idx`` (indices into the flattened brackets). ``g = −inf`` marks a rejected point.
    lo, hi : arrays of the same shape
        Brackets with ``g(lo) < 0`` and ``g(hi) ≥ 0``.
    ftol, xtol : float
        Stop when ``|g| ≤ ftol`` or the bracket is narrower than ``xtol·max(1, |x|)``.

    Returns
    -------
    x : array
        The roots.
    info : SolverInfo
    """
    shape = np.shape(lo)
    lo = np.array(lo, dtype=np.float64).reshape(-1)
    hi = np.array(hi, dtype=np.float64).reshape(-1)
    n = lo.size
    x = hi.copy()  # g(hi) >= 0: Newton from the right, bisection as a fall-back
    residual = np.full(n, np.inf)
    converged = np.zeros(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.int64)
    previous = np.full(n, np.inf)
    active = np.arange(n)
    for _ in range(maxiter):
        if active.size == 0:
            break
        xa = x[active]
        g, dg = func(xa, active)
        iterations[active] += 1
        residual[active] = np.abs(g)
        below = g < 0
        lo[active] = np.where(below, xa, lo[active])
        hi[active] = np.where(below, hi[active], xa)
        width = hi[active] - lo[active]
        done = (np.abs(g) <= ftol) | (width <= xtol * np.maximum(1.0, np.abs(xa)))
        converged[active] = done
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = xa - g / dg
        la, ha = lo[active], hi[active]
        good = np.isfinite(step) & (step > la) & (step < ha) & (np.abs(g) < 0.5 * previous[active])
        x[active] = np.where(good, step, 0.5 * (la + ha))
        previous[active] = np.where(np.isfinite(g), np.abs(g), np.inf)
        # a finished point keeps the evaluated abscissa, not the proposed next one
        x[active[done]] = xa[done]
        active = active[~done]
    return x.reshape(shape), SolverInfo(
        converged.reshape(shape), iterations.reshape(shape), residual.reshape(shape)
    )
