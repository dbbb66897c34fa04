"""The conditional (Rao–Blackwellised) estimator for linear features (docs/estimators.md).

Given U, the training features ``F = X Uᵀ`` have i.i.d. rows ``N(0, C)``, ``C = UΛUᵀ``, and the
loss averaged over the teacher and the noise (docs/theory.md §3) is linear in ``K_ω = XΩXᵀ`` and
``B_ω = UΛΩXᵀ`` once F is fixed. With ``X = ZΛ^{1/2}`` and ``E[z | f] = Vᵀ C⁺ f``
(``V = UΛ^{1/2}``), their conditional expectations are closed-form::

    E[B_ω | F] = D_ω C⁺ Fᵀ,     E[K_ω | F] = F C⁺ D_ω C⁺ Fᵀ + (s_ω − tr C⁺D_ω) I_T,

with ``D_ω = UΛΩΛUᵀ``. So ``E[L | F, U]`` needs only the two N x N sums ``C`` and ``D_ω``
(streamed over the latent index with two symmetric rank-k updates per chunk, N x M draws,
memory independent of M) and a draw of F from ``N(0, C)``: an unbiased estimate of the same
expected loss as the full estimator (:mod:`.accumulate`), with variance no larger.

Nested draw (one draw serves the whole (N, T) grid). ``C ≈ L Lᵀ`` with ``L`` (N x k) the
Cholesky factor of C's leading k x k block, k its numerical rank (≤ min(N, M), the first pivot
below ``k·ε·max C_ii`` ends it), extended by ``L[k:] = C[k:, :k] L_kk⁻ᵀ``; ``F = Z Lᵀ`` with
``Z`` (T x k) standard normal. L is lower-trapezoidal, so the first n columns and t rows of F
are ``Z[:t, :n] L[:n, :n]ᵀ`` (n ≤ k): exactly a draw of the point (n, t).

Whitened coordinates. For a point with factor ``P`` (``F = Z Pᵀ``, ``C = PPᵀ`` on its range)
let ``D̃ = P⁻¹ D_ω P⁻ᵀ``; then ``E[Bᵀ | F] = Z D̃ Pᵀ`` and ``E[K | F] = Z D̃ Zᵀ + (s_ω − tr D̃) I``:
the unexplained power ``s_ω − tr D̃`` acts as extra label noise. The inverse of a lower
triangular matrix is nested, so every n ≤ k uses the leading block of ``L_kk⁻¹ D_kk L_kk⁻ᵀ``.
For n > k (N > M, C singular), ``L[:n, :k] = Qρ`` (thin QR): the ridge solution lies in the
span of Q, the problem is the k-dimensional one with ``P = ρ``, features ``Z ρᵀ``, covariance
``ρρᵀ`` and the same D̃ (range D_ω ⊂ range C).

Losses in the eigenbasis of the smaller Gram matrix (:mod:`.ridge_loss`, σ² → σ² + s_ω − tr D̃):

* primal (r ≤ T): ``FᵀF = V diag(s) Vᵀ``, ``Ṽ = PᵀV``, ``W = P⁻¹V``, ``E = Wᵀ D̃ W``:
  ``a_k = s_k (Wᵀ D̃ Ṽ)_kk``, ``S' = ṼᵀṼ``, ``Q = diag(s) E diag(s)``, ``tr K = Σ s_k E_kk``.
  For n ≤ k D_ω is not whitened: with ``X = C⁻¹V = P⁻ᵀW``, ``E = Xᵀ D_ω X``,
  ``a_k = s_k (Vᵀ D_ω X)_kk`` and, V being a full orthogonal basis, ``tr D̃ = Σ_kl E_kl S'_kl``;
* dual (T < r): ``FFᵀ = Y diag(s) Yᵀ``, ``G = ZᵀY``, ``Ĝ = PᵀP G``:
  ``a_k = (Gᵀ D̃ Ĝ)_kk``, ``P' = ĜᵀĜ``, ``K' = Gᵀ D̃ G``.

The per-instance loss (one fixed teacher) needs X itself and stays on the full estimator.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.linalg
from array_api_compat import array_namespace

from .._rng import DRAW_BLOCK, STREAM_U, STREAM_Z
from ..model import DataModel
from .accumulate import _draw_chunk, default_chunk
from .backend import Backend
from .ridge_loss import (
    RidgeLosses,
    assemble_losses,
    gram_spectrum,
    primal_train,
    symmetric_product,
)
from .triangular import triangular_inverse, triangular_product, triangular_solve


@dataclass
class ConditionalStatistics:
    """One draw of the conditional estimator (``F = Z Lᵀ``, ``C ≈ LLᵀ``), seen at sizes (n, t).

    The arrays are those of the whole draw; :meth:`sub` only changes (n, t), so the whitened
    teacher moment, computed at most once (dual points and n > k need it), is shared.
    """

    L: Any  # (N, k) lower-trapezoidal factor of C
    Linv: Any  # (k, k) inverse of L's leading square block
    Z: Any  # (T, k) standard normals
    D: Any  # (k, k) leading block of D_ω
    signal: float
    n: int
    t: int
    cache: list = field(default_factory=list)  # [L_k⁻¹ D L_k⁻ᵀ] once computed

    def sub(self, N: int, T: int) -> ConditionalStatistics:
        """Statistics of the first N features and first T samples of the same draw."""
        return replace(self, n=N, t=T)

    def whitened(self) -> Any:
        """``D̃ = L_k⁻¹ D_ω L_k⁻ᵀ`` (k x k); its leading blocks serve every n ≤ k."""
        if not self.cache:
            self.cache.append(whiten(self.D, self.Linv))
        return self.cache[0]


def covariances(
    model: DataModel, seq: np.random.SeedSequence, N: int, backend: Backend, chunk: int | None
) -> tuple[Any, Any, float]:
    """``C = UΛUᵀ``, ``D_ω = UΛΩΛUᵀ`` and ``s_ω`` for the first N rows of a seed's U.

    The same U as :func:`.accumulate.accumulate`, streamed over latent chunks: per chunk one
    parallel draw of ``N x chunk`` normals and two symmetric rank-k updates (BLAS syrk).
    """
    M = model.M
    chunk = default_chunk(N, 0) if chunk is None else chunk
    chunk = max(DRAW_BLOCK, (int(chunk) // DRAW_BLOCK) * DRAW_BLOCK)
    scale_u = float(np.sqrt(model.feature_scale))
    C = backend.zeros((N, N))
    D = backend.zeros((N, N))
    signal = 0.0
    buf = backend.empty((N, min(chunk, M)))
    for start in range(0, M, chunk):
        stop = min(M, start + chunk)
        G = buf[:, : stop - start]
        lam = model.eigenvalues(start, stop)
        omega = model.teacher_variances(start, stop)
        signal += float(lam @ omega)
        _draw_chunk(backend, seq, STREAM_U, start, G)
        G *= backend.asarray(scale_u * np.sqrt(lam))  # U Λ^{1/2}
        backend.add_gram(C, G)
        G *= backend.asarray(np.sqrt(lam * omega))  # U Λ Ω^{1/2}
        backend.add_gram(D, G)
    backend.mirror_lower(C)
    backend.mirror_lower(D)
    return C, D, signal


def nested_factor(C: Any, rank_bound: int) -> Any:
    """The nested lower-trapezoidal factor ``L`` (N x k) with ``C ≈ L Lᵀ`` (module docstring).

    ``rank_bound`` is the largest possible rank (M); the Cholesky factorisation of the leading
    block stops at the first pivot that fails or falls below ``k·ε·max C_ii``.
    """
    xp = array_namespace(C)
    N = C.shape[0]
    k0 = min(N, rank_bound)
    tol = k0 * float(xp.finfo(C.dtype).eps) * float(xp.max(xp.linalg.diagonal(C)))
    head = C[:k0, :k0]
    if isinstance(C, np.ndarray):
        # The upper factor of the Fortran view headᵀ = head is Lᵀ: stored in C order it is L.
        U, info = scipy.linalg.lapack.dpotrf(head.T, lower=0, clean=1)
        Lkk = U.T
    else:
        import torch

        Lkk, info = torch.linalg.cholesky_ex(head)
    info = int(info)
    valid = info - 1 if info > 0 else k0
    pivots = xp.linalg.diagonal(Lkk)[:valid]
    small = pivots * pivots <= tol
    k = max(int(xp.argmax(xp.astype(small, xp.int32))) if bool(xp.any(small)) else valid, 1)
    if k == N:
        return Lkk
    L = xp.zeros((N, k), dtype=C.dtype, device=getattr(C, "device", None))
    L[:k] = xp.tril(Lkk[:k, :k])
    L[k:] = triangular_solve(L[:k], C[:k, k:], lower=True).T  # C[k:, :k] L_kk⁻ᵀ
    return L


def whiten(D: Any, Linv: Any) -> Any:
    """``L⁻¹ D L⁻ᵀ`` from the inverse of a square lower-triangular L."""
    half = triangular_product(Linv, D, lower=True)  # L⁻¹ D
    return triangular_product(Linv, half.T, lower=True)  # L⁻¹ D L⁻ᵀ (symmetric up to rounding)


def accumulate_conditional(
    model: DataModel, seq: np.random.SeedSequence, N: int, T: int,
    *, backend: Backend | None = None, chunk: int | None = None,
) -> ConditionalStatistics:  # fmt: skip
    """One draw of the conditional estimator's statistics for a simulation seed at (N, T).

    U comes from stream 1 exactly as in the full estimator (same C for the same seed); Z from
    stream :data:`~scalinglab._rng.STREAM_Z` in blocks of 256 feature columns of T rows, so the
    first n columns and t rows do not depend on the sizes drawn. float64 only: the unexplained
    power ``s_ω − tr C⁺D_ω`` cancels to the rounding of C and D_ω, which float32 sums would
    leave at ~1e-2 of the loss (measured; the full estimator keeps ~1e-6 there).
    """
    backend = backend or Backend()
    C, D, signal = covariances(model, seq, N, backend, chunk)
    return condition_on(C, D, signal, seq, T, model.M, backend)


def condition_on(
    C: Any,
    D: Any,
    signal: float,
    seq: np.random.SeedSequence,
    T: int,
    rank_bound: int,
    backend: Backend,
) -> ConditionalStatistics:
    """Factor C and draw Z (T rows) from ``seq``: the statistics of one draw."""
    L = nested_factor(C, rank_bound)
    k = L.shape[1]
    Linv = triangular_inverse(L[:k], lower=True)
    width = -(-k // DRAW_BLOCK) * DRAW_BLOCK  # whole blocks: the draws do not depend on k
    Z = backend.empty((T, width))
    _draw_chunk(backend, seq, STREAM_Z, 0, Z)
    return ConditionalStatistics(L, Linv, Z[:, :k], D[:k, :k], signal, C.shape[0], T)


def conditional_losses(
    stats: ConditionalStatistics, noise: float, ridges: np.ndarray, path: str | None = None
) -> RidgeLosses:
    """Test and training loss of every ridge for one draw of the conditional estimator.

    ``path`` is ``"primal"``, ``"dual"`` or None (the smaller Gram matrix).
    """
    n, T = stats.n, stats.t
    k = stats.L.shape[1]
    r = min(n, k)
    xp = array_namespace(stats.L)
    Z = stats.Z[:T, :r]
    if n <= k:
        P, Pinv, lower = stats.L[:n, :n], stats.Linv[:n, :n], True
    else:  # C singular: the k-dimensional problem on its range, L[:n] = Qρ
        P, lower = _qr_r(stats.L[:n]), False
        Pinv = triangular_inverse(P, lower=False)
    F = triangular_product(P, Z.T, lower=lower).T  # Z Pᵀ
    primal = (r <= T) if path is None else (path == "primal")
    size = max(n, T)
    var = float(noise) ** 2
    if primal:
        spec = gram_spectrum(F.T @ F, size, ridges, None)
        V, s = spec.V, spec.s
        Vt = triangular_product(P, V, lower=lower, trans=True)  # Ṽ = Pᵀ V
        W = triangular_product(Pinv, V, lower=lower)  # W = P⁻¹ V
        if n <= k:  # D_ω itself: X = C⁻¹V = P⁻ᵀW, Wᵀ D̃ W = Xᵀ D X and Ṽᵀ D̃ W = Vᵀ D X
            X, Dm, B = triangular_product(Pinv, W, lower=lower, trans=True), stats.D[:n, :n], V
        else:
            X, Dm, B = W, stats.whitened(), Vt
        DX = Dm @ X
        a = s * _column_dots(xp, DX, B)
        E = symmetric_product(xp, X, DX)  # Wᵀ D̃ W = Vᵀ C⁻¹ D C⁻¹ V
        Sp = Vt.T @ Vt  # Vᵀ C V
        # V is a full orthogonal basis here: tr D̃ = tr(C⁻¹D) = Σ_kl E_kl S'_kl.
        trace_Dw = float(xp.sum(_column_dots(xp, E, Sp))) if n <= k else _trace(xp, Dm)
        var += max(stats.signal - trace_Dw, 0.0)
        trK = float(xp.sum(s * xp.linalg.diagonal(E)))  # tr(Z D̃ Zᵀ) = Σ s_k E_kk
        E *= s[:, None]  # Q = diag(s) E diag(s)
        E *= s[None, :]
        train2T = primal_train(xp, spec, xp.linalg.diagonal(E), trK, var, T)
        noise_diag = xp.linalg.diagonal(Sp) * spec.s_pos
        E *= Sp
        quad = E
    else:
        Dw = stats.whitened()[:r, :r]
        var += max(stats.signal - _trace(xp, Dw), 0.0)
        spec = gram_spectrum(F @ F.T, size, ridges, None)
        G = Z.T @ spec.V  # Zᵀ Y
        Ghat = triangular_product(P, triangular_product(P, G, lower=lower), lower=lower, trans=True)
        DG = Dw @ G
        a = _column_dots(xp, DG, Ghat)
        Pd = Ghat.T @ Ghat
        Kp = symmetric_product(xp, G, DG)  # Gᵀ D̃ G
        train2T = xp.sum((spec.f * spec.f) * (xp.linalg.diagonal(Kp) + var)[None, :], axis=1)
        noise_diag = xp.linalg.diagonal(Pd)
        Kp *= Pd
        quad = Kp
    # Rounding of C⁻¹-weighted terms grows with cond(PPᵀ) (s_ω − tr D̃ cancels where the loss
    # is 0). The factors 8 (n ≤ k) and 32 (n > k) are calibrated on zero-loss plateaus (N, T ≥ M
    # without noise, alpha 1 and 2), where the measured errors stayed 1.2–5x below the floor.
    error = (8.0 if n <= k else 32.0) * spec.eps * _condition_of_c(xp, P, Pinv)
    return assemble_losses(xp, spec, a, quad, noise_diag, var, stats.signal, train2T, T, error)


def _condition_of_c(xp: Any, P: Any, Pinv: Any, iterations: int = 20) -> float:
    """An upper estimate of cond(C) for ``C = PPᵀ``: ``tr C = ‖P‖_F² ≥ λ_max(C)`` times twice
    the power-iteration estimate of ``λ_max(C⁻¹) = λ_max(P⁻ᵀP⁻¹)`` (O(r²) per iteration)."""
    x = xp.ones((P.shape[0],), dtype=P.dtype, device=getattr(P, "device", None))
    top = 0.0
    for _ in range(iterations):
        y = Pinv.T @ (Pinv @ x)
        top = float(xp.linalg.vector_norm(y))
        x = y / top
    return float(xp.linalg.vector_norm(P)) ** 2 * 2.0 * top


def _trace(xp: Any, A: Any) -> float:
    return float(xp.sum(xp.linalg.diagonal(A)))


def _column_dots(xp: Any, A: Any, B: Any) -> Any:
    """``Σ_i A_ik B_ik`` for every column k (no temporary product on NumPy)."""
    if isinstance(A, np.ndarray):
        return np.einsum("ik,ik->k", A, B)
    return xp.sum(A * B, axis=0)


def _qr_r(A: Any) -> Any:
    """The triangular factor ρ of the thin QR decomposition ``A = Qρ``."""
    if isinstance(A, np.ndarray):
        return scipy.linalg.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]
    import torch

    return torch.linalg.qr(A, mode="r")[1]
