"""Bootstrap refits: over points, and over seeds when per-seed losses are given.

Each replicate draws n points with replacement (a point drawn c times gets weight ``c w_i``);
with per-seed losses it also redraws, for every point, its k_i seeds with replacement and uses
their mean (a two-stage bootstrap: the between-point and the seed-to-seed variability). A
replicate in which some variable the law depends on takes a single value, or with fewer distinct
points than parameters, cannot identify the law and is redrawn. Each refit is one L-BFGS-B run
warm-started at the full-data optimum. Draws come from ``numpy.random.default_rng(seed)``.
Percentile intervals of the replicates are the reported intervals (Besiroglu et al. 2024).
"""

from __future__ import annotations

import numpy as np

from .io import FitData
from .objective import HuberObjective, lbfgs

__all__ = ["bootstrap_fits"]

_MAX_REDRAWS = 100


def _identifiable(objective: HuberObjective, counts: np.ndarray, n_params: int) -> bool:
    chosen = counts > 0
    if chosen.sum() < n_params:
        return False
    sizes = {"N": objective.N, "T": objective.T}
    return all(np.unique(sizes[v][chosen]).size >= 2 for v in objective.form.variables)


def _seed_means(seed_losses: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-point means of seeds redrawn with replacement (rows are left-aligned, NaN-padded)."""
    k = np.sum(~np.isnan(seed_losses), axis=1)
    n, k_max = seed_losses.shape
    picks = np.floor(rng.random((n, k_max)) * k[:, None]).astype(np.int64)
    values = np.take_along_axis(seed_losses, picks, axis=1)
    valid = np.arange(k_max)[None, :] < k[:, None]
    return np.where(valid, values, 0.0).sum(axis=1) / k


def bootstrap_fits(
    objective: HuberObjective,
    data: FitData,
    theta: np.ndarray,
    bounds: list,
    n_bootstrap: int,
    seed: int,
    maxiter: int,
    n_params: int,
    progress=None,
) -> tuple[np.ndarray, float]:
    """Internal θ of ``n_bootstrap`` refits (rows) and the fraction that converged.

    ``progress(done, total)``, when given, is called after each refit.
    """
    rng = np.random.default_rng(seed)
    n = data.n_points
    draws = np.empty((n_bootstrap, theta.size))
    converged = 0
    for b in range(n_bootstrap):
        for _ in range(_MAX_REDRAWS):
            counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
            if _identifiable(objective, counts, n_params):
                break
        loss = data.loss if data.seed_losses is None else _seed_means(data.seed_losses, rng)
        replicate = HuberObjective(
            objective.form, objective.N, objective.T, loss, objective.weights * counts,
            objective.delta,
        )  # fmt: skip
        res = lbfgs(replicate, theta, bounds, maxiter)
        draws[b] = res.x
        converged += bool(res.success)
        if progress is not None:
            progress(b + 1, n_bootstrap)
    return draws, converged / n_bootstrap
