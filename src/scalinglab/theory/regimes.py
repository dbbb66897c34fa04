"""Which asymptotic regime a point (N, T, ridge) of the model is in (docs/theory.md §6, §7, §10).

The labels, in order of precedence:

``interpolation_peak``
    ridge 0 and ``N = T < M``: the expected loss diverges (double descent, docs/theory.md §6).
``ridge_limited``
    ridge > 0 and the effective dimension ``d1 < min(N, T, M)/2``: the ridge, not N or T, sets the
    resolution.
``saturated``
    ``N ≥ M`` and ``T ≥ M``: the latent function is resolved; noise-free the loss is 0 at ridge 0,
    with noise ``σ_ε² M/(2(T−M))`` (docs/theory.md §10).
``plateau_N``
    ``N ≥ M > T``: more features only move the ``1/(1−T/N)`` factor; the loss plateaus in N at the
    kernel value ``(σ_w²/2M) T Δ_T``.
``plateau_T``
    ``T ≥ M > N``: the mirror case, a plateau in T at the approximation error ``(σ_w²/2M) N Δ_N``.
``breakdown``
    ``P = min(N, T) < M`` with ``P ≥ BREAKDOWN_FRACTION·M``: finite-M corrections of order
    ``(P/M)^α`` are large and the loss falls below the ``P^{−α}`` extrapolation (§7, §10).
``power_law``
    ``P < BREAKDOWN_FRACTION·M``: ``L ≈ K P^{−α}/(1 − P/Q)`` (docs/theory.md §7).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BREAKDOWN_FRACTION", "REGIMES", "classify_regime"]

BREAKDOWN_FRACTION = 0.1

REGIMES = {
    "interpolation_peak": "ridge 0 and N = T < M: the loss diverges (double descent)",
    "ridge_limited": "the ridge sets the effective dimension: d1 < min(N, T, M)/2",
    "saturated": "N, T >= M: latent function resolved; only label noise remains (1/T law)",
    "plateau_N": "N >= M > T: plateau in N at the kernel value, power law in T",
    "plateau_T": "T >= M > N: plateau in T at the approximation error, power law in N",
    "breakdown": "P approaching M: finite-M corrections, loss below the P^-alpha law",
    "power_law": "P << M: loss ~ P^-alpha / (1 - P/Q)",
}


def classify_regime(
    N: np.ndarray, T: np.ndarray, ridge: np.ndarray, d1: np.ndarray, M: int
) -> np.ndarray:
    """The regime label of each point (string array of the broadcast shape)."""
    N, T, ridge, d1 = np.broadcast_arrays(N, T, ridge, d1)
    P = np.minimum(N, T)
    out = np.full(N.shape, "power_law", dtype=object)
    out[P >= BREAKDOWN_FRACTION * M] = "breakdown"
    out[(T >= M) & (N < M)] = "plateau_T"
    out[(N >= M) & (T < M)] = "plateau_N"
    out[(N >= M) & (T >= M)] = "saturated"
    out[(ridge > 0) & (d1 < 0.5 * np.minimum(P, M))] = "ridge_limited"
    out[(ridge == 0) & (N == T) & (P < M)] = "interpolation_peak"
    return out
