"""The consoles and the progress bar that x2ct's long work reports to (rich).

Below every stage: training, the demo and the command line share one stdout console, one stderr
console and one progress-bar layout, so their output interleaves cleanly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def progress(transient: bool = False):
    """A rich Progress with bar, counts, elapsed time and ETA, on stderr-safe console."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        transient=transient,
    )


CASE_STATUSES = ("done", "skipped", "failed")
"""What ``BatchProgress.case`` reports about one case of a batch."""


class BatchProgress(Protocol):
    """How a batch (phantoms, prepare, evaluate) reports its progress; the caller injects one.

    ``start(total)`` once the number of cases is known; ``case(name, status, detail)`` after
    each case, with status one of CASE_STATUSES and ``detail`` the one-line reason of a failure
    or a skip ('' when done).
    """

    def start(self, total: int) -> None: ...

    def case(self, name: str, status: str, detail: str = "") -> None: ...


@dataclass
class BarProgress:
    """A BatchProgress that advances a rich progress bar's task.

    ``on_failure(name, detail)``, when given, is called for each failed case (e.g. to print it).
    """

    bar: Any
    task: Any
    on_failure: Callable[[str, str], None] | None = None

    def start(self, total: int) -> None:
        self.bar.update(self.task, total=total)

    def case(self, name: str, status: str, detail: str = "") -> None:
        label = name if status == "done" else f"{name}: {status}"
        self.bar.update(self.task, advance=1, status=label)
        if status == "failed" and self.on_failure is not None:
            self.on_failure(name, detail)
