"""Mutation check: plausible one-line bugs, each of which some test must catch.

``make test-mutation`` (or ``python tests/mutation/mutate.py [--only NAME,...] [--list]``)
copies ``src/`` and ``tests/`` to a temporary folder, runs the relevant tests once unmutated
(they must pass), then for each mutation below replaces one line of the copy, runs that
mutation's tests against the mutated package (``PYTHONPATH`` puts the copy first, also for the
CLI subprocesses) and restores the line. It prints a table of the tests that failed for each
mutation and exits with status 1 if any mutation survives (no test failed) or no longer applies
(its line is gone from the source: update the list).

Not part of ``make test``: a full run takes several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutation:
    """Replace ``old`` (exactly one occurrence) by ``new`` in ``src/scalinglab/<path>``."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


INDEPENDENT = "tests/simulation/test_independent_draws.py"
EXACT = "tests/simulation/test_exact_loss.py"
EQUIVALENT = "tests/theory/test_equivalent.py"
ASYMPTOTICS = "tests/theory/test_asymptotics.py"
OPTIMAL = "tests/theory/test_optimal.py"
WALD = "tests/fitting/test_coverage.py::test_asymptotic_intervals_cover_at_the_nominal_rate"
WIDTH = "tests/fitting/test_coverage.py::test_bootstrap_interval_width_matches_the_sampling_spread"
DIGITS = "tests/realdata/test_realdata_predict.py::test_digits_learning_curve_prediction"
CONDITIONAL = "tests/simulation/test_conditional.py"

