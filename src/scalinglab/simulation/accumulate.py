"""Streaming accumulation of the latent sums the exact loss needs (spec §5.1).

For training inputs ``X`` (T x M, rows ``x ~ N(0, Λ)``), feature weights ``U`` (N x M,
entries ``N(0, σ_u²/M)``) and teacher variances ``Ω = diag ω``::

    F   = X Uᵀ          (T x N)   training features (pre-activations for nonlinear maps)
    K_ω = X Ω Xᵀ        (T x T)
    C   = U Λ Uᵀ        (N x N)   feature (pre-activation) covariance
    B_ω = U Λ Ω Xᵀ      (N x T)
    s_ω = Σ_J ω_J λ_J

are sums over the latent index J, so they are accumulated over chunks of J drawn block by block
from the seed: memory is O((N + T)² + (N + T)·chunk), independent of M. Optionally the sums for
one fixed teacher draw ``w`` and noise ``ε`` are accumulated too (``X w``, ``U Λ w``, ``wᵀΛw``),
for the per-instance loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._rng import DRAW_BLOCK, STREAM_U, STREAM_X, child
from ..model import DataModel
from .backend import Backend

STREAM_W = 3  # teacher weights of the per-instance loss
STREAM_EPS = 4  # label noise of the per-instance loss

DEFAULT_CHUNK_ELEMENTS = 1 << 23  # about 64 MB of float64 per drawn chunk


@dataclass
class LatentStatistics:
    """The accumulated sums of spec §5.1 for one draw of (U, X) at sizes (N, T)."""

    F: Any
    K: Any
    C: Any
    B: Any
    signal: float
    instance: InstanceSums | None = None

    @property
    def N(self) -> int:
        return int(self.F.shape[1])

    @property
    def T(self) -> int:
        return int(self.F.shape[0])

    def sub(self, N: int, T: int) -> LatentStatistics:
        """Statistics of the first N features and first T samples (leading sub-blocks)."""
        inst = None if self.instance is None else self.instance.sub(N, T)
        return LatentStatistics(
            F=self.F[:T, :N],
            K=self.K[:T, :T],
            C=self.C[:N, :N],
            B=self.B[:N, :T],
            signal=self.signal,
            instance=inst,
        )


@dataclass
class InstanceSums:
    """Sums for one fixed teacher ``w`` and noise ``ε``: ``y = X w + ε``, ``U Λ w``, ``wᵀΛw``."""

    y: Any
    ULw: Any
    wLw: float

    def sub(self, N: int, T: int) -> InstanceSums:
        return InstanceSums(y=self.y[:T], ULw=self.ULw[:N], wLw=self.wLw)


def default_chunk(N: int, T: int) -> int:
    """Latent columns per chunk: about 64 MB of drawn numbers, a multiple of the draw block."""
    columns = DEFAULT_CHUNK_ELEMENTS // max(N + T, 1)
    return int(max(1, min(64, columns // DRAW_BLOCK)) * DRAW_BLOCK)


def _draw_chunk(
    backend: Backend, seq: np.random.SeedSequence, stream: int, rows: int, start: int, stop: int
) -> Any:
    """Standard normals for latent columns [start, stop) of one stream, block by block."""
    xp = backend.xp
    parts = []
    for block in range(start // DRAW_BLOCK, (stop + DRAW_BLOCK - 1) // DRAW_BLOCK):
        lo = block * DRAW_BLOCK
        width = min(DRAW_BLOCK, stop - lo)
        parts.append(backend.standard_normal(child(seq, stream, block), (rows, width)))
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=1)


def accumulate(
    model: DataModel,
    seq: np.random.SeedSequence,
    N: int,
    T: int,
    *,
    backend: Backend | None = None,
    chunk: int | None = None,
    instance: bool = False,
) -> LatentStatistics:
    """Accumulate F, K_ω, C, B_ω and s_ω (spec §5.1) for one simulation seed.

    Parameters
    ----------
    model : DataModel
        Latent spectrum, teacher prior and feature scale.
    seq : SeedSequence
        The simulation seed's sequence; X uses stream 0 and U stream 1, block by block.
    N, T : int
        Number of features and of training samples (the largest of a grid).
    chunk : int, optional
        Latent columns per step, a multiple of the draw block (does not change the draws).
    instance : bool
        Also accumulate the sums for one fixed teacher and noise draw (per-instance loss).
    """
    backend = backend or Backend()
    xp = backend.xp
    M = model.M
    if chunk is None:
        chunk = default_chunk(N, T)
    chunk = max(DRAW_BLOCK, (int(chunk) // DRAW_BLOCK) * DRAW_BLOCK)
    scale_u = float(np.sqrt(model.feature_scale))

    F = backend.zeros((T, N))
    K = backend.zeros((T, T))
    C = backend.zeros((N, N))
    B = backend.zeros((N, T))
    signal = 0.0
    if instance:
        y = backend.zeros((T,))
        ULw = backend.zeros((N,))
        wLw = 0.0

    for start in range(0, M, chunk):
        stop = min(M, start + chunk)
        lam = model.eigenvalues(start, stop)
        omega = model.teacher_variances(start, stop)
        signal += float(lam @ omega)
        sqrt_lam = backend.asarray(np.sqrt(lam))
        X = _draw_chunk(backend, seq, STREAM_X, T, start, stop) * sqrt_lam
        U = _draw_chunk(backend, seq, STREAM_U, N, start, stop) * scale_u
        F += X @ U.T
        UL = U * sqrt_lam  # U Λ^{1/2}
        C += UL @ UL.T  # a transposed pair: BLAS syrk
        if model.isotropic:
            K += float(omega[0]) * (X @ X.T)
            B += float(omega[0]) * ((UL * sqrt_lam) @ X.T)
        else:
            sqrt_om = backend.asarray(np.sqrt(omega))
            Xo = X * sqrt_om
            K += Xo @ Xo.T
            B += (UL * (sqrt_lam * backend.asarray(omega))) @ X.T
        if instance:
            w = _draw_chunk(backend, seq, STREAM_W, 1, start, stop)[0] * backend.asarray(
                np.sqrt(omega)
            )
            y += X @ w
            Lw = backend.asarray(lam) * w
            ULw += U @ Lw
            wLw += float(xp.sum(w * Lw))
    inst = None
    if instance:
        eps = backend.standard_normal(child(seq, STREAM_EPS, 0), (T, 1))[:, 0] * model.noise
        inst = InstanceSums(y=y + eps, ULw=ULw, wLw=wLw)
    return LatentStatistics(F=F, K=K, C=C, B=B, signal=signal, instance=inst)


def draw_latent(model: DataModel, seq: np.random.SeedSequence, N: int, T: int) -> tuple:
    """The full ``(X, U)`` of one seed as NumPy arrays (small M only: for tests and brute force)."""
    backend = Backend()
    X = _draw_chunk(backend, seq, STREAM_X, T, 0, model.M) * np.sqrt(model.eigenvalues())
    U = _draw_chunk(backend, seq, STREAM_U, N, 0, model.M) * np.sqrt(model.feature_scale)
    return X, U


def draw_instance(model: DataModel, seq: np.random.SeedSequence, T: int) -> tuple:
    """The teacher ``w`` (M) and noise ``ε`` (T) of one seed's per-instance loss (NumPy)."""
    backend = Backend()
    w = _draw_chunk(backend, seq, STREAM_W, 1, 0, model.M)[0] * np.sqrt(model.teacher_variances())
    eps = backend.standard_normal(child(seq, STREAM_EPS, 0), (T, 1))[:, 0] * model.noise
    return w, eps
