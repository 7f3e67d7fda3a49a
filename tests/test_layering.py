"""Imports point one way: core <- stages <- CLI (read from the source, every import statement,
including those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "x2ct"
CORE = {"config", "errors", "volume", "levels", "scaling", "atomic", "progress", "io", "losses"}
"""Shared vocabulary and plumbing: may import each other, never a stage."""

LATER = {
    "phantoms": {"prepare", "data", "models", "training", "inference", "measures", "metrics"},
    "drr": {"prepare", "data", "models", "training", "inference", "measures", "metrics"},
    "xray": {"prepare", "data", "models", "training", "inference", "measures", "metrics"},
    "data": {"prepare", "models", "training", "inference"},  # the HDF5 case format and splits
    "prepare": {"models", "training", "inference"},
    "models": {"training", "inference"},
    "metrics": {"training", "inference"},
    "measures": {"training", "inference", "prepare"},
    "training": {"inference"},
}
"""Stage -> the stages it must not import (they come after it in the pipeline)."""
TOP = {"cli", "app", "__main__"}
"""Layers above every stage: the command line and the web page (``x2ct app``)."""


def imported_x2ct_packages(path: Path) -> set[str]:
    """First component after ``x2ct.`` of every import in a source file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "x2ct" and len(parts) > 1:
                found.add(parts[1])
    return found


def owner(path: Path) -> str:
    """The top-level module or package of x2ct a file belongs to ('volume', 'models', ...)."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path):
    here = owner(path)
    imported = imported_x2ct_packages(path) - {here}
    if here not in {"cli", "__main__"}:
        assert "cli" not in imported, "only the command line imports x2ct.cli"
    if here not in TOP:
        assert "app" not in imported, "only the command line imports x2ct.app (the web page)"
    if here in CORE:
        assert imported <= CORE, f"core module imports a stage: {sorted(imported - CORE)}"
    assert not imported & LATER.get(here, set()), f"imports a later stage: {imported & LATER[here]}"


def test_the_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("def f():\n    from x2ct.cli.common import progress\n")
    assert imported_x2ct_packages(source) == {"cli"}
