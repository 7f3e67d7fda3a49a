"""The ``x2ct`` command line (typer + rich).

Each subcommand lives in its own module and imports torch, MONAI and the pipeline stages inside
the command body, so ``x2ct --help`` answers quickly.
"""

from __future__ import annotations

import typer

from x2ct.cli.app import app_command
from x2ct.cli.demo import demo
from x2ct.cli.drr import drr
from x2ct.cli.evaluate import evaluate
from x2ct.cli.info import info
from x2ct.cli.measure import measure
from x2ct.cli.models import models_app
from x2ct.cli.phantoms import phantoms
from x2ct.cli.prepare import prepare
from x2ct.cli.reconstruct import reconstruct
from x2ct.cli.train import train

app = typer.Typer(
    name="x2ct",
    help="Reconstruct a 3D CT-like volume of the spine from a frontal and a lateral radiograph.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        import x2ct

        typer.echo(f"x2ct {x2ct.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """x2ct: spine CT from biplanar radiographs (X2CT-GAN), from data preparation to 3D output."""


# In pipeline order, as ``x2ct --help`` lists them.
app.command("info")(info)
app.command("phantoms")(phantoms)
app.command("prepare")(prepare)
app.command("drr")(drr)
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("reconstruct")(reconstruct)
app.command("measure")(measure)
app.add_typer(models_app, name="models")
app.command("demo")(demo)
app.command("app")(app_command)


def main() -> None:
    """Console-script entry point."""
    app()
