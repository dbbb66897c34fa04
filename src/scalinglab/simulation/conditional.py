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

Nested draw (one draw serves the whole (N, T) grid): ``F = Z Lᵀ`` with ``Z`` (T x k) standard
normal and ``L`` (N x k) lower-trapezoidal with ``C = LLᵀ``, so the first n columns and t rows
of F are ``Z[:t, :n] L[:n, :n]ᵀ`` (n ≤ k): exactly a draw of the point (n, t). Two routes give L
and the whitened teacher moment ``D̃ = L_k⁻¹ D_ω L_k⁻ᵀ`` (its leading blocks serve every n ≤ k):

* orthogonal (M ≤ 2N, :func:`condition_on_features`): V (N x M, at most 2N² numbers) is held
  whole and factored, ``V = L Q̃`` (QR of Vᵀ, diag(L) ≥ 0, k = min(N, M)); then
  ``D̃ = Q̃ΛΩQ̃ᵀ``. Backward stable for any conditioning of C: nothing is inverted. This matters
  where N > M: C's leading M x M block ``U_MΛU_Mᵀ`` (U_M square Gaussian) is singular to working
  precision for some seeds although C is well conditioned on its range;
* Cholesky (M > 2N, :func:`condition_on`): C and D_ω are streamed over M (memory independent of
  M); L is the Cholesky factor of C (k its numerical rank, the first pivot below ``k·ε·max C_ii``
  ends it, ``L[k:] = C[k:, :k] L_kk⁻ᵀ``) and D̃ needs ``L_k⁻¹``, whose rounding grows with
  cond(C): the reported resolution adds ``8 ε κ`` (``32 ε κ`` for n > k).

Whitened coordinates. For a point with factor ``P`` (``F = Z Pᵀ``, ``C = PPᵀ`` on its range),
``E[Bᵀ | F] = Z D̃ Pᵀ`` and ``E[K | F] = Z D̃ Zᵀ + (s_ω − tr D̃) I``: the unexplained power
``s_ω − tr D̃`` acts as extra label noise (0 where n ≥ M: then Z is a rotation of X's whitened
inputs, ``Z = Z_X Q̃ᵀ``, and the estimator is the full one in rotated coordinates). For n > k
(C singular), ``L[:n, :k] = Qρ`` (thin QR): the ridge solution lies in the span of Q, the
problem is the k-dimensional one with ``P = ρ``, features ``Z ρᵀ``, covariance ``ρρᵀ`` and the
same D̃ (range D_ω ⊂ range C).

Losses in the eigenbasis of the smaller Gram matrix (:mod:`.ridge_loss`, σ² → σ² + s_ω − tr D̃):

* primal (r ≤ T), whitened and free of inverses: ``G = ZᵀZ``, ``FᵀF = P G Pᵀ = V diag(s) Vᵀ``,
  ``Ṽ = PᵀV``, ``Y = G Ṽ`` (= ``P⁻¹V diag(s)``): ``a_k = (Ṽᵀ D̃ Y)_kk``, ``S' = ṼᵀṼ``,
  ``Q = Yᵀ D̃ Y``, ``tr K = tr(G D̃)``. On the Cholesky route for n ≤ k, D_ω is not whitened
  (cheaper, D̃ never formed): with ``W = P⁻¹V`` and ``X = C⁻¹V = P⁻ᵀW``, ``E = Xᵀ D_ω X``,
  ``a_k = s_k (Vᵀ D_ω X)_kk``, ``Q = diag(s) E diag(s)`` and, V being a full orthogonal basis,
  ``tr D̃ = Σ_kl E_kl S'_kl``;
* dual (T < r): ``FFᵀ = Y diag(s) Yᵀ``, ``G = ZᵀY``, ``Ĝ = PᵀP G``:
  ``a_k = (Gᵀ D̃ Ĝ)_kk``, ``P' = ĜᵀĜ``, ``K' = Gᵀ D̃ G``.

The per-instance loss (one fixed teacher) needs X itself and stays on the full estimator.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.linalg
from array_api_compat import array_namespace
from threadpoolctl import threadpool_limits

