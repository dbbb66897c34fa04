"""Exact test and training loss of ridge regression for many ridges from one eigendecomposition.

Implements docs/theory.md §4. With ``H = (FᵀF + γI)⁻¹Fᵀ`` the population test loss, averaged
analytically over the teacher ``w ~ N(0, Ω)`` and the label noise ``ε ~ N(0, σ_ε²)``, is::

    L = ½ [ s_ω − 2 tr(H Bᵀ) + tr(S H K_ω Hᵀ) + σ_ε² tr(S H Hᵀ) ]

where ``S`` is the feature second moment (``C = UΛUᵀ`` for linear features) and ``B`` the
feature-teacher cross moment (``B_ω`` for linear features). One symmetric eigendecomposition of
the smaller Gram matrix serves every ridge:

* primal (N ≤ T): ``FᵀF = V diag(s) Vᵀ``; with ``a = diag(Vᵀ Fᵀ Bᵀ V)``, ``S' = VᵀSV``,
  ``Q = Vᵀ Fᵀ K_ω F V`` and ``d_k = 1/(s_k + γ)``:
  ``L = ½[s_ω − 2 Σ d_k a_k + Σ_kl S'_kl d_l Q_lk d_k + σ_ε² Σ_k S'_kk s_k d_k²]``;
* dual (T < N): ``FFᵀ = Y diag(s) Yᵀ``, ``H = FᵀY D Yᵀ``; with ``a = diag(Yᵀ Bᵀ Fᵀ Y)``,
  ``P = Yᵀ F S Fᵀ Y`` and ``K' = Yᵀ K_ω Y``:
  ``L = ½[s_ω − 2 Σ d_k a_k + Σ_kl P_kl d_l K'_lk d_k + σ_ε² Σ_k P_kk d_k²]``.

Directions with ``s_k`` at or below the rank cut-off ``max(N, T)·ε_mach·max(s)`` are null
directions of F: H has no component there for *any* γ ≥ 0, so ``d_k = 0`` exactly. This makes
γ = 0 the exact minimum-norm / least-squares limit (pseudo-inverse), continuous in γ → 0⁺.

The training loss ``½ (1/T) E‖F θ − y‖²`` with ``E[y yᵀ] = K_ω + σ_ε² I`` uses the same
eigenbasis: the residual operator ``I − F H`` has eigenvalue ``f_k = γ/(s_k + γ)`` on the k-th
direction of F's column space (1 on null directions and on the orthogonal complement).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from array_api_compat import array_namespace

from .._arrays import as_numpy
from .accumulate import InstanceSums


@dataclass
class RidgeLosses:
    """Losses for every ridge of one (N, T) point and one draw (NumPy float64 arrays)."""

    loss: np.ndarray
    train_loss: np.ndarray
    resolution: np.ndarray  # rounding floor of each loss
    condition: np.ndarray  # (max(s) + γ)/(min kept s + γ): the ill-conditioning of each solve
    instance_loss: np.ndarray | None
    rank: int
    top_eigenvalue: float = 0.0  # largest eigenvalue of the Gram matrix (GD's stability limit)


def gram_eigh(xp: Any, gram: Any) -> tuple[Any, Any]:
    """Eigendecomposition of a fresh symmetric Gram matrix (LAPACK syevd; NumPy arrays are
    decomposed in place, without the copy and finiteness pass of ``numpy.linalg.eigh``)."""
    if isinstance(gram, np.ndarray):  # gramᵀ = gram is Fortran-ordered: decomposed in place
        return scipy.linalg.eigh(gram.T, overwrite_a=True, check_finite=False, driver="evd")
    return xp.linalg.eigh(gram)


def product_into(a: Any, b: Any, out: Any) -> Any:
    """``a @ b``, written into the dead buffer ``out`` on NumPy when the shapes fit (fewer fresh
    allocations, whose first-touch page faults cost as much as a product on small machines)."""
    if isinstance(out, np.ndarray) and out.shape == (a.shape[0], b.shape[1]):
        return np.matmul(a, b, out=out)
    return a @ b


def symmetric_product(xp: Any, A: Any, W: Any, blocks: int = 4) -> Any:
    """``AᵀW`` for a product known to be symmetric (``VᵀSV`` with S symmetric): only the
    blocks on and above the diagonal are multiplied (10 of 16), then mirrored."""
    n = A.shape[1]
    if n < 128 * blocks:
        return A.T @ W
    edges = [n * i // blocks for i in range(blocks + 1)]
    out = xp.empty((n, n), dtype=A.dtype, device=getattr(A, "device", None))
    for i in range(blocks):
        rows = slice(edges[i], edges[i + 1])
        out[rows, edges[i] :] = A[:, rows].T @ W[:, edges[i] :]
        out[edges[i + 1] :, rows] = out[rows, edges[i + 1] :].T
    return out


def _inverse_factors(xp: Any, s: Any, ridges: np.ndarray, cutoff: float) -> tuple[Any, Any]:
    """``d[r, k] = 1/(s_k + γ_r)`` on kept directions (0 on null ones); ``f = γ d`` (1 on null)."""
    keep = s > cutoff
    s_kept = xp.where(keep, s, xp.ones_like(s))
    gam = xp.asarray(ridges, dtype=s.dtype, device=getattr(s, "device", None))[:, None]
    d = xp.where(keep[None, :], 1.0 / (s_kept[None, :] + gam), xp.zeros_like(s)[None, :])
    f = xp.where(keep[None, :], gam * d, xp.ones_like(d))
    return d, f


SpectralFilter = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Maps the Gram eigenvalues ``s`` and the mask of kept directions to the rows ``(d, f)`` of
another spectral filter than the ridge's (e.g. GD after t steps, :mod:`scalinglab.dynamics`):
``θ = V diag(d_r) Vᵀ Fᵀ y`` and the training residual's eigenvalues ``f_r``."""


