"""Speed of scaling-law fitting (issue 9), with the baseline measured in the same run.

Data: the Chinchilla law (Hoffmann et al. 2022 parameters) at 400 random (N, T) points with 1 %
log-normal noise. Measured:

(0) baseline: one plain ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` from a single
    start (the centre of the grid) on the same Huber objective, one BLAS thread;
(a) the 5-parameter fit from the 4^5 = 1024-point start grid (default: every start screened by
    20 L-BFGS-B steps, the 8 best run to convergence); goal: well under 10 s;
(a') the same grid with every start run to convergence (``screen_iter=None``), and whether both
    reach the same optimum;
(b) 1000 bootstrap refits warm-started from the best fit; goal: under a minute;
(c) variable projection (NNLS over a 16^2 exponent grid, then the Huber polish).

Each is reported as seconds and as a multiple of the baseline. Run:
``.venv/bin/python benchmarks/bench_fit.py``. On a machine shared with other work the figures
are noisy; the load average is printed with them.
"""

from __future__ import annotations

import os
import time

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from scalinglab.fitting import FORMS, FitData, fit_scaling_law
from scalinglab.fitting.bootstrap import bootstrap_fits
from scalinglab.fitting.objective import HuberObjective

TRUTH = dict(E=1.69, A=406.4, B=410.7, a=0.34, b=0.28)


def make_data(n: int = 400, seed: int = 0) -> FitData:
    rng = np.random.default_rng(seed)
    N = np.exp(rng.uniform(np.log(1e7), np.log(1e10), n))
    T = np.exp(rng.uniform(np.log(1e9), np.log(1e12), n))
    loss = FORMS["chinchilla"].predict(TRUTH, N, T) * np.exp(0.01 * rng.standard_normal(n))
    return FitData(N, T, loss)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    data = make_data()
    form = FORMS["chinchilla"]
    objective = HuberObjective(form, data.N, data.T, data.loss, np.ones(data.n_points), 1e-3)
    bounds = form.internal_bounds(data.N, data.T)
    start = np.median(form.starts(data.N, data.T, data.loss, 4), axis=0)

    def baseline():
        with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
            return minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)

    base = min(timed(baseline)[0] for _ in range(5))
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"(0)  baseline, one L-BFGS-B call from one start:  {base * 1e3:8.1f} ms")

    t_fit, fit = timed(lambda: fit_scaling_law(data, "chinchilla", n_grid=4))
    print(f"(a)  4^5-start fit, 400 points (screened):        {t_fit:8.2f} s  "
          f"= {t_fit / base:7.0f} x baseline  [goal: well under 10 s]")  # fmt: skip
    t_full, full = timed(lambda: fit_scaling_law(data, "chinchilla", n_grid=4, screen_iter=None))
    same = abs(full.objective - fit.objective) <= 1e-9 * fit.objective
    print(f"(a') 4^5-start fit, every start to convergence:   {t_full:8.2f} s  "
          f"= {t_full / base:7.0f} x baseline  (same optimum as (a): {same})")  # fmt: skip

    theta = form.to_internal(fit.params)

    def boot():
        with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
            return bootstrap_fits(objective, data, theta, bounds, 1000, 0, 1000, n_params=5)

    t_boot, (_, frac) = timed(boot)
    print(f"(b)  1000 bootstrap refits (warm starts):          {t_boot:8.2f} s  "
          f"= {t_boot / base:7.0f} x baseline  [goal: < 60 s; {frac:.0%} converged]")  # fmt: skip
    t_vp, vp = timed(lambda: fit_scaling_law(data, "chinchilla", method="varpro"))
    ratio = vp.objective / fit.objective
    print(f"(c)  variable projection + polish:                 {t_vp:8.2f} s  "
          f"= {t_vp / base:7.0f} x baseline  (objective / (a): {ratio:.9f})")  # fmt: skip
    print("fitted:", {k: round(v, 4) for k, v in fit.params.items()}, "truth:", TRUTH)


if __name__ == "__main__":
    main()
