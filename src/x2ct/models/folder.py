"""Model folders: a trained network with everything it needs to reconstruct, and nothing else.

A model folder (``x2ct models export`` writes one from a run; x2ct ships some in
``x2ct/models/shipped/<name>/``) holds:

- ``config.yaml``: the full project config the network was trained with,
- ``data_settings.json``: the settings of its training data (cube field of view, DRR geometry,
  X-ray preprocessing), so new radiographs and CTs are prepared the same way,
- ``weights.pt``: the network's state dict (float16 or float32 tensors; loaded as float32),
- ``card.json``: name, summary, training data and seeds, steps, wall time, hold-out metrics and
  limits (``MODEL_CARD.md`` says the same for people).

``resolve_model('default')`` is the default shipped model (named in ``shipped/DEFAULT``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from x2ct.errors import InputError, MissingFileError

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
DEFAULT_FILE = "DEFAULT"
WEIGHTS_FILE = "weights.pt"
CARD_FILE = "card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
CONFIG_FILE = "config.yaml"
DATA_SETTINGS_FILE = "data_settings.json"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""A model name: letters, digits, '.', '_' and '-', not starting with a separator (no paths)."""


@dataclass(frozen=True)
class ModelInfo:
    """What ``x2ct models`` lists about one model folder."""

    name: str
    folder: Path
    size_mb: float
    card: dict[str, Any] = field(default_factory=dict)
    default: bool = False


def shipped_names() -> list[str]:
    """Names of the models shipped with x2ct (folders with weights under ``shipped/``)."""
    if not SHIPPED_DIR.is_dir():
        return []
    return sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / WEIGHTS_FILE).is_file())


def default_model_name() -> str:
    """The name of the default shipped model."""
    path = SHIPPED_DIR / DEFAULT_FILE
    if not path.is_file():
        raise MissingFileError(path, "the name of the default shipped model")
    return path.read_text(encoding="utf-8").strip()


def resolve_model(name_or_path: str | Path) -> Path:
    """The folder of a model: 'default', a shipped model's name, or a model folder's path.

    Raises:
        InputError: for a name that is neither (the message lists the shipped names).
    """
    text = str(name_or_path)
    if text == "default":
        text = default_model_name()
    if NAME_PATTERN.match(text) and (SHIPPED_DIR / text / WEIGHTS_FILE).is_file():
        return SHIPPED_DIR / text
    path = Path(name_or_path)
    if path.is_dir() and (path / WEIGHTS_FILE).is_file():
        return path
    names = ", ".join(["default", *shipped_names()])
    raise InputError(
        "`model`", f"a shipped model ({names}) or a model folder with {WEIGHTS_FILE}", repr(text)
    )


def read_card(folder: str | Path) -> dict[str, Any]:
    """The folder's ``card.json`` ({} when it has none)."""
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, "a JSON model card", f"invalid JSON ({exc.msg})") from None


def model_info(folder: str | Path) -> ModelInfo:
    """Name, size (all files, MB), card and whether it is the default, of a model folder."""
    folder = Path(folder)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
    try:
        default = folder.resolve() == resolve_model("default").resolve()
    except (InputError, MissingFileError):
        default = False
    card = read_card(folder)
    return ModelInfo(card.get("name", folder.name), folder, size, card, default)


def list_models() -> list[ModelInfo]:
    """Every shipped model, the default first."""
    infos = [model_info(SHIPPED_DIR / name) for name in shipped_names()]
    return sorted(infos, key=lambda info: (not info.default, info.name))


def read_model_config(folder: str | Path):
    """The ProjectConfig of a model folder."""
    from x2ct.config import load_config

    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise MissingFileError(path, "a model folder's config.yaml")
    return load_config(path)


def read_data_settings(folder: str | Path) -> dict[str, Any] | None:
    """A model folder's ``data_settings.json`` (None when it has none)."""
    path = Path(folder) / DATA_SETTINGS_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            path, "a JSON file of data settings", f"invalid JSON ({exc.msg})"
        ) from None


def load_model(folder: str | Path, device: str = "cpu"):
    """(config, network in eval mode, data settings) of a model folder; weights as float32."""
    import torch

    from x2ct.models.build import build_model

    folder = Path(folder)
    config = read_model_config(folder)
    settings = read_data_settings(folder)
    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise MissingFileError(path, "a model folder's weights")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged or foreign file
        raise InputError(
            path, "a state dict written by x2ct", f"an unreadable file ({exc})"
        ) from None
    network = build_model(config, settings)
    try:
        network.load_state_dict({k: v.float() for k, v in state.items()})
    except (RuntimeError, AttributeError) as exc:
        problem = str(exc).splitlines()[0]
        raise InputError(path, "weights of the network config.yaml describes", problem) from None
    return config, network.to(device).eval(), settings


def _table(rows: dict[str, Any]) -> list[str]:
    lines = ["| metric | value |", "|---|---|"]
    for key, value in rows.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    return lines


def card_markdown(card: dict[str, Any]) -> str:
    """MODEL_CARD.md from a card.json: what the model is, its data, training, numbers, limits."""
    lines = [f"# Model card: {card.get('name', '?')}", "", card.get("summary", ""), ""]
    lines += [
        "## Network",
        f"- family: {card.get('family', '?')} (preset `{card.get('preset', '?')}`), "
        f"{card.get('parameters', '?'):,} parameters, {card.get('weights_dtype', '?')} weights",
        "",
        "## Training data",
    ]
    lines += [f"- {item}" for item in card.get("data", [])]
    lines += ["", "## Training"]
    lines += [
        f"- {card.get('epochs', '?')} epochs, {card.get('steps', '?')} steps, "
        f"{card.get('wall_minutes', '?')} minutes of wall time on {card.get('machine', '?')}",
    ]
    lines += [f"- {item}" for item in card.get("training", [])]
    if card.get("reproduce"):
        lines += ["", "Reproduce:", "", "```bash", card["reproduce"], "```"]
    holdout = card.get("holdout")
    if holdout:
        lines += [
            "",
            f"## Hold-out ({holdout['cases']} phantoms of base seed {holdout['seed']}, "
            f"{holdout.get('phantoms', '')}, never seen in training)",
            "",
            *_table(holdout.get("metrics", {})),
        ]
        if holdout.get("clinical_vs_truth"):
            lines += [
                "",
                "Clinical measures from the predicted labels against the phantom truth:",
                "",
            ]
            lines += _table(holdout["clinical_vs_truth"])
        for name, values in holdout.get("baselines", {}).items():
            if values:
                shown = ", ".join(f"{k} {v:.4g}" for k, v in values.items())
                lines += ["", f"Baseline {name}: {shown}"]
    lines += ["", "## Limits"]
    lines += [f"- {item}" for item in card.get("limits", [])]
    return "\n".join(lines) + "\n"


def write_card(folder: str | Path, card: dict[str, Any]) -> None:
    """Write card.json and MODEL_CARD.md of a model folder (atomically)."""
    from x2ct.atomic import write_text

    folder = Path(folder)
    write_text(folder / CARD_FILE, json.dumps(card, indent=1, default=float) + "\n")
    write_text(folder / CARD_MARKDOWN, card_markdown(card))
