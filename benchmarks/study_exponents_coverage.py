"""Coverage study of the two intervals of ``exponents`` on data with a planted spectrum.

Data: Gaussian inputs in d dimensions with covariance eigenvalues k^-(1+alpha) and ten isotropic
linear teachers; the learner is kernel ridge with the linear kernel (docs/exponents.md §6).

* **Measured interval** (t over seeds). The truth is the slope of the expected learning curve,
  estimated by the mean curve over ``TRUTH_SEEDS`` independent draws (its own error is far below
  the interval widths). Each of ``REPEATS`` studies with 3 seeds gives an interval; the study
  prints how many cover the truth.
* **Predicted interval**. Its target is the spread of the prediction over independent pools
  from the population: the study prints, for both replicate kinds (independent pools, used when
  the data set holds two pools' worth of points, and the bootstrap of one pool, used otherwise),
  the replicates' standard error averaged over ``REPEATS`` studies beside the standard
  deviation of their predictions, and how many intervals cover the mean prediction.

Run: ``python benchmarks/study_exponents_coverage.py [REPEATS]``
"""

from __future__ import annotations

import sys

import numpy as np
from threadpoolctl import threadpool_limits

from scalinglab.learners.exponents import predict_exponent, study_exponents
from scalinglab.learners.training import measure_curve

ALPHA, D, T = 1.0, 400, [20, 40, 80, 160]
TRUTH_SEEDS = 400
FIT = np.array([False, True, True, True])
PRED = dict(kernel="linear", ridge=1e-6, n_pool=600, fit_ranks=(3, 60), n_boot=20)


def planted(n: int, seed: int):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    lam = np.arange(1, D + 1, dtype=np.float64) ** -(1.0 + ALPHA)
    X = rng.standard_normal((n, D)) * np.sqrt(lam)
    Y = X @ np.random.default_rng(12345).standard_normal((D, 10))  # the same teachers
    X /= np.sqrt(np.mean(X * X))
    return X, Y


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with threadpool_limits(limits=1):
        X, Y = planted(40000, 0)
        kw = dict(learner="kernel", kernel="linear", ridge=1e-6, n_test=2000)
        losses = measure_curve(X, Y, T, seeds=TRUTH_SEEDS, seed=999, **kw)
        Tf = np.asarray(T)[FIT]
        truth = float(-np.polyfit(np.log(Tf), np.log(losses.mean(axis=0)[FIT]), 1)[0])
        covered, widths = 0, []
        for r in range(repeats):
            Xr, Yr = planted(2000, 1000 + r)
            study = study_exponents(Xr, Yr, T=T, n_test=500, seeds=3, n_pool=600,
                                    fit_ranks=(3, 60), n_boot=2, dimension=False, seed=r,
                                    kernel="linear")  # fmt: skip
            lo, hi = study.measured_interval
            covered += lo <= truth <= hi
            widths.append(hi - lo)
        print(
            f"measured interval: truth {truth:.4f} (mean curve of {TRUTH_SEEDS} draws); "
            f"{covered}/{repeats} 95% intervals cover it; mean width {np.mean(widths):.3f}"
        )
        for kind, n in (("independent pools", 40000), ("bootstrap of the pool", 600)):
            preds, ses, intervals = [], [], []
            for r in range(repeats):
                Xr, Yr = planted(n, 5000 + r)
                pred, _, _ = predict_exponent(Xr, Yr, T, FIT, seed=r, **PRED)
                preds.append(pred.exponent)
                ses.append(np.std(pred.replicates, ddof=1))
                intervals.append(pred.interval)
            centre = float(np.mean(preds))
            hit = sum(lo <= centre <= hi for lo, hi in intervals)
            spread = np.std(preds, ddof=1)
            print(f"predicted interval ({kind}): sd over {repeats} studies {spread:.4f}, mean "
                  f"replicate se {np.mean(ses):.4f}; {hit}/{repeats} intervals cover the mean "
                  f"prediction {centre:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