@dataclass
class GramSpectrum:
    """The eigenbasis of a Gram matrix (``FᵀF`` or ``FFᵀ``) and the ridge factors on it."""

    s: Any  # eigenvalues, ascending
    V: Any  # eigenvectors (columns)
    cutoff: float  # rank cut-off: directions with s_k <= cutoff are null directions of F
    s_pos: Any  # s with null directions set to 0
    d: Any  # (R, n): 1/(s_k + γ_r) on kept directions, 0 on null ones
    f: Any  # (R, n): γ_r d (1 on null directions), the residual operator's eigenvalues
    condition: np.ndarray  # (R,): (max s + γ)/(min kept s + γ)
    rank: int
    eps: float  # machine epsilon of the solve
    eps_in: float  # machine epsilon of the accumulated inputs


def gram_spectrum(
    gram: Any,
    size: int,
    ridges: np.ndarray | None,
    input_eps: float | None,
    spectral_filter: SpectralFilter | None = None,
) -> GramSpectrum:
    """Decompose a fresh Gram matrix (overwritten) and set the rank cut-off (module docstring).

    ``size`` is ``max(N, T)``; ``input_eps`` the machine epsilon of inputs accumulated in a
    lower precision than the solve (None: the solve's own). ``spectral_filter`` replaces the
    ridge filter (``ridges`` is then ignored; the condition reported is the ridge-0 one, an
    upper bound for any filter that shrinks like a positive ridge).
    """
    xp = array_namespace(gram)
    s, V = gram_eigh(xp, gram)
    eps = float(xp.finfo(s.dtype).eps)
    # Null directions of F show up as eigenvalues of order ε·max(s) from the Gram product
    # (ε_in²·max(s) when F itself carries relative errors ε_in from a float32 accumulation).
    noise_floor = eps if input_eps is None else max(eps, input_eps**2)
    s_max = max(float(s[-1]), 0.0)
    cutoff = size * noise_floor * s_max
    kept = s[s > cutoff]
    s_min = float(kept[0]) if kept.shape[0] else 0.0
    if spectral_filter is None:
        ridges = np.asarray(ridges, dtype=np.float64)
        d, f = _inverse_factors(xp, s, ridges, cutoff)
    else:
        s_np = as_numpy(s)
        d, f = (xp.asarray(a, dtype=s.dtype, device=getattr(s, "device", None))
                for a in spectral_filter(s_np, s_np > cutoff))  # fmt: skip
        ridges = np.zeros(d.shape[0])
    condition = (s_max + ridges) / np.maximum(s_min + ridges, np.finfo(np.float64).tiny)
    s_pos = xp.where(s > cutoff, s, xp.zeros_like(s))
    eps_in = eps if input_eps is None else input_eps
    return GramSpectrum(s, V, cutoff, s_pos, d, f, condition, int(kept.shape[0]), eps, eps_in)


