"""Benchmark of the real-data tools against plain baselines measured in the same run.

Targets (issue 7): the spectrum of 60,000 x 784 Fashion-MNIST in under 10 s on 2 cores, and
the intrinsic dimension of 10,000 points in under 10 s. Baselines: ``numpy.linalg.svd`` of the
full centred matrix (spectrum) and a brute-force ``scipy.spatial.distance.cdist`` + partition
neighbour search (dimension). Uses the Debian Fashion-MNIST when installed, otherwise seeded
synthetic power-law data of the same shape.

Run: ``python benchmarks/bench_realdata.py``
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from scalinglab.realdata.covariance import covariance_spectrum
from scalinglab.realdata.dimension import intrinsic_dimension
from scalinglab.realdata.loaders import FASHION_MNIST_DIR, load_dataset
from scalinglab.realdata.spectrum_fit import fit_spectrum


def _data() -> tuple[str, np.ndarray]:
    if (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        return "fashion-mnist", load_dataset("fashion-mnist").X
    rng = np.random.default_rng(0)
    lam = np.arange(1, 785) ** -1.3
    return "synthetic power law", rng.standard_normal((60000, 784)) * np.sqrt(lam)


def _timed(func):
    start = time.perf_counter()
    out = func()
    return out, time.perf_counter() - start


def main() -> None:
    name, X = _data()
    print(f"data: {name}, {X.shape[0]} x {X.shape[1]}")
    with threadpool_limits(limits=2):
        ev, t_ours = _timed(lambda: covariance_spectrum(X))
        fit, t_fit = _timed(lambda: fit_spectrum(X, n_boot=20, eigenvalues=ev))

        def svd_baseline():
            Xc = X - X.mean(axis=0)
            return np.linalg.svd(Xc, compute_uv=False) ** 2 / (X.shape[0] - 1)

        ref, t_svd = _timed(svd_baseline)
        err = float(np.max(np.abs(ev[:100] - ref[:100]) / ref[:100]))
        print(f"spectrum (auto: covariance + eigh): {t_ours:.2f} s   target < 10 s")
        print(f"baseline numpy.linalg.svd:           {t_svd:.2f} s   ratio {t_svd / t_ours:.1f}x")
        print(f"max relative difference, top 100:    {err:.1e}")
        print(f"power-law fit + 20 param. replicates:{t_fit:.2f} s   exponent "
              f"{fit.fit.exponent:.3f} over ranks {fit.fit.fit_range}")  # fmt: skip

        sub = X[np.random.default_rng(1).choice(X.shape[0], 10000, replace=False)]
        res, t_dim = _timed(lambda: intrinsic_dimension(sub))

        def brute_baseline():
            from scipy.spatial.distance import cdist

            dist = cdist(sub, sub)
            np.fill_diagonal(dist, np.inf)
            return np.partition(dist, 20, axis=1)[:, :21]

        _, t_brute = _timed(brute_baseline)
        print(f"intrinsic dimension, 10,000 points:  {t_dim:.2f} s   target < 10 s "
              f"(mle {res.mle:.2f}, twonn {res.twonn:.2f})")  # fmt: skip
        print(f"baseline cdist + partition:          {t_brute:.2f} s   ratio "
              f"{t_brute / t_dim:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
