"""The test tree itself: pytest imports test modules by basename (rootdir-relative, no packages),
so two test files with one name would shadow each other."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_test_module_names_are_unique():
    names = Counter(p.name for p in Path(__file__).parent.rglob("*.py") if p.name != "conftest.py")
    duplicates = sorted(name for name, count in names.items() if count > 1)
    assert not duplicates, f"rename these test modules, their names clash: {duplicates}"
