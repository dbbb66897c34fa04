"""Figures of the training-dynamics module (issue 17): loss against steps for several N (theory
over simulation, SGD; exact GD with label noise) and the SGD compute-optimal frontier.

Run: ``.venv/bin/python examples/dynamics_figures.py --out dynamics-figures`` (a few minutes).
Prints the tables behind each figure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from scalinglab import DataModel
from scalinglab.dynamics import simulate_gd, simulate_sgd, stable_lr
from scalinglab.dynamics.theory import compute_optimal_sgd, train_curve


def _compare(title: str, path: Path, steps: np.ndarray, curves) -> None:
    """Print and plot theory over simulation; ``curves`` yields (N, theory, mean, s.e., rows)."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    print(f"\n{title}")
    print(f"{'N':>5} {'step':>6} {'theory':>11} {'simulation':>11} {'s.e.':>9} {'rel':>7}")
    for N, th, mean, sem, rows in curves:
        for k in rows:
            print(f"{N:>5} {steps[k]:>6} {th[k]:>11.4e} {mean[k]:>11.4e} {sem[k]:>9.1e} "
                  f"{th[k] / mean[k] - 1:>+7.3f}")  # fmt: skip
        line = ax.loglog(steps, th, label=f"N = {N} theory")[0]
        ax.errorbar(steps, mean, yerr=sem, fmt="o", ms=3, color=line.get_color())
    ax.set(xlabel="steps", ylabel="test loss", title="theory (lines) over simulation")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def sgd_curves(out: Path) -> None:
    model = DataModel(M=4000, alpha=1.0)
    steps = np.unique(np.geomspace(1, 3000, 14).astype(int))

    def curves():
        for N in (200, 400, 800):
            lr = 0.5 * stable_lr(model, N, optimizer="sgd")
            sim = simulate_sgd(model, N, steps, lr, seeds=6)
            th = train_curve(model, N, steps, lr).loss[0, 0, 0]
            yield N, th, sim.loss_mean[0, 0], sim.loss_sem[0, 0], (0, 5, 9, len(steps) - 1)

    _compare("SGD, M = 4000, alpha = 1, batch 1, lr = 0.5 x stable, 6 draws",
             out / "sgd_loss_vs_steps.png", steps, curves())  # fmt: skip


def gd_curves(out: Path) -> None:
    model = DataModel(M=2000, alpha=1.0, sigma_w=10.0, noise=0.5)
    steps = np.unique(np.geomspace(1, 10**5, 30).astype(int))

    def curves():
        for N in (200, 800):
            lr = 0.5 * stable_lr(model, N, T=400)
            sim = simulate_gd(model, N, 400, steps, lr, seeds=8)
            th = train_curve(model, N, steps, lr, optimizer="gd", T=400).loss[0, 0, 0]
            mean = sim.loss_mean[0, 0]
            yield N, th, mean, sim.loss_sem[0, 0], (1, 10, int(np.argmin(mean)), len(steps) - 1)

    _compare("GD, M = 2000, T = 400, noise 0.5, lr = 0.5 x stable, 8 draws (exact)",
             out / "gd_loss_vs_steps.png", steps, curves())  # fmt: skip


def frontier(out: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.6))
    print("\nSGD compute-optimal frontier, M = 10^6, budgets 1e6..1e9")
    print(f"{'alpha':>5} {'N* fit':>8} {'1/(2+a)':>8} {'steps* fit':>10} {'L* fit':>8} "
          f"{'-a/(2+a)':>8}")  # fmt: skip
    for alpha in (0.5, 1.0, 2.0):
        budgets = np.geomspace(1e6, 1e9, 7)
        lo, hi = budgets[0] ** (1 / (2 + alpha)), budgets[-1] ** (1 / (2 + alpha))
        Ns = np.unique(np.geomspace(lo / 2, hi * 3, 14).astype(int))
        fr = compute_optimal_sgd(DataModel(M=10**6, alpha=alpha), budgets, Ns=Ns)
        print(
            f"{alpha:>5} {fr.exponent_N:>8.4f} {fr.predicted_N:>8.4f} "
            f"{fr.exponent_steps:>10.4f} {fr.exponent_loss:>8.4f} {fr.predicted_loss:>8.4f}"
        )
        ax.loglog(fr.budget, fr.N, "o", label=f"alpha = {alpha}: fit {fr.exponent_N:.3f}")
        ax.loglog(fr.budget, fr.N[0] * (fr.budget / fr.budget[0]) ** fr.predicted_N, "k:")
    ax.set(xlabel="budget C = N x steps", ylabel="N*", title="N*(C): fit vs 1/(2+alpha) (dotted)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "sgd_frontier.png", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("dynamics-figures"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sgd_curves(args.out)
    gd_curves(args.out)
    frontier(args.out)


if __name__ == "__main__":
    main()
