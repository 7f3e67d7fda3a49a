"""``x2ct evaluate``: Table 1 (as the seed computed it), corrected and bone-shape metrics."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import console, progress, reports_errors


def parse_checkpoint(value: str) -> str | int:
    """'best', 'last' or an epoch number."""
    return int(value) if value.isdigit() else value


@reports_errors
def evaluate(
    run: Path = typer.Argument(None, help="Run folder written by x2ct train (or use --model)."),
    model: str = typer.Option(
        None,
        "--model",
        help="A shipped model ('default', a name) or a model folder, with --data/--out.",
    ),
    data: Path = typer.Option(None, "--data", help="Prepared data folder (default: the run's)."),
    split: str = typer.Option("test", help="Case list to evaluate: test, train or all."),
    checkpoint: str = typer.Option("best", help="best, last or an epoch number."),
    save_predictions: bool = typer.Option(
        False, "--save-predictions", help="Write each prediction as NIfTI (HU, the case's affine)."
    ),
    no_baselines: bool = typer.Option(False, "--no-baselines", help="Skip the two baselines."),
    out: Path = typer.Option(
        None, "--out", help="Output folder (default RUN/eval-SPLIT-CHECKPOINT)."
    ),
    device: str = typer.Option("cpu", help="cpu or cuda."),
) -> None:
    """Evaluate a run on held-out cases next to the mean-volume and back-projection baselines;
    writes per_case.csv, per_vertebra.csv, summary.json, tables.md and figures/cases.png."""
    from x2ct.inference.evaluation import evaluate_run
    from x2ct.progress import BarProgress

    with progress() as bar:
        task = bar.add_task("evaluate", total=None, status="")
        result = evaluate_run(
            run,
            data,
            split=split,
            checkpoint=parse_checkpoint(checkpoint),
            out_dir=out,
            save_predictions=save_predictions,
            baselines=not no_baselines,
            device=device,
            progress=BarProgress(bar, task),
            model=model,
        )
    console.print(result.tables, markup=False, highlight=False, soft_wrap=True)
    console.print(f"results in {result.out_dir}", highlight=False)
