"""Cost of a ReLU simulation point against the linear point of the same size.

Goal (issue 4): a relu point at N = T = 2048, M = 8192 costs at most 1.5x the linear point (the
kernel is elementwise on an N x N matrix). Both use the same seed, so the accumulation and the
eigendecomposition are identical work; the ratio isolates the feature-map overhead.

Usage: python benchmarks/bench_nonlinear.py [--N 2048] [--T 2048] [--M 8192] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

from scalinglab import DataModel
from scalinglab.simulation import simulate


def _best(model: DataModel, N: int, T: int, activation: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(model, N, T, [0.0, 1e-3], seeds=1, seed=0, activation=activation)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=2048)
    parser.add_argument("--T", type=int, default=2048)
    parser.add_argument("--M", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    model = DataModel(M=args.M, alpha=1.0)
    linear = _best(model, args.N, args.T, "linear", args.repeats)
    relu = _best(model, args.N, args.T, "relu", args.repeats)
    print(f"N = T = {args.N}/{args.T}, M = {args.M} (best of {args.repeats})")
    print(f"linear point: {linear:.2f} s")
    print(f"relu point:   {relu:.2f} s")
    print(f"ratio relu/linear: {relu / linear:.3f}  (goal <= 1.5)")


if __name__ == "__main__":
    main()
