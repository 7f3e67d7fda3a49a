"""``x2ct demo``: the whole pipeline on synthetic phantoms, in minutes on a CPU."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import console, reports_errors


@reports_errors
def demo(
    out: Path = typer.Option(Path("demo"), "--out", help="Output folder."),
    minutes: float = typer.Option(10.0, "--minutes", help="Wall-time budget of the whole demo."),
    cases: int = typer.Option(60, "--cases", help="Number of synthetic phantoms."),
    config: str = typer.Option("cpu", "--config", help="Preset or YAML file."),
    workers: int = typer.Option(2, "--workers", help="Processes for phantoms and prepare."),
    seed: int = typer.Option(0, "--seed", help="Seed of the phantoms."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: section.key=value."),
) -> None:
    """Run the whole pipeline on synthetic phantoms in minutes on a CPU."""
    from x2ct.cli.demo_steps import run_demo

    run_demo(out, minutes, cases, config, workers, seed, set_, console)
