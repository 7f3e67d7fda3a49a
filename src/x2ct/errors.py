"""Errors raised at the public boundary.

Every user-facing failure is one line: which file, what was expected, what was found. Both classes
derive from the built-in exceptions that DESIGN.md names, so callers can catch ``ValueError`` /
``FileNotFoundError`` without knowing x2ct.
"""

from __future__ import annotations

from pathlib import Path


def describe(source: str | Path | None, expected: str, found: str) -> str:
    """Format the one-line message ``<source>: expected <expected>, found <found>``."""
    prefix = f"{source}: " if source is not None else ""
    return f"{prefix}expected {expected}, found {found}"


class InputError(ValueError):
    """Invalid user input: a file or value that does not meet x2ct's expectations."""

    def __init__(self, source: str | Path | None, expected: str, found: str) -> None:
        self.source = None if source is None else str(source)
        self.expected = expected
        self.found = found
        super().__init__(describe(source, expected, found))


class MissingFileError(FileNotFoundError):
    """A required file or folder does not exist."""

    def __init__(self, path: str | Path, what: str = "an existing file") -> None:
        self.path = str(path)
        super().__init__(describe(path, what, "nothing at that path"))