MUTATIONS = [
    # --- the data model (spec §2-§3.1)
    Mutation("feature scale σ_u²/M → σ_u/M", "model.py",
             "return self.sigma_u**2 / self.M", "return self.sigma_u / self.M",
             (INDEPENDENT,)),
    Mutation("teacher prior ω_J = σ_w²/M → σ_w/M", "model.py",
             "self.sigma_w**2 / self.M)", "self.sigma_w / self.M)", (INDEPENDENT,)),
    Mutation("eigenvalue index J → J+1", "model.py",
             "J = np.arange(start + 1, stop + 1,", "J = np.arange(start + 2, stop + 2,",
             (INDEPENDENT, EXACT)),
    Mutation("spectrum exponent −(1+α) → −α", "model.py",
             "return self.lambda_plus * J ** (-(1.0 + self.alpha))",
             "return self.lambda_plus * J ** (-self.alpha)", (INDEPENDENT,)),
    # --- the simulator (spec §5)
    Mutation("X scaled by λ instead of √λ", "simulation/accumulate.py",
             "        X *= sqrt_lam\n", "        X *= backend.asarray(lam)\n",
             (INDEPENDENT, EXACT)),
    Mutation("label noise σ in place of σ²", "simulation/ridge_loss.py",
             "    var = float(noise) ** 2", "    var = float(noise)", (EXACT,)),
    Mutation("ridge doubled in the spectral inverse", "simulation/ridge_loss.py",
             "1.0 / (s_kept[None, :] + gam)", "1.0 / (s_kept[None, :] + 2.0 * gam)", (EXACT,)),
    Mutation("seed s.e. divided by n instead of √n", "simulation/result.py",
             "values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])",
             "values.std(axis=0, ddof=1) / values.shape[0]", (EXACT,)),
    Mutation("ReLU kernel (π − arccos ρ) → arccos ρ", "features/kernels.py",
             "(s + (math.pi - xp.acos(rho)) * rho)", "(s + xp.acos(rho) * rho)",
             ("tests/nonlinear/test_kernels.py", "tests/nonlinear/test_exact_loss.py")),
    Mutation("ReLU Stein slope ½ → 1", "features/kernels.py",
             "return FeatureMoments(S, mean, 0.5 * xp.ones_like(mean))",
             "return FeatureMoments(S, mean, 1.0 * xp.ones_like(mean))",
             ("tests/nonlinear/test_exact_loss.py",)),
    # --- the conditional (Rao–Blackwellised) estimator (docs/estimators.md)
    Mutation("conditional: D_ω = UΛΩΛUᵀ → UΛΩUᵀ", "simulation/conditional.py",
             "G *= backend.asarray(np.sqrt(lam * omega))", "G *= backend.asarray(np.sqrt(omega))",
             (CONDITIONAL,)),
    Mutation("conditional: s_ω = Σ λ_J ω_J → Σ ω_J", "simulation/conditional.py",
             "signal += float(lam @ omega)", "signal += float(omega.sum())", (CONDITIONAL,)),
    Mutation("conditional: (s_ω − tr C⁺D_ω) I_T dropped (primal, C⁻¹)",
             "simulation/conditional.py",
             "var += max(stats.signal - float(xp.sum(_column_dots(xp, E, Sp))), 0.0)",
             "var += 0.0", (CONDITIONAL,)),
    Mutation("conditional: (s_ω − tr D̃) I_T dropped (whitened paths)", "simulation/conditional.py",
             "var += max(stats.signal - _trace(xp, Dw), 0.0)", "var += 0.0", (CONDITIONAL,)),
    Mutation("conditional: whitening L⁻¹DL⁻ᵀ → L⁻¹L⁻¹D (transpose slip)",
             "simulation/conditional.py",
             "return triangular_product(Linv, half.T, lower=True)",
             "return triangular_product(Linv, half, lower=True)", (CONDITIONAL,)),
    Mutation("conditional: cross term a_k without its s_k", "simulation/conditional.py",
             "a = s * _column_dots(xp, DX, V)", "a = _column_dots(xp, DX, V)", (CONDITIONAL,)),
    Mutation("conditional (orthogonal route): D_ω weights λ_J ω_J → ω_J",
             "simulation/conditional.py", "return V, lam * omega, float(lam @ omega)",
             "return V, omega, float(lam @ omega)", (CONDITIONAL,)),
    # --- the theory (spec §6)
    Mutation("DE denominator e(N+T−2d1) → e(N+T−d1)", "theory/equivalent.py",
             "D = nd * td + f.e * (nd + td)", "D = nd * td + f.e * (nd + td + f.d1)",
             (EQUIVALENT, INDEPENDENT)),
    Mutation("DE noise term d2(N−d1) → d1(N−d1)", "theory/equivalent.py",
             "variance = noise_var * (f.d2 * nd + f.e * f.d1)",
             "variance = noise_var * (f.d1 * nd + f.e * f.d1)", (EQUIVALENT, INDEPENDENT)),
    Mutation("ridge in λ-units γ/s² → γ·s²", "theory/equivalent.py",
             "ridge_lambda = r / feature_scale", "ridge_lambda = r * feature_scale",
             (EQUIVALENT, INDEPENDENT)),
    Mutation("training loss (1 − d1/T)² → (1 − d1/T)", "theory/equivalent.py",
             "factor = np.where(general, td / t, 1.0 - d1 / t) ** 2",
             "factor = np.where(general, td / t, 1.0 - d1 / t)", (EQUIVALENT, INDEPENDENT)),
    Mutation("continuum Δ_P with P + ½ → P + 1", "theory/asymptotics.py",
             "(P + (0.5 if half else 0.0))", "(P + (1.0 if half else 0.0))", (ASYMPTOTICS,)),
    Mutation("near-M form (2+α) → (1+α)", "theory/asymptotics.py",
             "return (2.0 + alpha) * lambda_plus * P * (M - P)",
             "return (1.0 + alpha) * lambda_plus * P * (M - P)", (ASYMPTOTICS,)),
    Mutation("continuum optimum c_α = 1 − 2/(α(α+1)) → 1 − 1/(α(α+1))", "theory/asymptotics.py",
             "c = 1.0 - 2.0 / (alpha * (alpha + 1.0))", "c = 1.0 - 1.0 / (alpha * (alpha + 1.0))",
             (ASYMPTOTICS,)),
    # --- fitting and intervals
    Mutation("95 % interval → 80 % (default level)", "fitting/fit.py",
             "ci_level: float = 0.95,", "ci_level: float = 0.80,", (WALD, WIDTH)),
    Mutation("95 % bootstrap interval → 80 % (percentile tails)", "fitting/fit.py",
             "tail = 50 * (1 - ci_level)", "tail = 50 * (1 - 0.80)", (WIDTH,)),
    Mutation("bootstrap resamples n/2 points", "fitting/bootstrap.py",
             "rng.integers(0, n, n)", "rng.integers(0, n, n // 2)", (WIDTH,)),
    Mutation("fit weights (L/s)² inverted to (s/L)²", "fitting/objective.py",
             "w = (loss / loss_sem) ** 2", "w = (loss_sem / loss) ** 2",
             ("tests/fitting/test_fit.py",)),
    # --- real data
    Mutation("learning-curve prediction 10 % high", "realdata/predict.py",
             "return (loss - frac * res.train_loss) / (1.0 - frac)",
             "return 1.1 * (loss - frac * res.train_loss) / (1.0 - frac)", (DIGITS,)),
    Mutation("learning-curve prediction 5 % high", "realdata/predict.py",
             "return (loss - frac * res.train_loss) / (1.0 - frac)",
             "return 1.05 * (loss - frac * res.train_loss) / (1.0 - frac)", (DIGITS,)),
    Mutation("learning-curve prediction 5 % low", "realdata/predict.py",
             "return (loss - frac * res.train_loss) / (1.0 - frac)",
             "return 0.95 * (loss - frac * res.train_loss) / (1.0 - frac)", (DIGITS,)),
    # --- sweeps
    Mutation("every seed of a sweep point on one stream", "sweeps/tasks.py",
             "spawn_key=(*self.key_words, self.seed_index))", "spawn_key=(*self.key_words, 0))",
             ("tests/sweeps/test_sweep_tasks.py",)),
]  # fmt: skip

