"""Benchmark of the theory engine: a 316 × 316 (N, T) grid at M = 10^6.

Prints the wall time of the ridge-0 losses and of the optimal ridge over the whole grid, and the
speed-up over a brute-force O(M)-per-point evaluation (full sums over J = 1..M and scipy brentq,
timed on a few points and scaled to the grid) with the largest relative difference between the
two on those points. Goals (issue 3): ridge-0 grid < 1 s, optimal ridge < 10 s on 2 cores.

Run: ``.venv/bin/python benchmarks/bench_theory.py``
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import brentq

from scalinglab import DataModel
from scalinglab.theory import optimal_ridge, predict

M, ALPHA, SIDE = 1_000_000, 1.0, 316


def brute_force_loss(lam: np.ndarray, N: float, T: float) -> float:
    """Ridgeless noise-free DE with O(M) sums per evaluation (spec §6.3)."""
    P, Q = min(N, T), max(N, T)
    delta = brentq(
        lambda d: np.sum(lam / (lam + d)) - P, 1e-300, lam.sum(), xtol=1e-300, rtol=1e-15
    )
    return P * delta / (2 * M) / (1 - P / Q)


def main() -> None:
    model = DataModel(M=M, alpha=ALPHA)
    sizes = np.logspace(1, 4.5, SIDE)  # 10 … 31623 (the DE is smooth in real N, T)
    N, T = sizes[:, None], (1.01 * sizes)[None, :]  # the 1% offset avoids the N = T peak
    points = N.size * T.size

    start = time.perf_counter()
    ridge0 = predict(model, N, T, 0.0)
    t_ridge0 = time.perf_counter() - start
    assert np.all(ridge0.converged) and np.all(np.isfinite(ridge0.loss))

    start = time.perf_counter()
    opt = optimal_ridge(model, N, T)
    t_opt = time.perf_counter() - start
    assert np.all(opt.converged) and np.all(opt.loss <= ridge0.loss * (1 + 1e-12))

    lam = model.eigenvalues()
    rng = np.random.default_rng(np.random.SeedSequence(0))
    picks = [(int(i), int(j)) for i, j in rng.integers(0, SIDE, size=(5, 2))]
    start = time.perf_counter()
    brute = [brute_force_loss(lam, float(N[i, 0]), float(T[0, j])) for i, j in picks]
    t_brute_per_point = (time.perf_counter() - start) / len(picks)
    fast = [float(ridge0.loss[i, j]) for i, j in picks]
    max_rel = max(abs(f / b - 1) for f, b in zip(fast, brute))

    print(f"grid: {N.size} x {T.size} = {points} points, M = {M:.0e}, alpha = {ALPHA}")
    print(f"ridge-0 losses:       {t_ridge0:8.3f} s   (goal < 1 s)")
    print(f"optimal ridge + loss: {t_opt:8.3f} s   (goal < 10 s)")
    scaled = t_brute_per_point * points
    print(f"brute force O(M):     {t_brute_per_point:8.3f} s/point -> {scaled:.3e} s for the grid")
    print(f"speed-up (ridge 0) over brute force: {scaled / t_ridge0:.3e}x ({len(picks)} points)")
    print(f"largest relative difference fast vs brute force: {max_rel:.2e}")


if __name__ == "__main__":
    main()
