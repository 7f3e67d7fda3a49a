"""Commands whose stage is not in this version yet: they say so and exit with code 3."""

from __future__ import annotations

from typing import Any

import typer

from x2ct.cli.common import NotAvailableError, reports_errors


def pending(name: str) -> Any:
    """A command body for ``x2ct <name>`` that accepts any arguments and reports 'not available'."""

    @reports_errors
    def command(ctx: typer.Context) -> None:
        raise NotAvailableError(f"x2ct {name}: not available yet in this version of x2ct")

    command.__name__ = name
    return command


PENDING_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True}