_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)")


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for part in ("src", "tests"):
        shutil.copytree(ROOT / part, dest / part, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy / "src"), env.get("PYTHONPATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no stale bytecode between mutations
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _run_tests(copy: Path, tests: tuple[str, ...], env: dict[str, str]) -> tuple[int, list[str]]:
    """Run pytest on ``tests`` in the copy; return (exit status, failed test ids)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfE", "--tb=no", "-p", "no:cacheprovider",
           "-m", "slow or not slow", *tests]  # fmt: skip
    proc = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)
    failed = []
    for line in proc.stdout.splitlines():
        match = _FAILED.match(line)
        if match:
            failed.append(match.group(2))
    return proc.returncode, failed


def _summary(failed: list[str]) -> str:
    """``file::test`` per failed test function, with its number of failed cases."""
    counts: dict[str, int] = {}
    for test_id in failed:
        path, _, name = test_id.partition("::")
        key = f"{Path(path).stem}::{name.partition('[')[0]}" if name else Path(path).stem
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in counts.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated mutation numbers (1-based) to run")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)
    chosen = list(enumerate(MUTATIONS, 1))
    if args.only:
        keep = {int(k) for k in args.only.split(",")}
        chosen = [(i, m) for i, m in chosen if i in keep]
    if args.list:
        for i, m in chosen:
            print(f"{i:2d}. {m.name}  [{m.path}]  tests: {', '.join(m.tests)}")
        return 0

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scalinglab-mutation-") as tmp:
        copy = Path(tmp)
        _copy_tree(copy)
        env = _environment(copy)
        probe = [sys.executable, "-c", "import scalinglab; print(scalinglab.__file__)"]
        where = subprocess.run(probe, cwd=copy, env=env, capture_output=True, text=True)
        where = where.stdout.strip()
        if not where.startswith(str(copy)):
            print(f"the copy is not the package imported (got {where!r})", file=sys.stderr)
            return 2
        if not args.no_baseline:
            union = tuple(dict.fromkeys(t for _, m in chosen for t in m.tests))
            status, failed = _run_tests(copy, union, env)
            if status != 0:
                print(f"unmutated tests fail (status {status}): {failed}", file=sys.stderr)
                return 2
            print(f"baseline: {len(union)} test selections pass unmutated")
        rows, bad = [], 0
        for i, m in chosen:
            target = copy / "src" / "scalinglab" / m.path
            original = target.read_text()
            count = original.count(m.old)
            if count != 1:
                rows.append((i, m, f"NOT APPLIED ({count} matches)", 0.0))
                bad += 1
                continue
            target.write_text(original.replace(m.old, m.new))
            t0 = time.perf_counter()
            try:
                status, failed = _run_tests(copy, m.tests, env)
            finally:
                target.write_text(original)
            seconds = time.perf_counter() - t0
            if status == 0 or not failed:
                verdict = "SURVIVED" if status == 0 else f"pytest status {status}, no failed test"
                bad += 1
            else:
                verdict = f"caught ({len(failed)} failed): {_summary(failed)}"
            rows.append((i, m, verdict, seconds))
            print(f"[{i:2d}/{len(MUTATIONS)}] {m.name}: {verdict} ({seconds:.0f} s)", flush=True)

    print()
    print("| # | mutation | file | caught by | s |")
    print("|---|---|---|---|---|")
    for i, m, verdict, seconds in rows:
        print(f"| {i} | {m.name} | {m.path} | {verdict} | {seconds:.0f} |")
    total = time.perf_counter() - start
    print(f"\n{len(rows) - bad} of {len(rows)} mutations caught in {total:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
