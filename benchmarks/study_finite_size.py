"""Study (issue 22): finite-size theory and deterministic equivalent against exact simulation.

Ridgeless table: 29 configurations (N < T and N > T, with and without noise, alpha in
{0.5, 1, 2}, N or T between 30 and 1000, T up to 0.96 M, the four of issue 22 marked *). For
each: the simulation mean over ``SEEDS`` seeds (``scalinglab.simulate``, shared draws per group)
with its s.e., the finite-size theory (``predict(..., finite_size=True)``, independent draws)
with its s.e., and both relative errors. ``ok`` means |finite-size − sim| ≤ max(0.3 %,
2 s.e.), the s.e. combining both Monte Carlo errors; ``de_off`` that the DE is outside it.

Ridge table: at ridge γ*/10 and γ* (γ* the DE's optimal ridge at the group's first point), the
DE's error against simulation and the error band FS-6 (``covered``: |DE − sim| ≤ band + 2 s.e.).

Run: ``.venv/bin/python benchmarks/study_finite_size.py [--seeds 48] [--draws 200] [--quick]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from scalinglab import DataModel, predict, simulate
from scalinglab.exceptions import NumericalWarning
from scalinglab.theory import optimal_ridge

# (M, alpha, noise, Ns, Ts): one simulate call per group; every (N, T) of the grid is a config
GROUPS = [
    (1000, 1.0, 0.0, [100, 600], [50, 500, 900]),
    (1000, 1.0, 0.003, [450, 800], [100, 500]),
    (500, 1.0, 0.003, [1000], [300, 400, 480]),
    (2000, 2.0, 0.0, [100], [150, 1000]),
    (2000, 2.0, 0.001, [30, 300], [60, 250]),
    (1000, 0.5, 0.0, [200], [150, 600]),
    (1000, 0.5, 0.003, [300], [250, 950]),
    (1000, 1.0, 0.003, [200], [150, 260]),
    (500, 2.0, 0.0, [60], [40, 90]),
    (1000, 0.5, 0.0, [400], [330, 470]),
]
ISSUE = {(1000, 600, 500), (1000, 450, 500), (500, 1000, 480), (2000, 100, 1000)}
QUICK = [GROUPS[2], (300, 1.0, 0.003, [100], [60, 250])]


def run(groups, seeds: int, draws: int) -> tuple[list[dict], list[dict]]:
    ridgeless, ridged = [], []
    for M, alpha, noise, Ns, Ts in groups:
        model = DataModel(M=M, alpha=alpha, noise=noise)
        g_star = float(optimal_ridge(model, Ns[0], Ts[0]).ridge)
        ridges = [0.0, g_star / 10, g_star]
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumericalWarning)
            sim = simulate(model, N=Ns, T=Ts, ridge=ridges, seeds=seeds, seed=2026)
        t_sim = time.perf_counter() - start
        n, t, r = np.meshgrid(Ns, Ts, ridges, indexing="ij")
        start = time.perf_counter()
        fs = predict(model, n, t, r, finite_size=True, draws=draws, seed=7)
        t_fs = time.perf_counter() - start
        mean = sim.loss.mean(axis=0)
        sem = sim.loss.std(axis=0, ddof=1) / np.sqrt(seeds)
        for idx in np.ndindex(n.shape):
            row = {
                "M": M,
                "alpha": alpha,
                "noise": noise,
                "N": int(n[idx]),
                "T": int(t[idx]),
                "ridge": float(r[idx]),
                "sim": mean[idx],
                "sim_sem": sem[idx],
                "fs": float(fs.loss[idx]),
                "fs_sem": float(fs.loss_sem[idx]),
                "de": float(fs.equivalent[idx]),
                "band": float(fs.loss_band[idx]),
                "t_sim": t_sim,
                "t_fs": t_fs,
            }
            (ridgeless if r[idx] == 0 else ridged).append(row)
    return ridgeless, ridged


def print_tables(ridgeless: list[dict], ridged: list[dict], seeds: int, draws: int) -> None:
    print(f"Ridgeless: simulation {seeds} seeds, finite-size theory {draws} draws")
    print(
        f"{'':1}{'M':>5} {'alpha':>5} {'noise':>6} {'N':>5} {'T':>5} {'sim':>11} {'sim_se':>7} "
        f"{'fs_err':>8} {'fs_se':>6} {'de_err':>8} {'tol':>6} {'ok':>3} {'de_off':>6}"
    )
    passed = discriminating = 0
    for x in ridgeless:
        se = np.hypot(x["sim_sem"], x["fs_sem"]) / x["sim"]
        tol = max(0.003, 2.0 * se)
        fs_err, de_err = x["fs"] / x["sim"] - 1.0, x["de"] / x["sim"] - 1.0
        ok, de_off = abs(fs_err) <= tol, abs(de_err) > tol
        passed += ok
        discriminating += ok and de_off
        star = "*" if (x["M"], x["N"], x["T"]) in ISSUE else " "
        print(
            f"{star}{x['M']:>5} {x['alpha']:>5g} {x['noise']:>6g} {x['N']:>5} {x['T']:>5} "
            f"{x['sim']:>11.5g} {x['sim_sem'] / x['sim']:>7.2%} {fs_err:>+8.2%} "
            f"{x['fs_sem'] / x['sim']:>6.2%} {de_err:>+8.2%} {tol:>6.2%} "
            f"{'yes' if ok else 'NO':>3} {'yes' if de_off else 'no':>6}"
        )
    print(f"finite-size theory within tolerance at {passed}/{len(ridgeless)} configurations")
    print(f"... of which the DE is off by more than the tolerance at {discriminating}")
    print()
    print("Ridge > 0: the DE's error and its band FS-6 (relative to simulation)")
    print(
        f"{'M':>5} {'alpha':>5} {'noise':>6} {'N':>5} {'T':>5} {'ridge':>9} {'sim_se':>7} "
        f"{'de_err':>8} {'band':>7} {'covered':>7}"
    )
    covered = 0
    for x in ridged:
        de_err = x["de"] / x["sim"] - 1.0
        cov = abs(x["de"] - x["sim"]) <= x["band"] + 2.0 * x["sim_sem"]
        covered += cov
        print(
            f"{x['M']:>5} {x['alpha']:>5g} {x['noise']:>6g} {x['N']:>5} {x['T']:>5} "
            f"{x['ridge']:>9.3g} {x['sim_sem'] / x['sim']:>7.2%} {de_err:>+8.2%} "
            f"{x['band'] / x['sim']:>7.2%} {'yes' if cov else 'NO':>7}"
        )
    print(f"band covers the DE's error at {covered}/{len(ridged)} ridged points")
    t_sim = sum({(x["M"], x["alpha"], x["noise"]): x["t_sim"] for x in ridgeless}.values())
    t_fs = sum({(x["M"], x["alpha"], x["noise"]): x["t_fs"] for x in ridgeless}.values())
    print(f"time: simulation {t_sim:.0f} s, finite-size theory {t_fs:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=48)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="two small groups only")
    args = parser.parse_args()
    ridgeless, ridged = run(QUICK if args.quick else GROUPS, args.seeds, args.draws)
    print_tables(ridgeless, ridged, args.seeds, args.draws)


if __name__ == "__main__":
    main()
