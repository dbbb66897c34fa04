"""Speed of the simulation core (issue 2), with every baseline measured in the same run.

(a)  one point, 16 ridges, N = T = 2048, M = 8192, against
(b)  the floor: the bare NumPy products X Uᵀ and X Xᵀ of the same sizes; also (a0) the bare
     BLAS/LAPACK calls the algorithm itself needs (accumulation products, Gram matrix,
     eigendecomposition, N³ products) on ready-made arrays, to split (a) into arithmetic and
     overhead (draws, memory);
(b2) an 8 x 8 grid of N, T up to 2048 at M = 8192 (16 ridges) sharing one draw, against 64
     independent single-point runs;
(c)  a straightforward user baseline (sampled 10,000-point test set, scikit-learn ``Ridge`` per
     ridge, 4 teacher draws) at equal statistical precision: seconds per seed x variance of the
     per-seed loss, baseline over ours.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.linalg

from scalinglab import DataModel
from scalinglab.simulation import simulate

RIDGES = np.logspace(-6, 1, 16)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_point_vs_floor(N: int, M: int, repeats: int) -> None:
    model = DataModel(M=M, alpha=1.0)
    ours = best_of(lambda: simulate(model, N=N, T=N, ridge=RIDGES, seeds=1), repeats)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, M))
    U = rng.standard_normal((N, M))

    def floor() -> None:
        _ = X @ U.T
        _ = X @ X.T

    base = best_of(floor, repeats)
    GU = np.vstack([U, U])
    F, V = X[:, :N] @ U[:, :N].T, np.linalg.qr(U[:, :N])[0]

    def algorithm_calls() -> None:
        _ = X @ GU.T  # F and Bᵀ share X
        _ = X @ X.T  # K
        _ = U @ U.T  # C
        scipy.linalg.eigh(F.T @ F, overwrite_a=True, check_finite=False, driver="evd")
        for _ in range(4):  # FV, BᵀV, SV, K FV
            _ = F @ V
        for _ in range(2):  # VᵀSV and (FV)ᵀ K FV: symmetric, 10 of 16 blocks
            _ = V.T @ F[:, : (N * 5) // 8]

    bare = best_of(algorithm_calls, repeats)
    print(f"(a)  one point, 16 ridges, N = T = {N}, M = {M}: {ours:.2f} s")
    print(f"(a0) its bare BLAS/LAPACK calls:                 {bare:.2f} s "
          f"(overhead of draws and memory: {ours / bare - 1:+.0%})")  # fmt: skip
    print(f"(b)  floor X Uᵀ + X Xᵀ:                          {base:.2f} s")
    print(f"     ratio a/b = {ours / base:.2f}   (goal <= 4); a0/b = {bare / base:.2f}")


def bench_grid(N: int, M: int) -> None:
    model = DataModel(M=M, alpha=1.0)
    sizes = np.unique(np.geomspace(N // 64, N, 8).astype(int))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulate(model, N=sizes, T=sizes, ridge=RIDGES, seeds=1)
    grid = time.perf_counter() - start
    singles = []
    for n in sizes:
        for t in sizes:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                simulate(model, N=int(n), T=int(t), ridge=RIDGES, seeds=1, shared_draws=False)
            singles.append(time.perf_counter() - start)
    singles = np.array(singles)
    print(f"(b2) {sizes.size} x {sizes.size} grid, N, T in {sizes.tolist()}, M = {M}, 16 ridges")
    print(f"     shared-draw grid: {grid:.2f} s; 64 single-point runs: {singles.sum():.2f} s")
    print(
        f"     grid / largest single point = {grid / singles.max():.2f}   (goal < 3); "
        f"grid / mean single point = {grid / singles.mean():.1f}; "
        f"speed-up over the 64 runs = {singles.sum() / grid:.1f}x"
    )


def sklearn_baseline_seed(model: DataModel, N: int, T: int, rng: np.random.Generator):
    """One seed of the user baseline: explicit draws, sampled test set, sklearn Ridge."""
    from sklearn.linear_model import Ridge

    lam = model.eigenvalues()
    X = rng.standard_normal((T, model.M)) * np.sqrt(lam)
    U = rng.standard_normal((N, model.M)) * np.sqrt(model.feature_scale)
    X_test = rng.standard_normal((10_000, model.M)) * np.sqrt(lam)
    F, F_test = X @ U.T, X_test @ U.T
    losses = np.zeros(RIDGES.size)
    for _ in range(4):
        w = rng.standard_normal(model.M) * model.sigma_w / np.sqrt(model.M)
        y = X @ w + model.noise * rng.standard_normal(T)
        y_test = X_test @ w
        for k, ridge in enumerate(RIDGES):
            fit = Ridge(alpha=ridge, fit_intercept=False).fit(F, y)
            losses[k] += 0.5 * np.mean((fit.predict(F_test) - y_test) ** 2) / 4
    return losses


def bench_vs_sklearn(N: int, T: int, M: int, seeds: int) -> None:
    model = DataModel(M=M, alpha=1.0, noise=0.01)
    start = time.perf_counter()
    ours = simulate(model, N=N, T=T, ridge=RIDGES, seeds=seeds, seed=1)
    ours_sec = (time.perf_counter() - start) / seeds
    ours_var = ours.loss[:, 0, 0, :].var(axis=0, ddof=1)
    rng = np.random.default_rng(2)
    start = time.perf_counter()
    base = np.array([sklearn_baseline_seed(model, N, T, rng) for _ in range(seeds)])
    base_sec = (time.perf_counter() - start) / seeds
    base_var = base.var(axis=0, ddof=1)
    cost_ratio = (base_sec * base_var) / (ours_sec * ours_var)
    mid = RIDGES.size // 2
    print(f"(c)  vs sampled test set + sklearn Ridge, N = {N}, T = {T}, M = {M}, {seeds} seeds")
    print(f"     seconds per seed: ours {ours_sec:.3f}, baseline {base_sec:.3f} "
          f"(time factor {base_sec / ours_sec:.1f}x)")  # fmt: skip
    print(
        f"     variance of per-seed loss at ridge {RIDGES[mid]:.1e}: ours {ours_var[mid]:.3e}, "
        f"baseline {base_var[mid]:.3e} (variance factor {base_var[mid] / ours_var[mid]:.1f}x)"
    )
    print(
        f"     speed-up at equal precision: {cost_ratio[mid]:.0f}x at ridge {RIDGES[mid]:.1e}; "
        f"median over the 16 ridges {np.median(cost_ratio):.0f}x, min {cost_ratio.min():.0f}x "
        "(goal >= 10x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        bench_point_vs_floor(512, 2048, 1)
        bench_grid(512, 2048)
        bench_vs_sklearn(128, 256, 1024, 6)
    else:
        bench_point_vs_floor(2048, 8192, 2)
        bench_grid(2048, 8192)
        bench_vs_sklearn(256, 1024, 4096, 12)


if __name__ == "__main__":
    main()
