"""Products with and solves against triangular matrices, for NumPy and torch arrays.

NumPy arrays go to BLAS ``trmm``/``trsm`` (half the work of a general product). A C-ordered
array is the Fortran-ordered transpose, so for a C-ordered X, ``op(P) X`` is computed as
``(op(P) X)ᵀ = Xᵀ op(P)ᵀ`` with BLAS side = right and ``A = Pᵀ`` (P's own buffer); a
Fortran-ordered X (eigenvectors from LAPACK, transposed views) goes in as it is, side = left,
saving a transposing copy. Other libraries (torch) use a general product and
``linalg.solve_triangular``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import blas, lapack


def _blas_call(name: str, P: np.ndarray, X: np.ndarray, lower: bool, trans: bool) -> np.ndarray:
    func = blas.get_blas_funcs(name, (P, X))
    if P.flags.f_contiguous:  # P is already a Fortran array: A = P, op_blas(A) = op(P)ᵀ
        A, a_lower, a_trans = P, lower, trans
    else:  # A = Pᵀ, the Fortran view of a C-ordered P
        A, a_lower, a_trans = np.ascontiguousarray(P).T, not lower, not trans
    if X.flags.f_contiguous and not X.flags.c_contiguous:  # X is a Fortran array: side = left,
        # op_blas(A) X = op(P) X with no copy of X (the BLAS writes a copy it returns)
        return func(1.0, A, X, side=0, lower=int(a_lower), trans_a=int(a_trans))
    # (op(P) X)ᵀ = Xᵀ op_blas(A) with Xᵀ the Fortran view of a C-ordered X
    out = func(1.0, A, X.T, side=1, lower=int(a_lower), trans_a=int(not a_trans))
    return out.T


def triangular_product(P: Any, X: Any, *, lower: bool, trans: bool = False) -> Any:
    """``op(P) X`` for a square triangular ``P`` (``op(P) = Pᵀ`` when ``trans``)."""
    if isinstance(P, np.ndarray):
        return _blas_call("trmm", P, X, lower, trans)
    return (P.mT if trans else P) @ X


def triangular_solve(P: Any, X: Any, *, lower: bool, trans: bool = False) -> Any:
    """``op(P)⁻¹ X`` for a square, invertible triangular ``P``."""
    if isinstance(P, np.ndarray):
        return _blas_call("trsm", P, X, lower, trans)
    import torch

    A, upper = (P.mT, lower) if trans else (P, not lower)
    return torch.linalg.solve_triangular(A, X, upper=upper)


def triangular_inverse(P: Any, *, lower: bool) -> Any:
    """``P⁻¹`` for a square, invertible triangular ``P`` (LAPACK trtri on NumPy). The inverse of
    a triangular matrix is nested: its leading blocks are the inverses of P's leading blocks."""
    if isinstance(P, np.ndarray):
        trtri = lapack.get_lapack_funcs("trtri", (P,))
        if P.flags.f_contiguous:
            return trtri(P, lower=int(lower))[0]
        return trtri(np.ascontiguousarray(P).T, lower=int(not lower))[0].T
    import torch

    eye = torch.eye(P.shape[0], dtype=P.dtype, device=P.device)
    return torch.linalg.solve_triangular(P, eye, upper=not lower)
