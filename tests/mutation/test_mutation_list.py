"""The mutation list of `make test-mutation` stays in step with the source (fast check)."""

from __future__ import annotations

from pathlib import Path

import scalinglab
from mutation.mutate import MUTATIONS

HERE = Path(__file__).parent
PACKAGE = Path(scalinglab.__file__).parent


def test_every_mutation_applies_to_exactly_one_line_and_names_existing_tests():
    assert len(MUTATIONS) >= 20
    root = HERE.parents[1]
    for m in MUTATIONS:
        source = (PACKAGE / m.path).read_text()
        assert source.count(m.old) == 1, f"{m.name}: {m.old!r} is not one line of {m.path}"
        assert m.new != m.old
        for test in m.tests:
            path, _, name = test.partition("::")
            text = (root / path).read_text()
            assert not name or f"def {name}(" in text, f"{m.name}: no test {test}"
