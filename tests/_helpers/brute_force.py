"""Independent brute-force references for the exact loss (spec §2–§5), with explicit M x M matrices.

Nothing here calls the package: the spectrum, the teacher prior and the random draws are written
from the model's definition (spec §2–§3.1), so a mistake in :mod:`scalinglab.model` or in the
simulator's draws cannot be repeated by the reference:

* ``λ_J = λ_+ J^{-(1+α)}``, J = 1..M;  ``x ~ N(0, diag λ)``;
* teacher ``w_J ~ N(0, σ_w²/M)``;  features ``φ = U x`` with ``U_iJ ~ N(0, σ_u²/M)``.

:func:`independent_losses` draws its own (U, X) with ``numpy.random.default_rng``: tests compare
its Monte Carlo mean with the package's (a comparison of expectations, never of shared draws).
"""

from __future__ import annotations

import numpy as np


def power_law_spectrum(M: int, alpha: float, lambda_plus: float = 1.0) -> np.ndarray:
    """``λ_J = λ_+ J^{-(1+α)}`` for J = 1..M (spec §2)."""
    J = np.arange(1, M + 1, dtype=np.float64)
    return lambda_plus * J ** (-(1.0 + alpha))


def ridge_operator(F: np.ndarray, ridge: float) -> np.ndarray:
    """H = (FᵀF + γI)⁻¹Fᵀ = Fᵀ(FFᵀ + γI)⁻¹ (the smaller solve); the pseudo-inverse at γ = 0."""
    if ridge == 0.0:
        return np.linalg.pinv(F, rcond=1e-12)
    T, N = F.shape
    if N <= T:
        return np.linalg.solve(F.T @ F + ridge * np.eye(N), F.T)
    return np.linalg.solve(F @ F.T + ridge * np.eye(T), F).T


def brute_force_loss(X, U, lam, omega, noise, ridge):
    """L = ½[Σωλ − 2Σωλ𝒫_JJ + tr(Ω𝒫ᵀΛ𝒫) + σ² tr(HᵀCH)] with 𝒫 = UᵀHX (spec §5)."""
    F = X @ U.T
    H = ridge_operator(F, ridge)
    Pm = U.T @ H @ X  # M x M: β = 𝒫 w + Uᵀ H ε
    C = (U * lam) @ U.T
    value = (
        omega @ lam
        - 2 * np.sum(omega * lam * np.diag(Pm))
        + np.sum(lam[:, None] * Pm**2 * omega[None, :])  # tr(Ω 𝒫ᵀ Λ 𝒫), written elementwise
        + noise**2 * np.trace(H.T @ C @ H)
    )
    return 0.5 * value


def brute_force_train_loss(X, U, omega, noise, ridge):
    """½ (1/T) E‖Fθ − y‖² over w ~ N(0, Ω), ε ~ N(0, σ²): ½ tr(R (XΩXᵀ + σ²I) Rᵀ)/T, R = I − FH."""
    F = X @ U.T
    T = F.shape[0]
    R = np.eye(T) - F @ ridge_operator(F, ridge)
    cov = (X * omega) @ X.T + noise**2 * np.eye(T)
    return 0.5 * np.trace(R @ cov @ R.T) / T


def mean_sem(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error (sample sd / √n) over the first axis."""
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


def independent_losses(
    params: dict, N: int, T: int, ridges, draws: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact test and training losses, each (draws, ridges), on ``draws`` independent (U, X).

    ``params`` holds the model's scalars under the CLI's names (M, alpha, lambda_plus, sigma_w,
    sigma_u, noise; defaults 1 and noise 0); U and X are drawn here from the model's definition.
    """
    M = params["M"]
    sigma_u, sigma_w = params.get("sigma_u", 1.0), params.get("sigma_w", 1.0)
    noise = params.get("noise", 0.0)
    rng = np.random.default_rng(seed)
    lam = power_law_spectrum(M, params.get("alpha", 1.0), params.get("lambda_plus", 1.0))
    omega = np.full(M, sigma_w**2 / M)
    ridges = np.atleast_1d(np.asarray(ridges, dtype=np.float64))
    test = np.empty((draws, ridges.size))
    train = np.empty((draws, ridges.size))
    for d in range(draws):
        U = rng.normal(0.0, sigma_u / np.sqrt(M), size=(N, M))
        X = rng.normal(0.0, 1.0, size=(T, M)) * np.sqrt(lam)
        for k, ridge in enumerate(ridges):
            test[d, k] = brute_force_loss(X, U, lam, omega, noise, float(ridge))
            train[d, k] = brute_force_train_loss(X, U, omega, noise, float(ridge))
    return test, train
