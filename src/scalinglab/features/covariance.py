"""The feature covariance of a seed's random features, for the theory and the feature spectra.

``C = UΛUᵀ`` and the teacher cross moment ``G = UΛΩΛUᵀ = E_w[(UΛw)(UΛw)ᵀ]`` for the first N
rows of the U that simulation seed ``seq`` draws (:mod:`scalinglab._rng`: stream
:data:`~scalinglab._rng.STREAM_U`, one generator per block of
:data:`~scalinglab._rng.DRAW_BLOCK` latent columns, filled in C order), summed over latent
chunks so that memory does not grow with M.
"""

from __future__ import annotations

import numpy as np

from .._rng import DRAW_BLOCK, STREAM_U, block_generator
from ..model import DataModel

DEFAULT_CHUNK_ELEMENTS = 1 << 23  # about 64 MB of float64 per chunk of U


def feature_covariance(
    model: DataModel,
    seq: np.random.SeedSequence,
    N: int,
    *,
    teacher: bool = False,
    chunk: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``C = UΛUᵀ`` and (``teacher=True``) ``G = UΛΩΛUᵀ`` for the first N rows of a seed's U.

    The same U as the simulator draws for ``seq`` (no X is drawn). ``chunk`` (latent columns
    per step, rounded to whole draw blocks) changes only the order of the sums.
    """
    if chunk is None:
        chunk = DEFAULT_CHUNK_ELEMENTS // max(N, 1)
    chunk = max(1, int(chunk) // DRAW_BLOCK) * DRAW_BLOCK
    C = np.zeros((N, N))
    G = np.zeros((N, N)) if teacher else None
    U_buf = np.empty((N, min(chunk, model.M)))
    scale_u = float(np.sqrt(model.feature_scale))
    for start in range(0, model.M, chunk):
        stop = min(model.M, start + chunk)
        U = U_buf[:, : stop - start]
        for offset in range(0, stop - start, DRAW_BLOCK):
            cols = min(DRAW_BLOCK, stop - start - offset)
            gen = block_generator(seq, STREAM_U, (start + offset) // DRAW_BLOCK)
            U[:, offset : offset + cols] = gen.standard_normal((N, cols))
        lam = model.eigenvalues(start, stop)
        UL = U * (scale_u * np.sqrt(lam))
        C += UL @ UL.T
        if G is not None:
            UW = U * (scale_u * lam * np.sqrt(model.teacher_variances(start, stop)))
            G += UW @ UW.T
    return C, G
