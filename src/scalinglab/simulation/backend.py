"""Array backends for the simulation kernel: NumPy (default) and PyTorch (optional).

The kernel (:mod:`.accumulate`, :mod:`.ridge_loss`) is written once against the Python
array API (via ``array-api-compat``); a backend only creates arrays, draws random numbers
and moves results back to NumPy. Random numbers always come from an explicit
:class:`numpy.random.SeedSequence`:

* ``numpy`` backend: ``numpy.random.Generator(PCG64)`` per latent block (:mod:`scalinglab._rng`).
* ``torch`` backend on the CPU: the same NumPy draws, copied into torch tensors, so that NumPy
  and torch results agree to rounding on the same draws.
* ``torch`` backend on CUDA: ``torch.Generator`` on the device, seeded from the block's
  SeedSequence (reproducible for a given seed and device; different numbers than NumPy).
  ``draws="numpy"`` moves NumPy's draws to the device instead, so that CUDA and CPU results can
  be compared on the same draws.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any

import numpy as np
from array_api_compat import array_namespace
from scipy.linalg import blas

from .._validation import check_choice
from ..exceptions import ConfigError

BACKENDS = ("numpy", "torch")
DTYPES = ("float64", "float32")
DRAWS = ("numpy", "device")


class Backend:
    """Array creation, random draws and transfers for one (library, device, dtype)."""

    def __init__(
        self,
        name: str = "numpy",
        device: str = "cpu",
        dtype: str = "float64",
        draws: str | None = None,
    ) -> None:
        self.name = check_choice("backend", name, BACKENDS)
        self.dtype_name = check_choice("dtype", dtype, DTYPES)
        if self.name == "numpy":
            self.device = check_choice("device", device, ("cpu",))
            self._dtype = np.dtype(self.dtype_name)
            self.xp = array_namespace(np.empty(0))
        else:
            try:
                import torch
            except ImportError:  # pragma: no cover - depends on the environment
                raise ConfigError(
                    "The 'backend' parameter 'torch' needs PyTorch: pip install 'scalinglab[gpu]'."
                ) from None
            self.device = check_choice("device", device, ("cpu", "cuda"))
            if self.device == "cuda" and not torch.cuda.is_available():
                raise ConfigError(
                    "The 'device' parameter must name an available device. Got 'cuda' instead "
                    "(no CUDA device is visible to PyTorch)."
                )
            self._torch = torch
            self._dtype = getattr(torch, self.dtype_name)
            self.xp = array_namespace(torch.empty(0))
        default = "device" if self.device == "cuda" else "numpy"
        self.draws = check_choice("draws", default if draws is None else draws, DRAWS)
        if self.draws == "device" and self.name == "numpy":
            self.draws = "numpy"

    # -------------------------------------------------------------- creation / transfer
    def zeros(self, shape: tuple[int, ...]) -> Any:
        if self.name == "numpy":
            return np.zeros(shape, dtype=self._dtype)
        return self._torch.zeros(shape, dtype=self._dtype, device=self.device)

    def empty(self, shape: tuple[int, ...]) -> Any:
        """An uninitialised array (for buffers that are overwritten before they are read)."""
        if self.name == "numpy":
            return np.empty(shape, dtype=self._dtype)
        return self._torch.empty(shape, dtype=self._dtype, device=self.device)

    def asarray(self, values: np.ndarray) -> Any:
        """A NumPy array as a backend array of the backend's dtype and device."""
        values = np.asarray(values)
        if self.name == "numpy":
            return values.astype(self._dtype, copy=False)
        return self._torch.as_tensor(values, dtype=self._dtype, device=self.device)

    def multiply_into(self, a: Any, factor: Any, out: Any) -> None:
        """``out[...] = a * factor`` without a temporary array."""
        if self.name == "numpy":
            np.multiply(a, factor, out=out)
        else:
            self._torch.mul(a, factor, out=out)

    # ------------------------------------------------------------ in-place accumulation
    def add_product(self, out: Any, a: Any, b: Any) -> None:
        """``out += a bᵀ`` in place: one BLAS gemm with β = 1, no temporary product."""
        if self.name == "numpy":
            # C-ordered arrays are the transposes of Fortran ones: outᵀ += b aᵀ.
            gemm = blas.get_blas_funcs("gemm", (out,))
            r = gemm(1.0, b.T, a.T, beta=1.0, c=out.T, trans_a=1, overwrite_c=1)
            if not np.shares_memory(r, out):  # pragma: no cover - only for exotic strides
                out[...] = r.T
        else:
            out.addmm_(a, b.T)

    def add_gram(self, out: Any, a: Any, scale: float = 1.0) -> None:
        """``out += scale · a aᵀ`` in place on the lower triangle (NumPy: BLAS syrk, half a
        gemm's work, called without holding the GIL so that threads can sum at once); the full
        square on torch. Call :meth:`mirror_lower` after the last one."""
        if self.name == "numpy":
            if _syrk_without_gil(out, a, scale):
                return
            syrk = blas.get_blas_funcs("syrk", (out,))
            r = syrk(scale, a.T, beta=1.0, c=out.T, trans=1, lower=0, overwrite_c=1)
            if not np.shares_memory(r, out):  # pragma: no cover - only for exotic strides
                out[...] = r.T
        else:
            out.addmm_(a, a.T, alpha=scale)

    def mirror_lower(self, out: Any) -> None:
        """Make a matrix symmetric from its lower triangle (after :meth:`add_gram`)."""
        if self.name == "numpy":  # torch's add_gram fills the whole square
            mirror_lower(out)

    def to_numpy(self, values: Any) -> np.ndarray:
        """A backend array as a float64 NumPy array."""
        if self.name == "numpy":
            return np.asarray(values, dtype=np.float64)
        return values.detach().to("cpu", dtype=self._torch.float64).numpy()

    # --------------------------------------------------------------------- random draws
    def standard_normal(self, seq: np.random.SeedSequence, shape: tuple[int, int]) -> Any:
        """Standard normals of ``shape`` from the block sequence ``seq`` (C order: the first
        rows do not depend on how many rows are drawn)."""
        if self.draws == "device":
            gen = self._torch.Generator(device=self.device)
            gen.manual_seed(int(seq.generate_state(1, np.uint64)[0] & ((1 << 63) - 1)))
            return self._torch.randn(shape, generator=gen, dtype=self._dtype, device=self.device)
        draws = np.random.default_rng(seq).standard_normal(shape)
        return self.asarray(draws)

    def fill_standard_normal(
        self, seq: np.random.SeedSequence, out: Any, scratch: Any, scale: Any = None
    ) -> None:
        """Write the draws of :meth:`standard_normal` for ``out.shape`` into ``out``, each
        column times ``scale`` (a NumPy vector) when given.

        ``scratch`` is a reusable contiguous NumPy float64 array of at least ``out.size``
        numbers.
        """
        if self.draws == "device":
            out[...] = self.standard_normal(seq, tuple(out.shape))
            if scale is not None:
                out *= self.asarray(scale)
            return
        block = scratch[: out.shape[0] * out.shape[1]].reshape(out.shape)
        np.random.default_rng(seq).standard_normal(out=block)
        if self.name == "numpy":
            if scale is None:
                out[...] = block
            else:  # the copy and the scaling in one pass over the block (still in cache)
                np.multiply(block, scale, out=out)
            return
        out[...] = self._torch.from_numpy(block).to(out.device)
        if scale is not None:
            out *= self.asarray(scale)

    def synchronize(self) -> None:
        """Wait for queued device work (for honest timings)."""
        if self.name == "torch" and self.device == "cuda":
            self._torch.cuda.synchronize()

    def __repr__(self) -> str:
        return (
            f"Backend({self.name!r}, device={self.device!r}, dtype={self.dtype_name!r}, "
            f"draws={self.draws!r})"
        )


