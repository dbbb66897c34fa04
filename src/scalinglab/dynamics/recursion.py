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

from .schedules import constant_stretches

BLOCK = 256
"""Updates per block of the blocked recursion (:func:`_blocked`)."""
MIN_RUN = 32
"""Stretches of constant learning rate at least this long are advanced in blocks."""


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

    Stretches of constant learning rate (a constant schedule, the stable phase of ``wsd``) are
    advanced :data:`BLOCK` updates at a time by :func:`_blocked`; the rest update by update.
    Runs with one BLAS thread: its products are matrix-vector sized, and idle BLAS threads
    spinning on a loaded machine cost several times the work itself.

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
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _mode_losses(c, counts, u0, floor, residual_var, lrs, batch, steps)


def _mode_losses(c, counts, u0, floor, residual_var, lrs, batch, steps) -> np.ndarray:
    c = np.asarray(c)
    weight = np.asarray(counts) * c * c / batch
    quad = (1.0 + 1.0 / batch) * c * c
    u = np.array(u0, dtype=np.result_type(c, weight, np.asarray(u0), np.float64))
    steps = np.asarray(steps, dtype=np.int64)
    want = np.unique(steps)
    top = int(want[-1]) if want.size else 0
    totals = np.full(want.size, np.inf)  # Σ_k u_k after each wanted step count
    t = 0
    for begin, end, blocked in constant_stretches(np.asarray(lrs[:top]), MIN_RUN):
        if blocked:
            u, run = _blocked(u, c, weight, quad, float(lrs[begin]), end - begin, residual_var)
        else:
            u, run = _stepped(u, c, weight, quad, lrs[begin:end], residual_var)
        pick = (want >= t) & (want < t + run.size)
        totals[pick] = run[want[pick] - t]
        t += end - begin
        if not np.all(np.isfinite(run)):
            break
    else:
        total = float(u.sum().real)
        totals[want == top] = total if total < 1e300 else np.inf
    out = np.where(np.isfinite(totals), 0.5 * (totals + floor), np.inf)
    return out[np.searchsorted(want, steps)]


def _stepped(u, c, weight, quad, lrs, residual_var):
    """Update by update: ``u ← a∘u + η² w (Σu + σ_r²)``; the totals before each update."""
    run = np.full(len(lrs), np.inf)
    push = np.empty_like(u)
    total = float(u.sum().real)
    eta_prev, a = None, None
    for i, eta in enumerate(lrs):
        if not total < 1e300:  # diverged (or NaN)
            return u, run
        run[i] = total
        eta = float(eta)
        if eta != eta_prev:  # equal neighbouring rates reuse the per-mode factor
            a = 1.0 - 2.0 * eta * c + eta * eta * quad
            eta_prev = eta
        u *= a
        np.multiply(weight, eta * eta * (total + residual_var), out=push)
        u += push
        total = float(u.sum().real)
    return u, run


def _blocked(u, c, weight, quad, eta, length, residual_var):
    """``length`` updates at a constant ``η``, :data:`BLOCK` at a time; the totals before each.

    Within a block the totals ``S_j`` (j updates after its start) obey the scalar Volterra
    equation ``S_j = Re Σ_k a_k^j u_k + Σ_{i<j} κ_{j−1−i}(S_i + σ_r²)``, ``κ_m = Re Σ_k a_k^m h_k``,
    ``h = η² w``: a unit lower-triangular Toeplitz system, inverted once per η. The modes then
    jump to the block's end, ``u ← a^B∘u + h∘Σ_i a^{B−1−i}(S_i + σ_r²)``. Work O(K·B + B²) per
    block instead of B passes over the K modes.
    """
    from scipy.linalg import solve_triangular

    a = 1.0 - 2.0 * eta * c + eta * eta * quad
    h = eta * eta * weight
    size = min(BLOCK, length)
    with np.errstate(over="ignore", invalid="ignore"):
        P = a[:, None] ** np.arange(size)  # P[k, j] = a_k^j
        kappa = (h @ P).real
        L = np.eye(size)
        for j in range(1, size):
            L[j, :j] = -kappa[j - 1 :: -1]
        inverse = solve_triangular(L, np.eye(size), lower=True, unit_diagonal=True,
                                   check_finite=False)  # fmt: skip
        drive = inverse @ (residual_var * np.concatenate([[0.0], np.cumsum(kappa[:-1])]))
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(drive))):  # far past stability
        return _stepped(u, c, weight, quad, np.full(length, eta), residual_var)
    run = np.full(length, np.inf)
    done = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while done < length:
            n = min(size, length - done)
            S = inverse[:n, :n] @ (u @ P[:, :n]).real + drive[:n]
            if not np.all(S < 1e300):  # diverged (or NaN)
                good = np.cumprod(S < 1e300).astype(bool)
                run[done : done + n][good] = S[good]
                return u, run
            run[done : done + n] = S
            u = P[:, n - 1] * a * u + h * (P[:, n - 1 :: -1] @ (S + residual_var))
            done += n
    return u, run


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
