"""Run folders of ``x2ct train``: their file names, config, data settings and checkpoints.

Below both training (which writes run folders) and inference (which reads them), beside the
model folders of ``x2ct.models.folder``:
- ``config.yaml``: the full config of the run; ``split.json``: the cases it trained and
  validated on; ``data_settings.json``: the settings of its data (``folder.DATA_SETTINGS_FILE``);
- ``checkpoints/last.pt`` (resume), ``checkpoints/best.pt`` (best validation value),
  ``checkpoints/epoch_NNNN.pt``. Every checkpoint holds the full config (``config``) and loads
  with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from x2ct.config import ProjectConfig, load_config
from x2ct.config.schema import to_dict
from x2ct.errors import InputError, MissingFileError
from x2ct.models.folder import read_data_settings

FORMAT = 1
"""Version of the checkpoint payload."""
CONFIG_FILE = "config.yaml"
CHECKPOINT_DIR = "checkpoints"
SPLIT_FILE = "split.json"


def checkpoint_path(run_dir: str | Path, which: str | int) -> Path:
    """Path of ``best`` / ``last`` / an epoch number's checkpoint in a run folder."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    if isinstance(which, int) or (isinstance(which, str) and which.isdigit()):
        return folder / f"epoch_{int(which):04d}.pt"
    if which in ("best", "last"):
        return folder / f"{which}.pt"
    raise InputError("checkpoint", "'best', 'last' or an epoch number", repr(which))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by x2ct (tensors and plain values only; no code is unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "a checkpoint file")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged or foreign file
        raise InputError(path, "an x2ct checkpoint", f"an unreadable file ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(path, f"an x2ct checkpoint (format {FORMAT})", "another file")
    return payload


def model_difference(run: dict[str, Any], other: dict[str, Any]) -> str | None:
    """The first ``model.*`` key whose value differs between two model sections (dict form).

    A key missing from one side (a run saved before the key existed) takes its default value.
    """
    from x2ct.config.model import ModelConfig

    defaults = to_dict(ModelConfig())
    run, other = {**defaults, **run}, {**defaults, **other}
    for key in sorted(set(run) | set(other)):
        if run.get(key) != other.get(key):
            return f"model.{key} = {other.get(key)!r} (the run has {run.get(key)!r})"
    return None


def check_same_model(
    run: ProjectConfig | dict[str, Any], other: ProjectConfig, source: str | Path
) -> None:
    """Raise a one-line InputError if ``other`` builds a different network than ``run``.

    ``run`` may be a config or a checkpoint's stored config dict; only its model section is
    compared, so a checkpoint stays readable when another stage's settings change.
    """
    run_dict = to_dict(run) if isinstance(run, ProjectConfig) else run
    difference = model_difference(run_dict.get("model", {}), to_dict(other.model))
    if difference is not None:
        raise InputError(
            source,
            f"the model settings of the run (preset '{run_dict.get('name')}')",
            f"preset '{other.name}' with {difference}",
        )


def read_run_config(run_dir: str | Path) -> ProjectConfig:
    """The config a run folder was trained with (``config.yaml``)."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise MissingFileError(path, "a run folder's config.yaml (written by x2ct train)")
    return load_config(path)


def load_run(
    run_dir: str | Path,
    checkpoint: str | int = "best",
    device: str | torch.device = "cpu",
) -> tuple[ProjectConfig, torch.nn.Module]:
    """Rebuild a trained generator from a run folder (config.yaml + a checkpoint).

    Args:
        run_dir: the folder written by ``x2ct train``.
        checkpoint: 'best' (falls back to 'last' when no validation has finished yet), 'last',
            or an epoch number with a kept ``epoch_NNNN.pt``.
        device: where to put the generator.

    Returns:
        (config, generator) with the generator in eval mode; it maps xray1, xray2 (N, 1, S, S)
        in [0, 1] to a CT (N, 1, S, S, S) in the [0, 1] target scale (clamp before use).
    """
    from x2ct.models import build_model

    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    settings = read_data_settings(run_dir)
    path = checkpoint_path(run_dir, checkpoint)
    if checkpoint == "best" and not path.is_file():
        path = checkpoint_path(run_dir, "last")
    if not path.is_file():
        raise MissingFileError(path, f"a '{checkpoint}' checkpoint in the run folder")
    payload = load_checkpoint(path)
    check_same_model(payload["config"], config, path)
    generator = build_model(config, settings)
    generator.load_state_dict(payload["generator"])
    return config, generator.to(device).eval()
