"""Benchmark of ``exponents --learner kernel`` on Fashion-MNIST up to T = 10,000 (issue 19:
under 3 minutes on 2 cores) and of the MLP learner's default grid (under 10 minutes).

Baseline, measured in the same run: the unavoidable core of kernel ridge at the largest T, one
Laplace kernel matrix of the training rows and one Cholesky factorisation of it. The study
does this once per seed (its smaller T are nested prefixes) plus the pool's eigensystems, so
its time over the baseline's is printed as a ratio, with wall-clock and process CPU time (on a
loaded machine the CPU time is the number to compare with the goal). Uses the Debian
Fashion-MNIST when installed, otherwise seeded synthetic data of the same shape.

Run: ``python benchmarks/bench_exponents.py [--mlp]``
"""

from __future__ import annotations

import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from scalinglab.learners import make_targets, study_exponents
from scalinglab.learners.exponents import default_T
from scalinglab.learners.kernels import kernel_matrix
from scalinglab.realdata.loaders import FASHION_MNIST_DIR, Dataset, load_dataset

T_KERNEL = [100, 215, 464, 1000, 2154, 4642, 10000]


def _data() -> Dataset:
    if (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        return load_dataset("fashion-mnist")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60000, 784)) * np.sqrt(np.arange(1, 785) ** -1.3)
    return Dataset("synthetic", X, rng.integers(10, size=60000))


def _ci(ci) -> str:
    return "(no interval)" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _timed(func):
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    data = _data()
    X, Y = make_targets(data, "onehot")
    print(f"data: {data.name}, {X.shape[0]} x {X.shape[1]}, one-hot targets")
    with threadpool_limits(limits=2):

        def baseline():
            from scipy.linalg import cho_factor

            K = kernel_matrix("laplace", X[:10000])
            K[np.diag_indices_from(K)] += 1e-6
            return cho_factor(K, overwrite_a=True, check_finite=False)

        _, b_wall, b_cpu = _timed(baseline)
        study, wall, cpu = _timed(lambda: study_exponents(X, Y, dataset=data.name,
                                                          target="onehot", T=T_KERNEL))  # fmt: skip
        rec = study.to_dict()
        print(f"baseline (Laplace kernel + Cholesky at T = 10000): {b_wall:.1f} s wall, "
              f"{b_cpu:.1f} s CPU")  # fmt: skip
        print(f"exponents --learner kernel, T = {T_KERNEL[0]}..{T_KERNEL[-1]}, 3 seeds, pool "
              f"2000, 10 replicates: {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"(goal < 180 s on 2 cores), ratio {wall / b_wall:.1f}x baseline")  # fmt: skip
        print(
            f"  predicted {rec['predicted_exponent']:.3f} {_ci(rec['predicted_exponent_ci'])}, "
            f"measured {rec['measured_exponent']:.3f} {_ci(rec['measured_exponent_ci'])}"
        )
        if "--mlp" in sys.argv:
            Ts = default_T(X.shape[0] - 1000, "mlp")
            run = lambda: study_exponents(X, Y, dataset=data.name, target="onehot", learner="mlp")  # noqa: E731
            study, wall, cpu = _timed(run)
            rec = study.to_dict()
            print(f"exponents --learner mlp (default grid T = {Ts}, width 256, depth 2, 1000 "
                  f"Adam steps, 3 seeds): {wall:.1f} s wall, {cpu:.1f} s CPU "
                  "(goal < 600 s)")  # fmt: skip
            print(
                f"  predicted (lazy NTK) {rec['predicted_exponent']:.3f}, measured "
                f"{rec['measured_exponent']:.3f} {_ci(rec['measured_exponent_ci'])}"
            )
            from scalinglab.cli.exponents import study_cost

            n_pool = min(2000, X.shape[0])
            guess = study_cost("mlp", *X.shape, Y.shape[1], Ts, n_pool, 10, 3, None, 2, 1000, None)
            print(f"  the time guard's estimate: {guess[0]:.0f} s ({cpu / guess[0]:.2f}x of it "
                  "in CPU time)")  # fmt: skip


if __name__ == "__main__":
    main()
