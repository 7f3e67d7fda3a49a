"""Shared pieces of the command line: consoles, one-line error reporting, progress bars."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from x2ct.progress import console, err_console, progress

__all__ = ["console", "err_console", "progress"]  # the CLI's names for the shared consoles

EXIT_INPUT_ERROR = 2
EXIT_PARTIAL_FAILURE = 4
"""A batch finished but some cases failed (they are listed in the summary / manifest)."""

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_INPUT_ERROR) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


PARAMETER_FLAGS = {
    "n": "--n",
    "workers": "--workers",
    "seed": "--seed",
    "split": "--split",
    "layout": "--layout",
    "overwrite": "--overwrite",
    "resume": "--resume",
    "model": "--model",
    "data": "--data",
    "out": "--out",
    "overrides": "--set",
    "prepare.field_mm": "--field-mm",
    "prepare.margin_mm": "--margin-mm",
    "prepare.resample_labels": "--resample-labels",
    "prepare.spine_labels": "--spine-labels",
}
"""The library names a parameter in backquotes (`prepare.field_mm`); the CLI shows its flag."""

_PARAMETER = re.compile(r"`([A-Za-z_][A-Za-z0-9_.]*)`")


def as_flags(message: str) -> str:
    """``message`` with each backquoted parameter that has a flag replaced by the flag; other
    backquoted names lose their quotes only if they are config keys (section.key)."""

    def flag(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PARAMETER_FLAGS:
            return PARAMETER_FLAGS[name]
        return f"--set {name}=..." if "." in name else match.group(0)

    return _PARAMETER.sub(flag, message)


def reports_errors(function: F) -> F:
    """Turn user-input errors raised by a command into one line on stderr and an exit code.

    ValueError / FileNotFoundError are the errors DESIGN.md reserves for bad input; anything
    else is a bug and keeps its traceback.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise fail(as_flags(str(exc))) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]
