"""Products with and solves against triangular matrices, for NumPy and torch arrays.

NumPy arrays go to BLAS ``trmm``/``trsm`` (half the work of a general product). Arrays are
C-ordered, i.e. Fortran-ordered transposes, so ``op(P) X`` is computed as
``(op(P) X)ᵀ = Xᵀ op(P)ᵀ`` with BLAS side = right and ``A = Pᵀ`` (P's own buffer). Other
libraries (torch) use a general product and ``linalg.solve_triangular``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import blas, lapack


def _blas_call(name: str, P: np.ndarray, X: np.ndarray, lower: bool, trans: bool) -> np.ndarray:
    func = blas.get_blas_funcs(name, (P, X))
    if P.flags.f_contiguous:  # P is already a Fortran array: A = P, op_blas(A) = op(P)ᵀ
        out = func(1.0, P, X.T, side=1, lower=int(lower), trans_a=int(not trans))
    else:  # A = Pᵀ, the Fortran view of a C-ordered P
        A = np.ascontiguousarray(P).T
        out = func(1.0, A, X.T, side=1, lower=int(not lower), trans_a=int(trans))
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