def primal_train(xp: Any, spec: GramSpectrum, q_diag: Any, trK: float, var: float, T: int) -> Any:
    """``2T·train = tr(K) + σ²T − Σ_k (1 − f_k²) Q'_kk / s_k`` with ``Q' = Q + σ² diag(s)``
    (primal path; ``q_diag`` is the diagonal of ``Q = Vᵀ Fᵀ K F V``)."""
    s, keep = spec.s, spec.s > spec.cutoff
    q_over_s = (q_diag + var * spec.s_pos) / xp.where(keep, s, xp.ones_like(s))
    q_over_s = xp.where(keep, q_over_s, xp.zeros_like(s))
    return trK + var * T - xp.sum((1.0 - spec.f * spec.f) * q_over_s[None, :], axis=1)


def assemble_losses(
    xp: Any,
    spec: GramSpectrum,
    a: Any,
    quad_matrix: Any,
    noise_diag: Any,
    var: float,
    signal: float,
    train2T: Any,
    T: int,
    input_error: float = 0.0,
) -> RidgeLosses:
    """``L = ½[s_ω − 2 Σ d_k a_k + Σ_kl d_k M_kl d_l + σ² Σ_k n_k d_k²]`` for every ridge, its
    rounding floor, and the training loss ``train2T/(2T)`` (both paths, both estimators).

    ``input_error`` is a further relative error of the terms from how the inputs were formed
    (the conditional estimator's factorisation of C). It also bounds the relative error of the
    unexplained teacher power ``s_ω − tr D̃`` that the conditional estimator adds to σ² (an
    absolute error up to ``input_error·s_ω`` of the variance), which the noise term amplifies
    near interpolation by ``Σ_k n_k d_k²``.
    """
    d = spec.d
    linear = d @ a
    quadratic = xp.sum((d @ quad_matrix) * d, axis=1)
    noise_gain = (d * d) @ noise_diag
    noise_term = var * noise_gain
    raw = signal - 2.0 * linear + quadratic + noise_term
    # Precision floor of the cancelling sum s_ω − 2 tr(H Bᵀ) + tr(S H K Hᵀ)
    # (docs/theory.md §4, §12):
    # rounding of the sum itself (64 ε), plus input errors ε_in in F amplified by √cond
    # (relative to F's smallest kept singular value). Calibrated against float64 on the same
    # draws (float32 accumulation, benchmarks/bench_float32_accuracy.py): an upper bound.
    terms = abs(signal) + 2.0 * xp.abs(linear) + xp.abs(quadratic) + noise_term
    cond = xp.asarray(spec.condition, dtype=terms.dtype, device=getattr(terms, "device", None))
    resolution = terms * (64.0 * spec.eps + 24.0 * spec.eps_in * xp.sqrt(cond) + input_error)
    # The unexplained power's error times the noise gain (8x: on the conditional estimator's
    # Cholesky route at alpha 2-3 near interpolation, T ≈ N, the largest measured gap to the
    # orthogonal route's loss on the same draw was 0.8 of this floor, 1200 draws).
    resolution = resolution + 8.0 * input_error * abs(signal) * noise_gain
    loss = 0.5 * xp.clip(raw, min=0.0)
    train = 0.5 * xp.clip(train2T, min=0.0) / T
    return RidgeLosses(
        loss=as_numpy(loss),
        train_loss=as_numpy(train),
        resolution=0.5 * as_numpy(resolution),
        instance_loss=None,
        rank=spec.rank,
        condition=spec.condition,
        top_eigenvalue=max(float(spec.s[-1]), 0.0),
    )


