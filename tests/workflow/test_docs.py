"""The mathematics lives in the repository: every citation of docs/theory.md names a section or
equation that exists there, and nothing points outside the repository or to the old spec."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "theory.md").read_text()
SECTIONS = {int(n) for n in re.findall(r"^## (\d+)\. ", DOC, flags=re.M)}
EQUATIONS = set(re.findall(r"\((\d+\.\d+)\)\s*$", DOC, flags=re.M))


def _sources():
    yield ROOT / "README.md"
    yield ROOT / "pyproject.toml"
    yield from sorted((ROOT / "src").rglob("*.py"))


def test_sections_and_equations_are_numbered():
    assert SECTIONS == set(range(1, 13))
    for eq in ("1.1", "2.1", "3.1", "4.2", "5.2", "5.3", "6.2", "7.2", "8.2", "12.1"):
        assert eq in EQUATIONS, eq


def test_every_citation_exists():
    cited = 0
    for path in _sources():
        text = path.read_text()
        for group in re.findall(r"theory\.md (§[\d.]+(?:(?:, | and |–|-)§[\d.]+)*)", text):
            for number in re.findall(r"§(\d+)", group):
                assert int(number) in SECTIONS, (path, group)
                cited += 1
        for eq in re.findall(r"theory\.md eq\. \((\d+\.\d+)\)", text):
            assert eq in EQUATIONS, (path, eq)
    assert cited > 50


def test_nothing_points_outside_the_repository():
    for path in _sources():
        text = path.read_text()
        assert "../shared" not in text and "/work/shared" not in text, path
        assert not re.search(r"\bspec §", text), path
        assert "DEVELOPERS.md" not in text, path
