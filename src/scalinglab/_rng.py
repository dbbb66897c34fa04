"""Seeding: every random draw comes from an explicit :class:`numpy.random.SeedSequence`.

A simulation seed ``s`` of a run with base seed ``seed`` is ``SeedSequence(seed).spawn(...)[s]``.
Within one simulation seed, the latent axis J = 1..M is cut into fixed blocks of
:data:`DRAW_BLOCK` columns; block ``b`` of stream ``k`` (data X or features U) has its own
child ``SeedSequence(entropy, spawn_key=(*key, k, b))``. Draws are therefore independent of how
the computation is chunked, and the first T rows of a draw with more rows are the same numbers
(NumPy fills arrays in C order), which is what lets a whole (N, T) grid share one draw.
"""

from __future__ import annotations

import numpy as np

DRAW_BLOCK = 256
"""Latent columns per random block: part of the reproducibility contract, never change it."""

STREAM_X = 0  # training inputs X (T x M)
STREAM_U = 1  # random feature weights U (N x M)
STREAM_B = 2  # feature biases (N)
STREAM_Z = 5  # whitened training features of the conditional estimator (T x N)


def root_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """The root SeedSequence of a run (an int seed or an existing sequence)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(int(seed))


def child(parent: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """A child sequence addressed by ``key`` (random access, unlike ``spawn``)."""
    return np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, *key))


def spawn_seeds(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent per-seed sequences of a run."""
    root = root_sequence(seed)
    return [child(root, i) for i in range(n)]


def block_generator(seq: np.random.SeedSequence, stream: int, block: int) -> np.random.Generator:
    """Generator for block ``block`` of stream ``stream`` within one simulation seed."""
    return np.random.default_rng(child(seq, stream, block))


def entropy_string(seq: np.random.SeedSequence) -> str:
    """A printable record of a sequence (entropy and spawn key), for provenance."""
    return f"{seq.entropy}:{'.'.join(str(k) for k in seq.spawn_key)}"
