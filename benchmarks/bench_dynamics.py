"""Speed of the training-dynamics module (issue 17), baselines measured in the same run.

(a) GD: the exact loss at 100 step values for one point at N = T = 2048, M = 8192
    (``simulate_gd``), against one ``simulate`` point (one ridge) on the same sizes.
    Goal: ratio <= 1.2.
(b) SGD theory: a 10^5-step loss curve at M = 10^6 (``train_curve``; constant schedule, blocked
    recursion, and a cosine schedule stepped one update at a time). Goal: < 1 s on a CPU.
    Printed as wall-clock and as process CPU time (the latter is what a loaded machine does
    not inflate), with the plain stepped recursion on the same modes as the baseline.

Run: ``.venv/bin/python benchmarks/bench_dynamics.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench_simulate import best_of
from scalinglab import DataModel
from scalinglab.dynamics import recursion, simulate_gd, stable_lr
from scalinglab.dynamics.theory import theory_stable_lr, train_curve
from scalinglab.simulation import simulate


def bench_gd(N: int, M: int, repeats: int) -> None:
    model = DataModel(M=M, alpha=1.0)
    steps = np.unique(np.geomspace(1, 10**6, 100).astype(int))
    steps = np.concatenate([steps, np.arange(1, 101 - steps.size)])[:100]
    lr = 0.5 * stable_lr(model, N, T=N)  # half the GD stability limit 2T/s_max
    base = best_of(lambda: simulate(model, N=N, T=N, ridge=0.0, seeds=1), repeats)
    ours = best_of(lambda: simulate_gd(model, N, N, steps, lr), repeats)
    print(f"(a) GD, {steps.size} steps, N = T = {N}, M = {M}: simulate_gd {ours:.2f} s, "
          f"one simulate point {base:.2f} s, ratio {ours / base:.2f} (goal <= 1.2)")  # fmt: skip


def cpu_best_of(fn, repeats: int) -> float:
    """The least process CPU time (all threads) of ``repeats`` calls."""
    return best_of(fn, repeats, time.process_time)


def bench_sgd_theory(M: int, steps_max: int, repeats: int) -> None:
    model = DataModel(M=M, alpha=1.0)
    N = 1000
    lr = 0.5 * theory_stable_lr(model, N)
    steps = np.unique(np.geomspace(1, steps_max, 200).astype(int))
    curve = lambda: train_curve(model, N, steps, lr)  # noqa: E731
    wall, cpu = best_of(curve, repeats), cpu_best_of(curve, repeats)
    cosine = cpu_best_of(lambda: train_curve(model, N, steps, lr, schedule="cosine"), repeats)
    blocked_min = recursion.MIN_RUN
    recursion.MIN_RUN = steps_max + 1  # baseline: the same modes, stepped update by update
    try:
        stepped = cpu_best_of(curve, repeats)
    finally:
        recursion.MIN_RUN = blocked_min
    print(f"(b) SGD theory, {steps_max:.0e}-step curve, M = {M:.0e}, N = {N}: constant "
          f"{wall:.3f} s wall, {cpu:.3f} s CPU (goal < 1 s); stepped baseline {stepped:.3f} s "
          f"CPU, ratio {cpu / stepped:.2f}; cosine (stepped) {cosine:.3f} s CPU")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        bench_gd(256, 1024, 1)
        bench_sgd_theory(10**5, 10**4, 1)
    else:
        bench_gd(2048, 8192, 2)
        bench_sgd_theory(10**6, 10**5, 3)


if __name__ == "__main__":
    main()
