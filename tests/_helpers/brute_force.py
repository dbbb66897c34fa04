"""Independent brute-force evaluation of the exact loss with explicit M x M matrices (spec §5)."""

from __future__ import annotations

import numpy as np


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
    Pm = U.T @ H @ X  # M x M
    Lam, Om = np.diag(lam), np.diag(omega)
    C = U @ Lam @ U.T
    signal = omega @ lam
    value = (
        signal
        - 2 * np.sum(omega * lam * np.diag(Pm))
        + np.trace(Om @ Pm.T @ Lam @ Pm)
        + noise**2 * np.trace(H.T @ C @ H)
    )
    return 0.5 * value


def brute_force_train_loss(X, U, omega, noise, ridge):
    """½ (1/T) E‖Fθ − y‖² over w ~ N(0, Ω), ε ~ N(0, σ²): ½ tr(R (XΩXᵀ + σ²I) Rᵀ)/T, R = I − FH."""
    F = X @ U.T
    T = F.shape[0]
    R = np.eye(T) - F @ ridge_operator(F, ridge)
    cov = X @ np.diag(omega) @ X.T + noise**2 * np.eye(T)
    return 0.5 * np.trace(R @ cov @ R.T) / T
