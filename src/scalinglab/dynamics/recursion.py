"""The closed second-moment recursion of one-pass SGD in an eigenbasis (docs/dynamics.md §2).

Features ``φ ~ N(0, C)`` with ``C = Σ_k c_k q_k q_kᵀ``; labels ``y = φᵀθ* + r`` with the residual
``r`` independent of φ, ``E r² = σ_r²``. One-pass SGD with batch ``b``,
``θ ← θ − (η_t/b) Σ_i φ_i(φ_iᵀθ − y_i)``, gives for the error ``e = θ − θ*`` (Isserlis:
``E[φφᵀAφφᵀ] = 2CAC + tr(CA) C``)::

    E_{t+1} = E − η(CE + EC) + η²(1 + 1/b) CEC + (η²/b)(tr(CE) + σ_r²) C.

The diagonal ``p_k = q_kᵀ E q_k`` closes. In the per-mode loss ``u_k = c_k p_k``::

    u_k ← (1 − 2η c_k + η²(1 + 1/b) c_k²) u_k + (η²/b) n_k c_k² (Σ_j u_j + σ_r²),

and the population loss (noise-free test labels, factor ½) is ``L = ½(Σ_k u_k + L0)`` with the
approximation error ``L0``. ``n_k`` counts the eigenvalues a mode stands for (1 for an exact
spectrum, the bin mass for a deterministic-equivalent spectrum). ``Σ_j u_j`` obeys the discrete
Volterra equation of Paquette et al. (2024): forcing ``Σ_k u_k(0) Π a_k`` plus the kernel
``(η²/b) Σ_k n_k c_k² Π a_k`` convolved with ``Σ u + σ_r²``.
"""

from __future__ import annotations

import numpy as np


def sgd_mode_losses(
    c: np.ndarray,
    counts: np.ndarray,
    u0: np.ndarray,
    floor: float,
    residual_var: float,
    lrs: np.ndarray,
    batch: int,
    steps: np.ndarray,
) -> np.ndarray:
    """Expected population loss of one-pass SGD after each of ``steps`` updates.

    Parameters
    ----------
    c, counts, u0 : arrays (K,)
        Mode eigenvalues ``c_k``, their multiplicities ``n_k`` and initial losses ``u_k(0)``.
        Complex values are allowed: quadrature nodes of a contour integral over the spectrum
        (:mod:`.theory`), in which case the loss is the real part of ``Σ_k u_k``.
    floor : float
        ``L0``, the loss no θ reaches (the approximation error).
    residual_var : float
        ``σ_r² = L0 + σ_ε²``, the variance of the label residual seen by SGD.
    lrs : array
        Learning rate of each update (``len(lrs) ≥ max(steps)``).
    batch : int
        Fresh samples per update.
    steps : array of int
        Update counts at which the loss is reported (any order, repeats allowed).

    Returns
    -------
    array of the losses at ``steps`` (``inf`` once the recursion has diverged).
    """
    c = np.asarray(c)
    weight = np.asarray(counts) * c * c / batch
    quad = (1.0 + 1.0 / batch) * c * c
    u = np.array(u0, dtype=np.result_type(c, weight, np.asarray(u0), np.float64))
    steps = np.asarray(steps, dtype=np.int64)
    order = np.argsort(steps, kind="stable")
    out = np.empty(steps.size)
    pos = 0
    total = float(np.real(u.sum()))
    t = 0
    eta_prev, a = None, None
    push = np.empty_like(u)
    while pos < steps.size:
        target = int(steps[order[pos]])
        while t < target:
            eta = float(lrs[t])
            if eta != eta_prev:  # constant stretches of the schedule reuse the per-mode factor
                a = 1.0 - 2.0 * eta * c + eta * eta * quad
                eta_prev = eta
            u *= a
            np.multiply(weight, eta * eta * (total + residual_var), out=push)
            u += push
            total = u.sum().real
            t += 1
            if not total < 1e300:  # diverged (or NaN)
                total = np.inf
                break
        if not np.isfinite(total):
            out[order[pos:]] = np.inf
            break
        while pos < steps.size and int(steps[order[pos]]) == target:
            out[order[pos]] = 0.5 * (total + floor)
            pos += 1
    return out


