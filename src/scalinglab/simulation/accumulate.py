"""Streaming accumulation of the latent sums the exact loss needs (docs/theory.md §4).

For training inputs ``X`` (T x M, rows ``x ~ N(0, Λ)``), feature weights ``U`` (N x M,
entries ``N(0, σ_u²/M)``) and teacher variances ``Ω = diag ω``::

    F   = X Uᵀ          (T x N)   training features (pre-activations for nonlinear maps)
    K_ω = X Ω Xᵀ        (T x T)
    C   = U Λ Uᵀ        (N x N)   feature (pre-activation) covariance
    B_ω = U Λ Ω Xᵀ      (N x T)
    s_ω = Σ_J ω_J λ_J

are sums over the latent index J, so they are accumulated over chunks of J drawn block by block
from the seed: memory is O((N + T)² + (N + T)·chunk), independent of M. Per chunk, F and Bᵀ come
from one product ``X [G; UΛΩ]ᵀ`` (U = s G) and K_ω, C from two symmetric rank-k updates, all
summed in place (BLAS β = 1): twice the work of the bare products ``X Uᵀ`` and ``X Xᵀ``, plus the
draws. Optionally the sums for
one fixed teacher draw ``w`` and noise ``ε`` are accumulated too (``X w``, ``U Λ w``, ``wᵀΛw``),
for the per-instance loss.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._rng import DRAW_BLOCK, STREAM_U, STREAM_X, child
from ..model import DataModel
from .backend import Backend

STREAM_W = 3  # teacher weights of the per-instance loss
STREAM_EPS = 4  # label noise of the per-instance loss

DEFAULT_CHUNK_ELEMENTS = 1 << 23  # about 64 MB of float64 per drawn chunk of X and U


@dataclass
class LatentStatistics:
    """The accumulated sums of docs/theory.md §4 for one draw of (U, X) at sizes (N, T)."""

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
    """Latent columns per chunk: about 64 MB of drawn numbers, a multiple of the draw block
    (chunks of a few thousand columns keep the BLAS products at full speed; smaller buffers cost
    fewer first-touch page faults; memory stays independent of M)."""
    columns = DEFAULT_CHUNK_ELEMENTS // max(N + T, 1)
    return int(max(1, min(64, columns // DRAW_BLOCK)) * DRAW_BLOCK)


_DRAW_THREADS = max(1, min(8, os.cpu_count() or 1))
_draw_pool: ThreadPoolExecutor | None = None
_draw_limit: int | None = None
_local = threading.local()


def _forget_pool_after_fork() -> None:
    """A forked child inherits the pool object but not its threads: start a new one there."""
    global _draw_pool
    _draw_pool = None


os.register_at_fork(after_in_child=_forget_pool_after_fork)


@contextmanager
def limit_draw_threads(threads: int) -> Iterator[None]:
    """Draw random blocks with at most ``threads`` threads inside the block (e.g. 1 in sweep
    workers, which already run one process per core)."""
    global _draw_limit
    previous, _draw_limit = _draw_limit, threads
    try:
        yield
    finally:
        _draw_limit = previous


def _scratch(size: int) -> np.ndarray:
    """This thread's reusable buffer of at least ``size`` numbers (drawing into reused memory
    avoids the page faults of fresh allocations)."""
    buf = getattr(_local, "scratch", None)
    if buf is None or buf.size < size:
        buf = _local.scratch = np.empty(size)
    return buf


def draw_threads() -> int:
    """Threads that draw random blocks (and run the conditional estimator's partial sums):
    the machine's, capped at 8 and by :func:`limit_draw_threads`."""
    return _DRAW_THREADS if _draw_limit is None else max(1, min(_DRAW_THREADS, _draw_limit))


def draw_chunk(
    backend: Backend,
    seq: np.random.SeedSequence,
    stream: int,
    start: int,
    out: Any,
    scale: np.ndarray | None = None,
    threads: int | None = None,
) -> None:
    """Fill ``out`` (rows x width) with the standard normals of latent columns
    [start, start + width) of one stream (``start`` is block-aligned), each column times
    ``scale`` when given (fused into the copy of each block, while it is in cache: the same
    numbers as scaling ``out`` afterwards).

    Every block has its own generator, so blocks are drawn in parallel threads (NumPy releases
    the GIL while it fills an array; ``threads`` caps them, default :func:`draw_threads`); the
    numbers do not depend on the threading.
    """
    global _draw_pool
    rows, width = out.shape

    def fill(offset: int) -> None:
        cols = min(DRAW_BLOCK, width - offset)
        block = (start + offset) // DRAW_BLOCK
        backend.fill_standard_normal(
            child(seq, stream, block),
            out[:, offset : offset + cols],
            _scratch(rows * cols),
            None if scale is None else scale[offset : offset + cols],
        )

    offsets = range(0, width, DRAW_BLOCK)
    threads = draw_threads() if threads is None else min(threads, draw_threads())
    if backend.draws == "device" or len(offsets) < 2 or threads <= 1:
        for offset in offsets:
            fill(offset)
        return
    if _draw_pool is None:
        _draw_pool = ThreadPoolExecutor(_DRAW_THREADS, thread_name_prefix="scalinglab-draw")
    for done in _draw_pool.map(fill, offsets):
        del done


def _draw(backend: Backend, seq: np.random.SeedSequence, stream: int, rows: int, M: int) -> Any:
    """All M latent columns of one stream (small sizes: tests, brute force, instances)."""
    out = backend.zeros((rows, M))
    draw_chunk(backend, seq, stream, 0, out)
    return out


def accumulate(
    model: DataModel,
    seq: np.random.SeedSequence,
    N: int,
    T: int,
    *,
    backend: Backend | None = None,
    chunk: int | None = None,
    instance: bool = False,
    advance: Callable[[int], None] | None = None,
) -> LatentStatistics:
    """Accumulate F, K_ω, C, B_ω and s_ω (docs/theory.md §4) for one simulation seed.

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
    advance : callable, optional
        ``advance(columns)`` after each chunk, with the latent columns it summed (progress).
    """
    backend = backend or Backend()
    xp = backend.xp
    M = model.M
    if chunk is None:
        chunk = default_chunk(N, T)
    chunk = max(DRAW_BLOCK, (int(chunk) // DRAW_BLOCK) * DRAW_BLOCK)
    scale_u = float(np.sqrt(model.feature_scale))

    # F and Bᵀ share their left factor X: one product X [G; UΛΩ]ᵀ fills FB = [F/s | Bᵀ].
    FB = backend.zeros((T, 2 * N))
    K = backend.zeros((T, T))
    C = backend.zeros((N, N))
    signal = 0.0
    if instance:
        y = backend.zeros((T,))
        ULw = backend.zeros((N,))
        wLw = 0.0
    # Reused draw buffers (fresh allocations of this size would cost page faults comparable to
    # the random draws themselves): the chunk of X, and GU = [G; U Λ Ω] with U = s G.
    width = min(chunk, M)
    X_buf = backend.empty((T, width))
    GU_buf = backend.empty((2 * N, width))

    for start in range(0, M, chunk):
        stop = min(M, start + chunk)
        cols = stop - start
        X, GU = X_buf[:, :cols], GU_buf[:, :cols]
        G, ULO = GU[:N], GU[N:]
        lam = model.eigenvalues(start, stop)
        omega = model.teacher_variances(start, stop)
        signal += float(lam @ omega)
        sqrt_lam = backend.asarray(np.sqrt(lam))
        draw_chunk(backend, seq, STREAM_X, start, X)
        draw_chunk(backend, seq, STREAM_U, start, G)
        X *= sqrt_lam
        backend.multiply_into(G, backend.asarray(scale_u * lam * omega), ULO)  # U Λ Ω
        backend.add_product(FB, X, GU)  # [X Gᵀ | X Ω Λ Uᵀ]
        if instance:
            w = backend.zeros((1, cols))
            draw_chunk(backend, seq, STREAM_W, start, w)
            w = w[0] * backend.asarray(np.sqrt(omega))
            y += X @ w
            Lw = backend.asarray(lam) * w
            ULw += scale_u * (G @ Lw)
            wLw += float(xp.sum(w * Lw))
        if model.isotropic:
            backend.add_gram(K, X, float(omega[0]))
        else:
            X *= backend.asarray(np.sqrt(omega))
            backend.add_gram(K, X)  # X Ω Xᵀ
        G *= backend.asarray(scale_u * np.sqrt(lam))  # now U Λ^{1/2}
        backend.add_gram(C, G)
        if advance:
            advance(cols)
    backend.mirror_lower(K)
    backend.mirror_lower(C)
    F = FB[:, :N]
    F *= scale_u
    inst = None
    if instance:
        eps = backend.standard_normal(child(seq, STREAM_EPS, 0), (T, 1))[:, 0] * model.noise
        inst = InstanceSums(y=y + eps, ULw=ULw, wLw=wLw)
    B = FB[:, N:].T
    return LatentStatistics(F=F, K=K, C=C, B=B, signal=signal, instance=inst)


def draw_latent(model: DataModel, seq: np.random.SeedSequence, N: int, T: int) -> tuple:
    """The full ``(X, U)`` of one seed as NumPy arrays (small M only: for tests and brute force)."""
    backend = Backend()
    X = _draw(backend, seq, STREAM_X, T, model.M) * np.sqrt(model.eigenvalues())
    U = _draw(backend, seq, STREAM_U, N, model.M) * np.sqrt(model.feature_scale)
    return X, U


def draw_instance(model: DataModel, seq: np.random.SeedSequence, T: int) -> tuple:
    """The teacher ``w`` (M) and noise ``ε`` (T) of one seed's per-instance loss (NumPy)."""
    backend = Backend()
    w = _draw(backend, seq, STREAM_W, 1, model.M)[0] * np.sqrt(model.teacher_variances())
    eps = backend.standard_normal(child(seq, STREAM_EPS, 0), (T, 1))[:, 0] * model.noise
    return w, eps
