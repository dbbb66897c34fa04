"""The in-place products of the simulation kernel against plain NumPy products."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.simulation import Backend
from scalinglab.simulation.backend import mirror_lower
from scalinglab.simulation.ridge_loss import symmetric_product

BACKENDS = [("numpy", "float64"), ("numpy", "float32"), ("torch", "float64")]


def _backend(name: str, dtype: str) -> Backend:
    if name == "torch":
        pytest.importorskip("torch")
    return Backend(name, dtype=dtype)


def _tolerance(dtype: str) -> float:
    # A sum of k = 300 products in two orders of summation: k·ε relative to the magnitude of
    # the terms (|a||b| ~ k), i.e. about 3e-14 (float64) or 2e-5 (float32); 10x margin.
    return 3e-13 if dtype == "float64" else 2e-4


@pytest.mark.parametrize(("name", "dtype"), BACKENDS)
def test_add_product_and_gram_accumulate_in_place(name, dtype):
    be = _backend(name, dtype)
    rng = np.random.default_rng(0)
    full_a, full_b = rng.standard_normal((70, 400)), rng.standard_normal((50, 400))
    # A partial chunk: row-strided views of wider buffers, as at the last latent chunk.
    a, b = full_a[:, :300], full_b[:, :300]
    out, gram = be.asarray(np.ones((70, 50))), be.asarray(np.ones((70, 70)))
    out_id, gram_id = id(out), id(gram)
    be.add_product(out, be.asarray(full_a)[:, :300], be.asarray(full_b)[:, :300])
    be.add_gram(gram, be.asarray(full_a)[:, :300], 0.5)
    be.mirror_lower(gram)
    assert id(out) == out_id and id(gram) == gram_id
    tol = _tolerance(dtype) * 300
    np.testing.assert_allclose(be.to_numpy(out), 1.0 + a @ b.T, rtol=0, atol=tol)
    np.testing.assert_allclose(be.to_numpy(gram), 1.0 + 0.5 * a @ a.T, rtol=0, atol=tol)


def test_mirror_lower_copies_the_lower_triangle_across_blocks():
    rng = np.random.default_rng(1)
    sym = rng.standard_normal((37, 37))
    sym = sym + sym.T
    out = np.tril(sym) + np.triu(np.full_like(sym, np.nan), 1)
    mirror_lower(out, block=8)  # several blocks, the last one partial
    assert np.array_equal(out, sym)


@pytest.mark.parametrize("n", [100, 517, 1024])
def test_symmetric_product_matches_the_full_product(n):
    rng = np.random.default_rng(n)
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    S = rng.standard_normal((n, n))
    S = S @ S.T
    ref = V.T @ (S @ V)
    got = symmetric_product(np, V, S @ V)
    # Blocked and full products sum the same n terms in different orders: n·ε relative to
    # the largest entry (|VᵀSV| <= ||S||), at most ~1e-13 here.
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
