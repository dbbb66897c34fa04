"""GPU benchmark of the simulation (issue 8): run on a machine with a CUDA device.

Prints, in one run:
(a) seconds for one point with 16 ridges at N = T = 4096, M = 2^20, float64 on the GPU;
(b) the achieved fraction of the device's float64 matrix-multiply rate over the accumulation
    phase, against a bare ``torch.matmul`` measured in the same run;
(c) the speed-up of the same point over the NumPy backend on this machine's CPU (the NumPy
    accumulation is timed at a smaller M and scaled linearly in M, which is exact for its cost
    model: every latent chunk costs the same; the per-point solve is timed at full size).

Without a CUDA device it says so and exits 0. ``--N``/``--M`` change the sizes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scalinglab import DataModel
from scalinglab._rng import spawn_seeds
from scalinglab.simulation import Backend, accumulate, ridge_losses

RIDGES = np.logspace(-6, 1, 16)


def timed(fn, backend: Backend):
    backend.synchronize()
    start = time.perf_counter()
    out = fn()
    backend.synchronize()
    return out, time.perf_counter() - start


def matmul_rate(torch, size: int = 8192, repeats: int = 5) -> float:
    """Achieved float64 FLOP/s of a bare square matmul on the device."""
    a = torch.randn(size, size, dtype=torch.float64, device="cuda")
    b = torch.randn(size, size, dtype=torch.float64, device="cuda")
    torch.matmul(a, b)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        torch.matmul(a, b)
    torch.cuda.synchronize()
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def point(model: DataModel, N: int, backend: Backend, chunk: int | None = None):
    seq = spawn_seeds(0, 1)[0]
    stats, t_acc = timed(
        lambda: accumulate(model, seq, N, N, backend=backend, chunk=chunk), backend
    )
    args = (stats.F, stats.C, stats.B, stats.K, stats.signal, model.noise, RIDGES)
    out, t_solve = timed(lambda: ridge_losses(*args), backend)
    return out, t_acc, t_solve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--N", type=int, default=4096)
    parser.add_argument("--M", type=int, default=2**20)
    parser.add_argument("--cpu-M", type=int, default=2**14, help="M of the timed NumPy run")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install 'scalinglab[gpu]'. Nothing measured.")
        return
    if not torch.cuda.is_available():
        print("No CUDA device is available: the GPU benchmark measured nothing.")
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    name = torch.cuda.get_device_name()
    N, M = args.N, args.M
    model = DataModel(M=M, alpha=1.0)
    gpu = Backend("torch", "cuda", "float64")
    point(DataModel(M=8192, alpha=1.0), 512, gpu)  # warm-up: CUDA context, cuBLAS, cuSOLVER
    _, t_acc, t_solve = point(model, N, gpu, chunk=8192)
    total = t_acc + t_solve
    print(f"device: {name}; N = T = {N}, M = {M}, 16 ridges, float64")
    print(f"(a) one point: {total:.2f} s (accumulation {t_acc:.2f} s, solve {t_solve:.2f} s)"
          "   goal < 10 s")  # fmt: skip
    peak = matmul_rate(torch)
    flops = 2.0 * M * (2 * N) ** 2  # F, B (gemm) and K, C (full gemm in torch): 2M(N+T)^2
    achieved = flops / t_acc
    print(f"(b) bare torch.matmul float64: {peak / 1e12:.1f} TFLOP/s; accumulation achieved "
          f"{achieved / 1e12:.1f} TFLOP/s = {achieved / peak:.0%} of it   goal >= 50%")  # fmt: skip
    cpu = Backend("numpy")
    cpu_model = DataModel(M=args.cpu_M, alpha=1.0)
    _, c_acc, c_solve = point(cpu_model, N, cpu)
    cpu_total = c_acc * (M / args.cpu_M) + c_solve
    print(f"(c) NumPy on this machine's CPU: accumulation {c_acc:.2f} s at M = {args.cpu_M} "
          f"(scaled to M = {M}: {c_acc * M / args.cpu_M:.1f} s), solve {c_solve:.2f} s; "
          f"speed-up of the GPU: {cpu_total / total:.0f}x")  # fmt: skip
    check = point(DataModel(M=4096, alpha=1.0), 1024, Backend("torch", "cuda", draws="numpy"))[0]
    ref = point(DataModel(M=4096, alpha=1.0), 1024, Backend("torch", "cpu"))[0]
    print(f"    CUDA vs CPU on the same draws (N = 1024, M = 4096): largest relative difference "
          f"{np.max(np.abs(check.loss / ref.loss - 1)):.1e} (goal <= 1e-9)")  # fmt: skip


if __name__ == "__main__":
    main()
