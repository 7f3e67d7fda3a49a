"""``x2ct train DATA --config PRESET|FILE --out RUN [--set k=v ...] [--resume]``.

Scale out with ``torchrun --nproc_per_node=K -m x2ct train ...`` (DDP; only rank 0 writes).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from x2ct.cli.common import console, reports_errors

EXIT_STOPPED_BY_SIGNAL = 130


@reports_errors
def train(
    data: Path = typer.Argument(
        ...,
        help="Prepared data folder: <case>/ct_xray_data.h5 per case, train.txt and test.txt.",
        show_default=False,
    ),
    config: str = typer.Option(
        None,
        "--config",
        "-c",
        help="Preset (paper, cpu, tiny) or YAML file. With --resume the default is the run's "
        "config.yaml.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder to create (or to resume)."),
    overrides: list[str] = typer.Option(
        None, "--set", help="Override a setting, e.g. --set train.epochs_constant=5 (repeatable)."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue the run in --out from checkpoints/last.pt."
    ),
    train_list: Path = typer.Option(
        None, "--train-list", help="Training case list elsewhere than DATA/train.txt."
    ),
    test_list: Path = typer.Option(
        None, "--test-list", help="Validation case list elsewhere than DATA/test.txt."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or epoch lines."),
) -> None:
    """Train the X2CT-GAN on a prepared data folder into a run folder.

    The run folder gets config.yaml, split.json, checkpoints/ (last.pt, best.pt, epoch_NNNN.pt),
    metrics.csv, tensorboard/ and validation/epoch_NNNN.png.
    """
    from x2ct.config import load_config
    from x2ct.errors import InputError
    from x2ct.models.runfolder import CONFIG_FILE
    from x2ct.training.loop import train as run_training

    if config is None:
        if not (resume and (out / CONFIG_FILE).is_file()):
            raise InputError(
                "--config", "a preset name or YAML file (or --resume of an existing run)", "none"
            )
        config = str(out / CONFIG_FILE)
    settings = load_config(config, overrides or [])
    result = run_training(
        data,
        settings,
        out,
        resume=resume,
        train_list=train_list,
        test_list=test_list,
        quiet=quiet,
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return
    best = "no validation yet"
    if result.best_value is not None:
        best = f"best {result.best_metric} {result.best_value:.4g} at epoch {result.best_epoch}"
    console.print(
        f"run {result.run_dir}: {result.stopped} at epoch {result.epochs}, step {result.step}; "
        f"{best}",
        highlight=False,
        soft_wrap=True,
    )
    if result.stopped == "signal":
        raise typer.Exit(EXIT_STOPPED_BY_SIGNAL)
