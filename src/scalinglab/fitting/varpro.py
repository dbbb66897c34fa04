"""Variable projection: search the exponents, solve the linear coefficients by NNLS.

For a form ``L = Σ_k c_k g_k(N, T; φ)`` with coefficients ``c ≥ 0`` (e.g. Chinchilla,
``c = (E, A, B)``, ``φ = (a, b)``) the reduced objective is

.. math::

    R(φ) = \\min_{c ≥ 0} Σ_i w_i ((Σ_k c_k g_k(x_i; φ) − L_i)/L_i)²,

a relative (≈ log-residual) least-squares problem solved by :func:`scipy.optimize.nnls` at each
φ. ``R`` is evaluated on a grid of exponents and refined from the best grid point by bounded
Nelder–Mead. The result starts the Huber polish in :func:`.fit.fit_scaling_law`, which makes the
two methods estimate the same quantity while variable projection finds its basin robustly (the
exponents are the only nonlinear directions, so a grid over them covers the landscape).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, minimize, nnls

from .forms import ScalingForm

__all__ = ["variable_projection"]


def variable_projection(
    form: ScalingForm,
    N: np.ndarray,
    T: np.ndarray,
    loss: np.ndarray,
    weights: np.ndarray,
    bounds: list[tuple[float | None, float | None]],
    n_grid: int,
) -> tuple[np.ndarray, int]:
    """Internal θ from variable projection, and the number of exponent grid points tried.

    ``n_grid`` is the number of grid values per nonlinear parameter (the form's
    :meth:`~.forms.ScalingForm.nonlinear_grid`).
    """
    names = form.param_names
    lin = [names.index(name) for name in form.linear]
    nonlin = [i for i in range(len(names)) if i not in lin]
    scale = np.sqrt(weights) / loss
    target = scale * loss
    theta = np.zeros(len(names))

    def solve(phi: np.ndarray) -> tuple[float, np.ndarray]:
        theta[nonlin] = phi
        G = form.basis(theta, N, T) * scale[:, None]
        if not np.all(np.isfinite(G)):
            return float("inf"), np.zeros(len(lin))
        coef, rnorm = nnls(G, target)
        return float(rnorm) ** 2, coef

    grid = form.nonlinear_grid(N, T, loss, n_grid)
    lo = np.array([-np.inf if bounds[i][0] is None else bounds[i][0] for i in nonlin])
    hi = np.array([np.inf if bounds[i][1] is None else bounds[i][1] for i in nonlin])
    grid = np.clip(grid, lo, hi)
    values = [solve(phi)[0] for phi in grid]
    best = grid[int(np.argmin(values))]
    refined = minimize(
        lambda phi: solve(phi)[0],
        best,
        method="Nelder-Mead",
        bounds=Bounds(lo, hi),
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 2000},
    )
    phi = refined.x if refined.fun <= min(values) else best
    _, coef = solve(phi)
    out = np.empty(len(names))
    out[nonlin] = phi
    # A zero coefficient (NNLS at its bound) starts the log-space polish at a negligible value.
    floor = 1e-8 * float(np.min(loss))
    out[lin] = np.log(np.maximum(coef, floor))
    return out, len(grid)
