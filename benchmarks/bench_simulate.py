"""Speed of the simulation core (issues 2 and 20), with every baseline measured in the same run.

(a)  one point, 16 ridges, N = T = 2048, M = 8192 with the default (conditional) estimator and
     with the full one, against
(b)  the floor: the bare NumPy products X Uᵀ and X Xᵀ of the same sizes (goal for the
     conditional estimator: <= 3.0); also (a0) the bare BLAS/LAPACK calls the conditional
     estimator itself needs on ready-made arrays, to split (a) into arithmetic and overhead;
(a2) one point, 16 ridges, N = T = 1024, M = 2^18, against the same floor summed over latent
     chunks of 8192 columns (goal <= 1.0: faster than merely forming the training features and
     Gram matrix a naive simulation needs);
(b2) an 8 x 8 grid of N, T up to 2048 at M = 8192 (16 ridges) sharing one draw, against 64
     independent single-point runs;
(c)  a straightforward user baseline (sampled 10,000-point test set, scikit-learn ``Ridge`` per
     ridge, 4 teacher draws) at equal statistical precision: seconds per seed x variance of the
     per-seed loss, baseline over ours;
(d)  the variance of the full estimator over that of the conditional one, per configuration:
     for one fixed U (over draws of X, resp. of F given U) and across seeds (draws of U too).
     Where N >= M the training features determine X, so the two have the same law given U
     (ratio 1 up to sampling: the Rao-Blackwell gain is at N < M).

The default run uses the issue's sizes and prints its own duration.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from scalinglab import DataModel
from scalinglab._rng import STREAM_U, spawn_seeds
from scalinglab.simulation import ridge_losses, simulate
from scalinglab.simulation.accumulate import draw_chunk, limit_draw_threads
from scalinglab.simulation.backend import Backend
from scalinglab.simulation.conditional import (
    condition_on,
    condition_on_features,
    conditional_chunk,
    conditional_losses,
    covariances,
    orthogonal_route,
)
from scalinglab.simulation.ridge_loss import gram_eigh

RIDGES = np.logspace(-6, 1, 16)
FLOOR_CHUNK = 8192


def best_of(fn, repeats: int, clock=time.perf_counter) -> float:
    """The least time of ``repeats`` calls (wall-clock; ``clock=time.process_time``: CPU)."""
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def floor_seconds(N: int, T: int, M: int, repeats: int, clock=time.perf_counter) -> float:
    """The bare products X Uᵀ (T x N) and X Xᵀ (T x T), summed over latent chunks of
    :data:`FLOOR_CHUNK` columns of ready-made arrays (no draws; the same arithmetic as the
    whole products, in memory that does not grow with M)."""
    rng = np.random.default_rng(0)
    width = min(M, FLOOR_CHUNK)
    X, U = rng.standard_normal((T, width)), rng.standard_normal((N, width))

    def floor() -> None:
        F, K = np.zeros((T, N)), np.zeros((T, T))
        for start in range(0, M, width):
            cols = min(width, M - start)
            F += X[:, :cols] @ U[:, :cols].T
            K += X[:, :cols] @ X[:, :cols].T

    return best_of(floor, repeats, clock)


def stage_breakdown(N: int, M: int) -> None:
    """One-thread process CPU seconds of each stage of the conditional estimator at one point
    (N = T, 16 ridges), against the floor's: robust to other load on the machine, and the
    ratio the wall-clock one approaches when every stage uses all cores equally well."""
    model = DataModel(M=M, alpha=1.0)
    seq = spawn_seeds(0, 1)[0]
    backend = Backend()
    chunk = conditional_chunk(N)
    cpu = time.process_time
    with threadpool_limits(1), limit_draw_threads(1):
        floor = floor_seconds(N, N, M, 1, cpu)
        buf = np.empty((N, min(chunk, M)))

        def draws() -> None:  # the draws of U alone, scaled as in covariances
            for start in range(0, M, chunk):
                stop = min(M, start + chunk)
                scale = np.sqrt(model.feature_scale * model.eigenvalues(start, stop))
                draw_chunk(backend, seq, STREAM_U, start, buf[:, : stop - start], scale)

        t_draw = best_of(draws, 1, cpu)
        start = cpu()
        C, D, signal = covariances(model, seq, N, backend, None)
        t_cov = cpu() - start
        start = cpu()
        stats = condition_on(C, D, signal, seq, N, M, backend)
        t_factor = cpu() - start
        start = cpu()
        conditional_losses(stats, model.noise, RIDGES)
        t_loss = cpu() - start
        F = stats.Z[:, :N] @ stats.L.T
        t_eigh = best_of(lambda: gram_eigh(np, F.T @ F), 1, cpu)
    rows = [
        (f"U draws ({N} x {M} normals, scaled)", t_draw),
        ("C and D_ω: two syrk per chunk, partial sums", t_cov - t_draw),
        ("Cholesky of C, L⁻¹, Z draw", t_factor),
        (f"eigh of the {N} x {N} Gram matrix (LAPACK syevd)", t_eigh),
        ("other N³ products of the losses (trmm, gemm, syrk)", t_loss - t_eigh),
    ]
    total = t_cov + t_factor + t_loss
    print(f"     one-thread CPU seconds at N = T = {N}, M = {M} (floor X Uᵀ + X Xᵀ: {floor:.2f} s)")
    for name, seconds in rows:
        print(f"       {name:52s} {seconds:6.2f} s  {seconds / floor:5.2f} x floor")
    print(f"       {'total':52s} {total:6.2f} s  {total / floor:5.2f} x floor")


def bench_point_vs_floor(N: int, M: int, repeats: int) -> None:
    model = DataModel(M=M, alpha=1.0)
    ours = best_of(lambda: simulate(model, N=N, T=N, ridge=RIDGES, seeds=1), repeats)
    full = best_of(lambda: simulate(model, N=N, T=N, ridge=RIDGES, estimator="full"), repeats)
    base = floor_seconds(N, N, M, repeats)
    rng = np.random.default_rng(0)
    U = rng.standard_normal((N, M))
    C = U[:, : 4 * N] @ U[:, : 4 * N].T / (4 * N) + np.eye(N)
    L = np.linalg.cholesky(C)
    Z = rng.standard_normal((N, N))

    def algorithm_calls() -> None:
        _ = U @ U.T  # C (syrk)
        _ = U @ U.T  # D_ω (syrk)
        P = scipy.linalg.cholesky(C, lower=True, check_finite=False)
        scipy.linalg.lapack.dtrtri(P, lower=1)  # L⁻¹
        F = scipy.linalg.blas.dtrmm(1.0, L, Z, side=1, lower=1, trans_a=1)  # Z Lᵀ
        V = scipy.linalg.eigh(F.T @ F, overwrite_a=True, check_finite=False, driver="evd")[1]
        for _ in range(3):  # Ṽ = Pᵀ V, W = P⁻¹ V, X = P⁻ᵀ W
            scipy.linalg.blas.dtrmm(1.0, L, V, lower=1, trans_a=1)
        DX = C @ V  # D_ω X
        _ = V.T @ V  # S' = ṼᵀṼ (syrk)
        _ = V.T @ DX[:, : (N * 5) // 8]  # E = Xᵀ D_ω X: symmetric, 10 of 16 blocks

    bare = best_of(algorithm_calls, repeats)
    print(f"(a)  one point, 16 ridges, N = T = {N}, M = {M}: conditional {ours:.2f} s, "
          f"full {full:.2f} s")  # fmt: skip
    print(f"(a0) bare BLAS/LAPACK calls of the conditional estimator: {bare:.2f} s "
          f"(overhead of draws and memory: {ours / bare - 1:+.0%})")  # fmt: skip
    print(f"(b)  floor X Uᵀ + X Xᵀ:                          {base:.2f} s")
    print(f"     ratio a/b = {ours / base:.2f}   (goal <= 3.0); full/b = {full / base:.2f}; "
          f"a0/b = {bare / base:.2f}")  # fmt: skip
    stage_breakdown(N, M)


def bench_large_m(N: int, M: int) -> None:
    model = DataModel(M=M, alpha=1.0)
    ours = best_of(lambda: simulate(model, N=N, T=N, ridge=RIDGES, seeds=1), 1)
    full = best_of(lambda: simulate(model, N=N, T=N, ridge=RIDGES, estimator="full"), 1)
    base = floor_seconds(N, N, M, 1)
    print(f"(a2) one point, 16 ridges, N = T = {N}, M = {M}: conditional {ours:.2f} s, "
          f"full {full:.2f} s; floor X Uᵀ + X Xᵀ {base:.2f} s")  # fmt: skip
    print(f"     ratio conditional/floor = {ours / base:.2f}   (goal <= 1.0); "
          f"full/floor = {full / base:.2f}")  # fmt: skip
    stage_breakdown(N, M)


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


def fixed_u_variances(model: DataModel, N: int, T: int, ridge: float, reps: int):
    """Means and variances of the full loss over X draws and of the conditional loss over F
    draws, for one fixed U."""
    lam, omega = model.eigenvalues(), model.teacher_variances()
    rng = np.random.default_rng(11)
    U = rng.standard_normal((N, model.M)) * np.sqrt(model.feature_scale)
    C, D = (U * lam) @ U.T, (U * (lam * lam * omega)) @ U.T
    signal = float(lam @ omega)
    full, cond = np.empty(reps), np.empty(reps)
    for r in range(reps):
        X = rng.standard_normal((T, model.M)) * np.sqrt(lam)
        F, K, B = X @ U.T, (X * omega) @ X.T, (U * (lam * omega)) @ X.T
        full[r] = ridge_losses(F, C, B, K, signal, model.noise, [ridge]).loss[0]
        seq = np.random.SeedSequence([5, r])
        if orthogonal_route(N, model.M):  # the library's route: factor V where M <= 2N
            V = U * np.sqrt(lam)
            stats = condition_on_features(V, lam * omega, signal, seq, T, Backend())
        else:
            stats = condition_on(C.copy(), D, signal, seq, T, model.M, Backend())
        cond[r] = conditional_losses(stats, model.noise, [ridge]).loss[0]
    return full, cond


def bench_variance_ratio(reps: int, seeds: int) -> None:
    configs = [  # (M, N, T, noise, ridge)
        (400, 100, 200, 0.0, 0.0),
        (400, 200, 100, 0.0, 1e-3),
        (400, 100, 600, 0.1, 0.0),
        (400, 600, 200, 0.0, 1e-3),
        (400, 600, 800, 0.1, 1e-2),
        (400, 300, 150, 0.05, 0.0),
    ]
    print(f"(d)  variance ratio full/conditional ({reps} draws for one fixed U; {seeds} seeds)")
    print("     M     N     T  noise  ridge   mean full    mean cond      z   fixed U   seeds")
    for M, N, T, noise, ridge in configs:
        model = DataModel(M=M, alpha=1.0, noise=noise)
        full, cond = fixed_u_variances(model, N, T, ridge, reps)
        se = np.hypot(full.std(ddof=1), cond.std(ddof=1)) / np.sqrt(reps)
        z = (cond.mean() - full.mean()) / se
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kw = dict(N=N, T=T, ridge=ridge, seeds=seeds, seed=3)
            a = simulate(model, estimator="full", **kw).loss[:, 0, 0, 0]
            b = simulate(model, estimator="conditional", **kw).loss[:, 0, 0, 0]
        print(f"  {M:4d} {N:5d} {T:5d} {noise:6.2f} {ridge:6.0e} {full.mean():11.4e} "
              f"{cond.mean():12.4e} {z:6.2f} {full.var() / cond.var():9.2f} "
              f"{a.var(ddof=1) / b.var(ddof=1):7.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.quick:
        bench_point_vs_floor(512, 2048, 1)
        bench_large_m(512, 1 << 16)
        bench_grid(512, 2048)
        bench_vs_sklearn(128, 256, 1024, 6)
        bench_variance_ratio(100, 16)
    else:
        bench_point_vs_floor(2048, 8192, 2)
        bench_large_m(1024, 1 << 18)
        bench_grid(2048, 8192)
        bench_vs_sklearn(256, 1024, 4096, 12)
        bench_variance_ratio(400, 32)
    print(f"     (whole benchmark: {(time.perf_counter() - start) / 60:.1f} min)")


if __name__ == "__main__":
    main()