@cache
def _fortran_dsyrk() -> Any:
    """SciPy's BLAS dsyrk as a ctypes function (from ``scipy.linalg.cython_blas``), or None.

    ctypes releases the GIL during a foreign call, which SciPy's Python wrapper of the same
    routine does not: threads that call it run at once (the conditional estimator's partial
    sums), with the same arithmetic, to the bit.
    """
    try:
        from scipy.linalg import cython_blas

        capsule = cython_blas.__pyx_capi__["dsyrk"]
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype = ctypes.c_void_p
        get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        name = get_name(capsule)
        # BLAS's LP64 interface: (uplo, trans, n, k, alpha, a, lda, beta, c, ldc), all by pointer.
        if name is None or name.count(b"int *") != 4:  # pragma: no cover - other SciPy builds
            return None
        address = get_pointer(capsule, name)
    except (ImportError, KeyError, AttributeError, ValueError):  # pragma: no cover
        return None
    int_p, double_p = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_double)
    char_p = ctypes.c_char_p
    signature = ctypes.CFUNCTYPE(
        None, char_p, char_p, int_p, int_p, double_p, double_p, int_p, double_p, double_p, int_p
    )
    return signature(address)


def _syrk_without_gil(out: np.ndarray, a: np.ndarray, scale: float) -> bool:
    """``out += scale · a aᵀ`` on the lower triangle by :func:`_fortran_dsyrk`, for float64
    arrays with unit-stride rows (C-ordered ``a`` of shape (n, k) is the Fortran k x n matrix
    ``aᵀ`` with leading dimension its row stride). False where it does not apply."""
    syrk = _fortran_dsyrk()
    n, k = a.shape
    item = np.dtype(np.float64).itemsize
    if (
        syrk is None
        or a.dtype != np.float64
        or out.dtype != np.float64
        or out.shape != (n, n)
        or n == 0
        or k == 0
        or a.strides[1] != item
        or out.strides[1] != item
        or a.strides[0] % item
        or out.strides[0] % item
        or a.strides[0] < k * item
        or out.strides[0] < n * item
        or not out.flags.writeable
    ):
        return False
    lda, ldc = a.strides[0] // item, out.strides[0] // item
    double_p = ctypes.POINTER(ctypes.c_double)
    syrk(
        b"U",  # the upper triangle of the Fortran outᵀ: out's lower triangle
        b"T",  # (aᵀ)ᵀ aᵀ = a aᵀ
        ctypes.byref(ctypes.c_int(n)),
        ctypes.byref(ctypes.c_int(k)),
        ctypes.byref(ctypes.c_double(scale)),
        a.ctypes.data_as(double_p),
        ctypes.byref(ctypes.c_int(lda)),
        ctypes.byref(ctypes.c_double(1.0)),
        out.ctypes.data_as(double_p),
        ctypes.byref(ctypes.c_int(ldc)),
    )
    return True


def mirror_lower(out: np.ndarray, block: int = 512) -> None:
    """Copy the lower triangle of a square array onto its upper triangle, block by block."""
    n = out.shape[0]
    for i in range(0, n, block):
        j = min(n, i + block)
        lower = np.tril(out[i:j, i:j])
        out[i:j, i:j] = lower + np.tril(lower, -1).T
        out[i:j, j:] = out[j:, i:j].T
