"""Export a trained run as a self-contained model folder (``x2ct.models.folder``).

The folder keeps what reconstruction needs: the config, the data settings and the weights
(float16 by default, half the size; the predictions it gives are checked against float32 by
the test of the shipped model), plus a model card made from the given facts and the run's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

import x2ct
from x2ct.atomic import atomic_path
from x2ct.errors import InputError, MissingFileError
from x2ct.models.folder import (
    CONFIG_FILE,
    DATA_SETTINGS_FILE,
    NAME_PATTERN,
    WEIGHTS_FILE,
    write_card,
)
from x2ct.models.runfolder import checkpoint_path, load_checkpoint, read_run_config


def export_model(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    name: str,
    checkpoint: str | int = "last",
    half: bool = True,
    card: dict[str, Any] | None = None,
) -> Path:
    """Write ``out_dir`` (new or empty) as a model folder of ``run_dir``'s ``checkpoint``.

    Args:
        run_dir: a run folder written by ``x2ct train``.
        out_dir: the model folder to create; an existing non-empty folder is refused.
        name: the model's name (letters, digits, '.', '_', '-').
        checkpoint: 'last', 'best' or an epoch number.
        half: store floating-point weights as float16.
        card: facts for card.json (data, seeds, metrics, limits); the run's own are added.

    Returns:
        The model folder.
    """
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if not NAME_PATTERN.match(name):
        raise InputError("name", "letters, digits, '.', '_' and '-' (at most 64)", repr(name))
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(out_dir, "a new or empty folder for the model", "an existing one")
    config = read_run_config(run_dir)
    payload = load_checkpoint(checkpoint_path(run_dir, checkpoint))
    settings = run_dir / DATA_SETTINGS_FILE
    if not settings.is_file():
        raise MissingFileError(settings, "the run's data settings (train on a prepared folder)")
    state = {
        key: value.half() if half and value.is_floating_point() else value
        for key, value in payload["generator"].items()
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / WEIGHTS_FILE) as tmp:
        torch.save(state, tmp)
    with atomic_path(out_dir / CONFIG_FILE) as tmp:
        shutil.copyfile(run_dir / CONFIG_FILE, tmp)
    with atomic_path(out_dir / DATA_SETTINGS_FILE) as tmp:
        shutil.copyfile(settings, tmp)
    facts = {
        "name": name,
        "family": config.model.family,
        "preset": config.name,
        "parameters": int(sum(v.numel() for v in payload["generator"].values())),
        "weights_dtype": "float16" if half else "float32",
        "checkpoint": str(checkpoint),
        "epochs": int(payload["epoch"]),
        "steps": int(payload["step"]),
        "x2ct_version": x2ct.__version__,
        **(card or {}),
    }
    write_card(out_dir, facts)
    return out_dir