from .._rng import DRAW_BLOCK, STREAM_U, STREAM_Z
from ..model import DataModel
from .accumulate import default_chunk, draw_chunk, draw_threads
from .backend import Backend
from .ridge_loss import (
    GramSpectrum,
    RidgeLosses,
    SpectralFilter,
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
    teacher moment, computed at most once, and the condition estimates are shared.
    """

    L: Any  # (N, k) lower-trapezoidal factor of C
    Linv: Any  # (k, k) inverse of L's leading square block; None on the orthogonal route
    Z: Any  # (T, k) standard normals
    D: Any  # (k, k) leading block of D_ω; None on the orthogonal route
    signal: float
    n: int
    t: int
    cache: list = field(default_factory=list)  # [D̃ = L_k⁻¹ D L_k⁻ᵀ] once computed
    conditions: dict = field(default_factory=dict)  # m -> cond(C[:m, :m]) estimate, shared

    def sub(self, N: int, T: int) -> ConditionalStatistics:
        """Statistics of the first N features and first T samples of the same draw."""
        return replace(self, n=N, t=T)

    @property
    def F(self) -> Any:
        """The training features of this draw at (n, t): ``F = Z Lᵀ`` (t x n)."""
        return self.Z[: self.t] @ self.L[: self.n].T

    def whitened(self) -> Any:
        """``D̃ = L_k⁻¹ D_ω L_k⁻ᵀ`` (k x k); its leading blocks serve every n ≤ k."""
        if not self.cache:
            self.cache.append(whiten(self.D, self.Linv))
        return self.cache[0]


PARTIAL_SUMS = 2
"""C and D_ω are summed in this many interleaved partial sums (latent chunk c into sum
c mod 2), added at the end: independent threads fill them, and the numbers do not depend on
how many threads there are."""


def covariances(
    model: DataModel, seq: np.random.SeedSequence, N: int, backend: Backend, chunk: int | None,
    advance: Callable[[int], None] | None = None,
) -> tuple[Any, Any, float]:  # fmt: skip
    """``C = UΛUᵀ``, ``D_ω = UΛΩΛUᵀ`` and ``s_ω`` for the first N rows of a seed's U.

    The same U as :func:`.accumulate.accumulate`, streamed over latent chunks: per chunk a draw
    of ``N x chunk`` normals, scaled to ``UΛ^{1/2}`` as each block is copied, and two symmetric
    rank-k updates (BLAS syrk). On NumPy the :data:`PARTIAL_SUMS` partial sums run in their own
    threads, each drawing its chunks and calling a one-thread BLAS: the cores never wait for
    one another between the draws and the products (a multithreaded BLAS between threaded
    draws left them idle or spinning about a third of the time on 2 cores). ``advance(columns)``
    is called (under a lock, from the summing threads) after each chunk.
    """
    M = model.M
    chunk = conditional_chunk(N) if chunk is None else chunk
    chunk = max(DRAW_BLOCK, (int(chunk) // DRAW_BLOCK) * DRAW_BLOCK)
    starts = range(0, M, chunk)
    scale_u = float(np.sqrt(model.feature_scale))
    parts = min(PARTIAL_SUMS, len(starts))
    workers = min(parts, draw_threads()) if backend.name == "numpy" else 1
    sums = [(backend.zeros((N, N)), backend.zeros((N, N))) for _ in range(parts)]
    lock = threading.Lock()  # around ``advance``, called from the summing threads

    def accumulate_part(part: int) -> None:
        C, D = sums[part]
        buf = backend.empty((N, min(chunk, M)))
        for start in starts[part::parts]:
            stop = min(M, start + chunk)
            G = buf[:, : stop - start]
            lam = model.eigenvalues(start, stop)
            omega = model.teacher_variances(start, stop)
            scale = scale_u * np.sqrt(lam)
            draw_chunk(backend, seq, STREAM_U, start, G, scale, 1 if workers > 1 else None)
            backend.add_gram(C, G)  # U Λ Uᵀ
            G *= backend.asarray(np.sqrt(lam * omega))  # U Λ Ω^{1/2}
            backend.add_gram(D, G)
            if advance:
                with lock:
                    advance(stop - start)

    if workers > 1:
        blas_threads = max(1, (os.cpu_count() or 1) // workers)
        with threadpool_limits(blas_threads, user_api="blas"), ThreadPoolExecutor(workers) as pool:
            for done in pool.map(accumulate_part, range(parts)):
                del done
    else:
        for part in range(parts):
            accumulate_part(part)
    C, D = sums[0]
    for C_part, D_part in sums[1:]:
        C += C_part
        D += D_part
    backend.mirror_lower(C)
    backend.mirror_lower(D)
    signal = 0.0
    for start in starts:  # s_ω, summed in the order of the chunks
        stop = min(M, start + chunk)
        lam, omega = model.eigenvalues(start, stop), model.teacher_variances(start, stop)
        signal += float(lam @ omega)
    return C, D, signal


def conditional_chunk(N: int) -> int:
    """Latent columns per chunk of :func:`covariances`: about 32 MB of draws per thread (half
    the full estimator's chunk at T = 0, as two threads hold one each)."""
    return default_chunk(N, N)


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
    advance: Callable[[int], None] | None = None,
) -> ConditionalStatistics:  # fmt: skip
    """One draw of the conditional estimator's statistics for a simulation seed at (N, T).

    U comes from stream 1 exactly as in the full estimator (same C for the same seed); Z from
    stream :data:`~scalinglab._rng.STREAM_Z` in blocks of 256 feature columns of T rows, so the
    first n columns and t rows do not depend on the sizes drawn. float64 only: the unexplained
    power ``s_ω − tr C⁺D_ω`` cancels to the rounding of C and D_ω, which float32 sums would
    leave at ~1e-2 of the loss (measured; the full estimator keeps ~1e-6 there).
    ``advance(columns)`` reports the latent columns summed (progress).
    """
    backend = backend or Backend()
    if orthogonal_route(N, model.M):  # factor V itself, never C
        V, weights, signal = latent_features(model, seq, N, backend)
        if advance:
            advance(model.M)
        return condition_on_features(V, weights, signal, seq, T, backend)
    C, D, signal = covariances(model, seq, N, backend, chunk, advance)
    return condition_on(C, D, signal, seq, T, model.M, backend)


def orthogonal_route(N: int, M: int) -> bool:
    """Whether a draw at N features of M latent directions factors ``V = UΛ^{1/2}`` itself
    (:func:`condition_on_features`, M ≤ 2N: V holds at most 2N² numbers and costs no more than
    C and D_ω) rather than C (:func:`condition_on`, M > 2N: memory independent of M)."""
    return M <= 2 * N


def latent_features(
    model: DataModel, seq: np.random.SeedSequence, N: int, backend: Backend
) -> tuple[Any, np.ndarray, float]:
    """``V = UΛ^{1/2}`` (N x M, the same U as :func:`covariances`), the weights ``λ_J ω_J``
    (``D_ω = V diag(λω) Vᵀ``) and ``s_ω``. V is held whole (N·M numbers)."""
    V = backend.empty((N, model.M))
    draw_chunk(backend, seq, STREAM_U, 0, V)
    lam, omega = model.eigenvalues(), model.teacher_variances()
    V *= backend.asarray(np.sqrt(model.feature_scale * lam))
    return V, lam * omega, float(lam @ omega)


def orthogonal_factor(V: Any, weights: np.ndarray) -> tuple[Any, Any, Any]:
    """``V = L Q̃`` (the QR factorisation of ``Vᵀ``), signs chosen so that ``diag(L) ≥ 0``.

    Returns L (N x k, lower-trapezoidal, k = min(N, M)), the whitened teacher moment
    ``D̃ = Q̃ diag(weights) Q̃ᵀ`` (k x k) and Q̃ (k x M, orthonormal rows). Then ``C = LLᵀ`` and
    ``D_ω = L D̃ Lᵀ`` to rounding for every conditioning of C (Householder QR is backward
    stable): with ``diag(L) > 0``, L's leading square block is the Cholesky factor of C's
    leading block, so this is the nested factor of :func:`nested_factor` computed without
    factoring C or inverting L.
    """
    xp = array_namespace(V)
    if isinstance(V, np.ndarray):  # Vᵀ is a Fortran array: factored in place
        Q, R = scipy.linalg.qr(V.T, mode="economic", overwrite_a=True, check_finite=False)
    else:
        Q, R = xp.linalg.qr(V.mT)
    diag = xp.linalg.diagonal(R)
    signs = xp.where(diag < 0, -xp.ones_like(diag), xp.ones_like(diag))
    L = R.T * signs[None, :]
    Qt = Q.T * signs[:, None]
    Qt_w = Qt * xp.asarray(np.sqrt(weights), dtype=Qt.dtype, device=getattr(Qt, "device", None))
    return L, Qt_w @ Qt_w.T, Qt


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
    Z = _draw_z(seq, T, k, backend)
    return ConditionalStatistics(L, Linv, Z, D[:k, :k], signal, C.shape[0], T)


def condition_on_features(
    V: Any, weights: np.ndarray, signal: float, seq: np.random.SeedSequence, T: int,
    backend: Backend,
) -> ConditionalStatistics:  # fmt: skip
    """The statistics of one draw from ``V = UΛ^{1/2}`` itself (the orthogonal route).

    ``V = L Q̃`` (:func:`orthogonal_factor`) gives L and ``D̃ = Q̃ΛΩQ̃ᵀ`` with no inverse of an
    ill-conditioned block; Z (T rows) is drawn as in :func:`condition_on`. Where M ≤ N, Q̃ is
    square: with ``Z = Z_X Q̃ᵀ`` for the whitened inputs ``Z_X = XΛ^{-1/2}``, ``F = Z Lᵀ``,
    ``K_ω = Z D̃ Zᵀ`` and ``B_ωᵀ = Z D̃ Lᵀ`` exactly, so for n ≥ M this is the full estimator in
    rotated coordinates.
    """
    L, Dw, _ = orthogonal_factor(V, weights)
    Z = _draw_z(seq, T, L.shape[1], backend)
    return ConditionalStatistics(L, None, Z, None, signal, V.shape[0], T, [Dw])


def _draw_z(seq: np.random.SeedSequence, T: int, k: int, backend: Backend) -> Any:
    """Z (T x k) standard normals, drawn in whole blocks so that they do not depend on k."""
    width = -(-k // DRAW_BLOCK) * DRAW_BLOCK
    Z = backend.empty((T, width))
    draw_chunk(backend, seq, STREAM_Z, 0, Z)
    return Z[:, :k]


def conditional_losses(
    stats: ConditionalStatistics,
    noise: float,
    ridges: np.ndarray | None,
    path: str | None = None,
    spectral_filter: SpectralFilter | None = None,
) -> RidgeLosses:
    """Test and training loss of every ridge for one draw of the conditional estimator.

    ``path`` is ``"primal"``, ``"dual"`` or None (the smaller Gram matrix); ``spectral_filter``
    replaces the ridge filter (one loss per filter row, e.g. GD's steps; ``ridges`` unused).
    """
    n, T = stats.n, stats.t
    k = stats.L.shape[1]
    r = min(n, k)
    xp = array_namespace(stats.L)
    Z = stats.Z[:T, :r]
    if n <= k:
        P, lower = stats.L[:n, :n], True
    else:  # C singular: the k-dimensional problem on its range, L[:n] = Qρ
        P, lower = _qr_r(stats.L[:n]), False
    primal = (r <= T) if path is None else (path == "primal")
    size = max(n, T)
    var = float(noise) ** 2
    inverse = primal and n <= k and stats.Linv is not None
    if not inverse:  # the whitened paths: s_ω − tr D̃, the power the features do not explain
        Dw = stats.whitened()[:r, :r]
        var += max(stats.signal - _trace(xp, Dw), 0.0)
    if inverse:
        # D_ω itself (no whitening): X = C⁻¹V = P⁻ᵀW, Wᵀ D̃ W = Xᵀ D X and Ṽᵀ D̃ W = Vᵀ D X
        Pinv = stats.Linv[:n, :n]
        F = triangular_product(P, Z.T, lower=True).T  # Z Pᵀ
        spec = gram_spectrum(F.T @ F, size, ridges, None, spectral_filter)
        V, s = spec.V, spec.s
        Vt = triangular_product(P, V, lower=True, trans=True)  # Ṽ = Pᵀ V
        W = triangular_product(Pinv, V, lower=True)  # W = P⁻¹ V
        X = triangular_product(Pinv, W, lower=True, trans=True)
        DX = stats.D[:n, :n] @ X
        a = s * _column_dots(xp, DX, V)
        E = symmetric_product(xp, X, DX)  # Wᵀ D̃ W = Vᵀ C⁻¹ D C⁻¹ V
        Sp = Vt.T @ Vt  # Vᵀ C V
        # V is a full orthogonal basis here: tr D̃ = tr(C⁻¹D) = Σ_kl E_kl S'_kl.
        var += max(stats.signal - float(xp.sum(_column_dots(xp, E, Sp))), 0.0)
        trK = float(xp.sum(s * xp.linalg.diagonal(E)))  # tr(Z D̃ Zᵀ) = Σ s_k E_kk
        E *= s[:, None]  # Q = diag(s) E diag(s)
        E *= s[None, :]
        Q = E
    elif primal:  # whitened, with no inverse of P: P⁻¹V diag(s) = G Ṽ with G = ZᵀZ
        G = Z.T @ Z
        gram = triangular_product(P, triangular_product(P, G, lower=lower).T, lower=lower)
        spec = gram_spectrum(gram, size, ridges, None, spectral_filter)  # FᵀF = P G Pᵀ
        Vt = triangular_product(P, spec.V, lower=lower, trans=True)  # Ṽ = Pᵀ V
        Y = G @ Vt
        DY = Dw @ Y
        a = _column_dots(xp, DY, Vt)  # (Ṽᵀ D̃ G Ṽ)_kk
        Q = symmetric_product(xp, Y, DY)  # Ṽᵀ G D̃ G Ṽ
        Sp = Vt.T @ Vt  # Vᵀ C V
        trK = float(xp.sum(G * Dw))  # tr(Z D̃ Zᵀ)
    else:
        F = triangular_product(P, Z.T, lower=lower).T  # Z Pᵀ
        spec = gram_spectrum(F @ F.T, size, ridges, None, spectral_filter)
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
    if primal:
        train2T = primal_train(xp, spec, xp.linalg.diagonal(Q), trK, var, T)
        noise_diag = xp.linalg.diagonal(Sp) * spec.s_pos
        Q *= Sp
        quad = Q
    return assemble_losses(
        xp, spec, a, quad, noise_diag, var, stats.signal, train2T, T, _input_error(stats, n, spec)
    )


def _input_error(stats: ConditionalStatistics, n: int, spec: GramSpectrum) -> float:
    """Relative rounding error of the terms from the factorisation of C (the Cholesky route).

    The Cholesky route inverts L's leading block (size min(n, k)): its errors grow with
    cond(C) there (``s_ω − tr D̃`` cancels where the loss is 0). The factors 8 (n ≤ k) and 32
    (n > k) are calibrated on zero-loss plateaus (N, T ≥ M without noise, alpha 1 and 2), where
    the measured errors stayed 1.2–5x below the floor. The orthogonal route (M ≤ 2N) inverts
    nothing: its inputs are backward stable, like the full estimator's (no added error).
    """
    if stats.Linv is None:
        return 0.0
    xp = array_namespace(stats.L)
    m = min(n, stats.L.shape[1])
    if m not in stats.conditions:  # one estimate per feature count of the grid
        stats.conditions[m] = _condition_of_c(xp, stats.L[:m, :m], stats.Linv[:m, :m])
    kappa = stats.conditions[m]
    return (8.0 if n <= stats.L.shape[1] else 32.0) * spec.eps * kappa


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
