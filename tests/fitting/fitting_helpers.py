"""Helpers for the fitting tests: a law with known parameters plus log-normal noise."""

from __future__ import annotations

import numpy as np

from scalinglab.fitting import FORMS, FitData

# Designs (N, T ranges) and true parameters for each built-in form. Each design spans at least
# two decades in every variable the law depends on, so every parameter is identifiable.
CASES = {
    "chinchilla": (dict(E=1.69, A=406.4, B=410.7, a=0.34, b=0.28), (1e6, 1e10), (1e8, 1e12)),
    "kaplan": (
        dict(N_c=8.8e13, T_c=5.4e13, alpha_N=0.076, alpha_T=0.095),
        (1e6, 1e10),
        (1e7, 1e11),
    ),
    "mrs": (dict(k=2e-3, alpha=0.7), (10.0, 1e4), (10.0, 1e4)),
    "mrs-breakdown": (dict(k=0.05, alpha=0.8, M=5000.0), (20.0, 4000.0), (30.0, 4500.0)),
    "power-N": (dict(c=5.0, p=0.3), (1e3, 1e7), (1.0, 1.0)),
    "power-offset-T": (dict(E=1.5, c=20.0, p=0.4), (1.0, 1.0), (1e3, 1e7)),
}


def grid_points(n_side: int, N_range, T_range) -> tuple[np.ndarray, np.ndarray]:
    """An n_side x n_side log-spaced (N, T) grid, flattened (a fixed range: one value)."""
    N = np.geomspace(*N_range, n_side) if N_range[0] != N_range[1] else np.full(n_side, N_range[0])
    T = np.geomspace(*T_range, n_side) if T_range[0] != T_range[1] else np.full(n_side, T_range[0])
    NN, TT = np.meshgrid(N, T, indexing="ij")
    return NN.ravel(), TT.ravel()


def make_data(name: str, seed: int, noise: float = 0.01, n_side: int = 10) -> FitData:
    """Data from form ``name`` at its true parameters times exp(noise * standard normal)."""
    params, N_range, T_range = CASES[name]
    form = FORMS[name]
    N, T = grid_points(n_side, N_range, T_range)
    keep = N != T  # mrs-breakdown is undefined at N = T (a no-op elsewhere: ranges differ)
    N, T = N[keep], T[keep]
    rng = np.random.default_rng(seed)
    loss = form.predict(params, N, T) * np.exp(noise * rng.standard_normal(N.size))
    nan = np.full(N.size, np.nan)
    return FitData(N if "N" in form.variables else nan, T if "T" in form.variables else nan, loss)


def expected_sd(name: str, data: FitData, noise: float) -> np.ndarray:
    """Asymptotic standard deviation of the fitted internal θ, computed independently of the fit.

    For δ much smaller than the noise the Huber fit is a least-absolute-deviation fit, whose
    asymptotic covariance for Gaussian log-noise of sd σ is (π/2) σ² (JᵀJ)⁻¹ (Koenker 2005,
    §4.2), with J = ∂ log L/∂θ at the true θ, taken here by central differences of the law.
    """
    params = CASES[name][0]
    form = FORMS[name]
    theta = form.to_internal(params)
    N = np.nan_to_num(data.N, nan=1.0)
    T = np.nan_to_num(data.T, nan=1.0)
    cols = []
    for i in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        cols.append((form.log_predict(up, N, T) - form.log_predict(down, N, T)) / (2 * h))
    J = np.stack(cols, axis=1)
    cov = (np.pi / 2) * noise**2 * np.linalg.inv(J.T @ J)
    return np.sqrt(np.diag(cov))