def sgd_stable_lr(c: np.ndarray, counts: np.ndarray, batch: int) -> float:
    """The largest constant learning rate for which the recursion stays bounded.

    The map ``u ↦ a∘u + h (1ᵀu)`` (``a_k = 1 − 2ηc_k + η²(1+1/b)c_k²``, ``h = η² n c²/b``) is
    stable iff every ``|a_k| < 1`` and ``Σ_k h_k/(1 − a_k) < 1`` (the fixed point of the scalar
    renewal equation is positive). Solved by bisection in η.
    """
    c = np.asarray(c, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    keep = c > 0
    c, n = c[keep], n[keep]

    def stable(eta: float) -> bool:
        a = 1.0 - 2.0 * eta * c + eta * eta * (1.0 + 1.0 / batch) * c * c
        if np.any(np.abs(a) >= 1.0):
            return False
        return float(np.sum(eta * eta * n * c * c / batch / (1.0 - a))) < 1.0

    hi = 2.0 / ((1.0 + 1.0 / batch) * float(c.max()))
    lo = 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return lo


def sgd_mode_losses_constant(
    c: np.ndarray,
    counts: np.ndarray,
    u0: np.ndarray,
    floor: float,
    residual_var: float,
    lr: float,
    batch: int,
    steps: np.ndarray,
) -> np.ndarray:
    """:func:`sgd_mode_losses` for a constant learning rate at any step count, by doubling.

    The update is the real-affine map ``v ↦ A v + f`` on ``v = (Re u, Im u)``
    (``A = [[diag a_r + η² w_r 1ᵀ, −diag a_i], [diag a_i + η² w_i 1ᵀ, diag a_r]]``,
    ``w = n c²/b``, ``f = η² σ_r² (w_r, w_i)``), so the state after ``t`` updates is reached by
    composing the maps ``T^{2^j}`` of the binary digits of ``t``: O(K³ log t) work instead of
    O(K t). The loss is ``½(1ᵀ Re u + L0)``.
    """
    c = np.asarray(c, dtype=np.complex128)
    w = np.asarray(counts) * c * c / batch
    a = 1.0 - 2.0 * lr * c + lr * lr * (1.0 + 1.0 / batch) * c * c
    K = c.size
    eta2 = lr * lr
    A = np.zeros((2 * K, 2 * K))
    A[:K, :K] = np.diag(a.real) + eta2 * np.outer(w.real, np.ones(K))
    A[:K, K:] = -np.diag(a.imag)
    A[K:, :K] = np.diag(a.imag) + eta2 * np.outer(w.imag, np.ones(K))
    A[K:, K:] = np.diag(a.real)
    f = eta2 * residual_var * np.concatenate([w.real, w.imag])
    u0 = np.asarray(u0, dtype=np.complex128)
    v = np.concatenate([u0.real, u0.imag])
    steps = np.asarray(steps, dtype=np.int64)
    order = np.argsort(steps, kind="stable")
    out = np.empty(steps.size)
    power, offset = A, f  # T^{2^j}: v ↦ power v + offset
    powers = [(power, offset)]
    top = int(steps.max()) if steps.size else 0
    while (1 << len(powers)) <= top:
        power, offset = power @ power, power @ offset + offset
        powers.append((power, offset))
    t = 0
    for idx in order:
        gap = int(steps[idx]) - t
        j = 0
        while gap:
            if gap & 1:
                v = powers[j][0] @ v + powers[j][1]
            gap >>= 1
            j += 1
        t = int(steps[idx])
        total = float(v[:K].sum())
        out[idx] = 0.5 * (total + floor) if np.isfinite(total) and total < 1e300 else np.inf
    return out
