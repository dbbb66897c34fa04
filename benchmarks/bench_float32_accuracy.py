"""Accuracy of float32 accumulation against float64 on the same draws (issue 8, spec §8.1).

For alpha in {0.5, 1, 2} and a set of (N, T) from far below M to near and beyond it, prints the
relative error of the float32 loss (float32 draws and latent sums, float64 solve) against the
float64 loss, the precision floor the simulator reports for it (resolution / loss), and
whether the simulator warns. The sizes are fractions of ``--M``; ``--M 6300`` reaches the
issue's N, T up to 8190 (about 25 minutes on 2 CPU cores; ``--backend torch --device cuda``
runs it on a GPU).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from scalinglab import DataModel, NumericalWarning
from scalinglab._rng import spawn_seeds
from scalinglab.simulation import Backend, accumulate, ridge_losses

RIDGES = np.array([0.0, 1e-6, 1e-4, 1e-2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--M", type=int, default=2000)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    M = args.M
    fractions = [(0.1, 0.4), (0.5, 0.25), (0.5, 0.7), (0.75, 0.75), (0.95, 1.3), (1.3, 0.95)]
    print(f"M = {M}; one column per ridge {RIDGES.tolist()}: relative error | reported floor")
    worst_ratio = 0.0
    for alpha in (0.5, 1.0, 2.0):
        model = DataModel(M=M, alpha=alpha)
        for fn, ft in fractions:
            N, T = int(fn * M), int(ft * M)
            seq = spawn_seeds(0, 1)[0]
            hi = accumulate(model, seq, N, T, backend=Backend(args.backend, args.device))
            lo = accumulate(model, seq, N, T, backend=Backend(args.backend, args.device, "float32"))
            ref = ridge_losses(hi.F, hi.C, hi.B, hi.K, hi.signal, 0.0, RIDGES)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumericalWarning)
                low = ridge_losses(lo.F, lo.C, lo.B, lo.K, lo.signal, 0.0, RIDGES)
            err = np.abs(low.loss / ref.loss - 1)
            with np.errstate(divide="ignore"):  # a float32 loss clipped at 0: floor = inf
                floor = low.resolution / low.loss
            worst_ratio = max(worst_ratio, float(np.max(err / floor)))
            cells = "  ".join(f"{e:8.1e} | {f:7.1e}" for e, f in zip(err, floor))
            trusted = "ok " if np.all(floor < 1e-2) else "WARN"
            print(f"alpha={alpha:<3} N={N:<5} T={T:<5} {trusted} {cells}")
    print(
        f"largest error / reported floor: {worst_ratio:.2f} (the floor is an upper bound if <= 1)"
    )


if __name__ == "__main__":
    main()
