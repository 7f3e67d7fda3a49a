"""``x2ct models``: the shipped models, and ``x2ct models export`` to make a model folder."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import console, reports_errors

models_app = typer.Typer(
    help="List the models shipped with x2ct (default), or export a run as a model folder.",
    no_args_is_help=False,
    invoke_without_command=True,
)

SHOWN_METRICS = ("Dice", "level_Dice", "HD95-mm", "PSNR-true-3D")


@models_app.callback()
@reports_errors
def models(ctx: typer.Context) -> None:
    """List the shipped models: name, size, data settings and hold-out metrics."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from x2ct.models.folder import list_models, read_data_settings

    table = Table(title="shipped models (x2ct reconstruct --model NAME; 'default' is marked *)")
    for column in ("name", "size", "family", "data", "hold-out", "trained"):
        table.add_column(column)
    for info in list_models():
        card = info.card
        settings = read_data_settings(info.folder) or {}
        prep, drr = settings.get("prepare", {}), settings.get("drr", {})
        physics = "polyenergetic" if drr.get("physics") == "poly" else "monoenergetic"
        display = "processed" if drr.get("display") == "processed" else "fixed window"
        data = (
            f"{prep.get('size', '?')}^3 over {prep.get('field_mm', '?')} mm, "
            f"{drr.get('geometry', '?')} beam, {prep.get('mode', '?')}, {physics} DRRs, {display}"
        )
        holdout = card.get("holdout", {})
        metrics = holdout.get("metrics", {})
        shown = ", ".join(f"{k} {metrics[k]:.3g}" for k in SHOWN_METRICS if k in metrics)
        if holdout.get("cases"):
            shown += f" ({holdout['cases']} phantoms, seed {holdout.get('seed', '?')})"
        trained = f"{card.get('steps', '?')} steps, {card.get('wall_minutes', '?')} min"
        table.add_row(
            info.name + (" *" if info.default else ""),
            f"{info.size_mb:.1f} MB",
            card.get("family", "?"),
            data,
            shown or "-",
            trained,
        )
    console.print(table)


@models_app.command("export")
@reports_errors
def export(
    run: Path = typer.Argument(..., help="Run folder written by x2ct train."),
    out: Path = typer.Option(..., "--out", help="New model folder."),
    name: str = typer.Option(..., "--name", help="Model name (letters, digits, . _ -)."),
    checkpoint: str = typer.Option("last", help="last, best or an epoch number."),
    full_precision: bool = typer.Option(
        False, "--float32", help="Keep float32 weights (default: float16, half the size)."
    ),
) -> None:
    """Write a run's network, config and data settings as a self-contained model folder,
    usable with --model PATH in reconstruct, evaluate and prepare."""
    from x2ct.cli.evaluate import parse_checkpoint
    from x2ct.training.export import export_model

    folder = export_model(
        run, out, name=name, checkpoint=parse_checkpoint(checkpoint), half=not full_precision
    )
    console.print(f"model {name} in {folder}", highlight=False)