def ridge_losses(
    F: Any,
    S: Any,
    B: Any,
    K: Any,
    signal: float,
    noise: float,
    ridges: np.ndarray,
    instance: InstanceSums | None = None,
    path: str | None = None,
    input_eps: float | None = None,
    spectral_filter: SpectralFilter | None = None,
) -> RidgeLosses:
    """Test loss, training loss (and the per-instance loss) for each ridge (docs/theory.md §4).

    Parameters
    ----------
    F : (T, N) training features.
    S : (N, N) feature second moment (``C = UΛUᵀ`` for linear features).
    B : (N, T) cross moment with the teacher (``B_ω = UΛΩXᵀ`` for linear features).
    K : (T, T) ``X Ω Xᵀ``.
    signal : ``s_ω = Σ ω_J λ_J``.
    noise : label-noise standard deviation σ_ε.
    ridges : (R,) ridges γ ≥ 0.
    instance : sums for one fixed teacher/noise draw, for the per-instance loss.
    path : ``"primal"``, ``"dual"`` or None (the cheaper one: primal when N ≤ T).
    input_eps : machine epsilon of the accumulated inputs when they were summed in a lower
        precision than the arrays given here (float32 accumulation, float64 solve); sets
        the rank cut-off and the reported resolution.
    spectral_filter : replaces the ridge filter (one loss per filter row, ``ridges`` unused):
        e.g. GD after each of several steps (:mod:`scalinglab.dynamics.gd_exact`).
    """
    xp = array_namespace(F)
    T, N = F.shape
    if F.dtype == xp.float32:  # float32 accumulation: solve in float64, track the input error
        input_eps = float(xp.finfo(xp.float32).eps)
        F, S, B, K = (xp.astype(a, xp.float64) for a in (F, S, B, K))
        if instance is not None:
            instance = InstanceSums(
                y=xp.astype(instance.y, xp.float64),
                ULw=xp.astype(instance.ULw, xp.float64),
                wLw=instance.wLw,
            )
    var = float(noise) ** 2
    primal = (N <= T) if path is None else (path == "primal")
    spec = gram_spectrum(
        F.T @ F if primal else F @ F.T, max(N, T), ridges, input_eps, spectral_filter
    )
    V, f = spec.V, spec.f
    trK = float(xp.sum(xp.linalg.diagonal(K)))

    if primal:
        FV = F @ V  # (T, N): F v_k = sqrt(s_k) y_k
        work = B.T @ V  # (T, N), reused below
        work *= FV
        a = xp.sum(work, axis=0)  # a_k = v_kᵀ Fᵀ Bᵀ v_k
        Sp = symmetric_product(xp, V, product_into(S, V, work[:N]))
        Q = symmetric_product(xp, FV, product_into(K, FV, work))
        noise_diag = xp.linalg.diagonal(Sp) * spec.s_pos
        # training: 2T·train = tr(K) + σ²T − Σ_k (1 − f_k²) Q'_kk / s_k, Q' = Q + σ² diag(s)
        train2T = primal_train(xp, spec, xp.linalg.diagonal(Q), trK, var, T)
        Q *= Sp  # the quadratic term's matrix Sp ∘ Qᵀ (Q is symmetric)
        quad_matrix = Q
    else:
        FtY = F.T @ V  # (N, T)
        work = B @ V  # (N, T), reused below
        work *= FtY
        a = xp.sum(work, axis=0)  # a_k = (B y_k)·(Fᵀ y_k)
        P = symmetric_product(xp, FtY, product_into(S, FtY, work))
        Kp = symmetric_product(xp, V, product_into(K, V, work[:T]))
        noise_diag = xp.linalg.diagonal(P)
        # training: 2T·train = Σ_k f_k² (K'_kk + σ²)
        train2T = xp.sum((f * f) * (xp.linalg.diagonal(Kp) + var)[None, :], axis=1)
        Kp *= P  # the quadratic term's matrix P ∘ K'ᵀ (K' is symmetric)
        quad_matrix = Kp

    out = assemble_losses(xp, spec, a, quad_matrix, noise_diag, var, signal, train2T, T)
    d = spec.d
    if instance is not None:
        if primal:
            g = FV.T @ instance.y  # Vᵀ Fᵀ y
            c = V.T @ instance.ULw  # Vᵀ U Λ w
            Cq = Sp
        else:
            g = V.T @ instance.y  # Yᵀ y
            c = FtY.T @ instance.ULw  # Yᵀ F U Λ w
            Cq = P
        coef = d * g[None, :]  # θ in the eigenbasis, one row per ridge
        inst = instance.wLw - 2.0 * (coef @ c) + xp.sum((coef @ Cq) * coef, axis=1)
        out.instance_loss = 0.5 * np.clip(as_numpy(inst), 0.0, None)

    return out
