"""``x2ct phantoms``: write synthetic spine CTs with vertebra labels and ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import (
    EXIT_PARTIAL_FAILURE,
    as_flags,
    console,
    err_console,
    progress,
    reports_errors,
)


@reports_errors
def phantoms(
    n: int = typer.Option(..., "--n", min=1, help="Number of phantoms to write."),
    out: Path = typer.Option(..., "--out", help="Output folder (volumes/, labels/, truth/)."),
    seed: int = typer.Option(
        0, "--seed", min=0, help="Base seed; case i gets its own seed from it."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    preview: bool = typer.Option(False, "--preview", help="Also write preview/<case>.png."),
    config: str = typer.Option(
        None, "--config", help="Preset name or YAML file whose 'phantoms' section is used."
    ),
    overrides: list[str] = typer.Option(
        None, "--set", help="Override a setting, e.g. --set phantoms.levels=[5,5] (repeatable)."
    ),
) -> None:
    """Generate synthetic spine CT phantoms (CTSpine1K-like layout) with exact ground truth."""
    from x2ct.config import ProjectConfig, apply_overrides, load_config
    from x2ct.phantoms.case import validate_config
    from x2ct.phantoms.writer import run_batch
    from x2ct.progress import BarProgress

    project = load_config(config) if config else ProjectConfig()
    project = apply_overrides(project, tuple(overrides or ()))
    validate_config(project.phantoms)  # a bad setting is refused before the progress bar shows
    failures: list[str] = []
    with progress() as bar:
        task = bar.add_task("phantoms", total=n, status="")

        def on_failure(name: str, error: str) -> None:
            failures.append(name)
            err_console.print(f"[bold red]error:[/] {name}: {as_flags(error)}", highlight=False)

        result = run_batch(
            out, n, seed, project.phantoms, workers, preview, BarProgress(bar, task, on_failure)
        )
    console.print(f"wrote {len(result.cases)} phantoms to {out}", highlight=False)
    if result.failures:
        err_console.print(f"{len(result.failures)} failed: {', '.join(result.failures)}")
        raise typer.Exit(EXIT_PARTIAL_FAILURE)
