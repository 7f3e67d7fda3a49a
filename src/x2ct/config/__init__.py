"""Project configuration: one frozen dataclass per stage, YAML presets, ``--set`` overrides.

Each section's dataclass lives in its own module here (``x2ct.config.drr``, ``.model``,
``.train`` ...), below the stages: reading a configuration imports no stage, and every stage
imports only the section it reads.

A config is a ``ProjectConfig`` with the sections ``phantoms, prepare, drr, xray, model, train,
evaluate``. Presets are complete YAML files in ``configs/`` (``paper``, ``cpu``, ``tiny``); a file
may also give only some keys, the rest take the dataclass defaults. Every run saves the config it
used, so a result can always be traced to its settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from x2ct.config.drr import DRRConfig
from x2ct.config.evaluate import EvaluateConfig
from x2ct.config.measure import MeasureConfig
from x2ct.config.model import ModelConfig
from x2ct.config.phantoms import PhantomConfig
from x2ct.config.prepare import PrepareConfig
from x2ct.config.schema import ConfigError, from_dict, replace_key, to_dict
from x2ct.config.train import TrainConfig
from x2ct.config.xray import XrayConfig
from x2ct.errors import MissingFileError

__all__ = [
    "ConfigError",
    "ProjectConfig",
    "apply_overrides",
    "check_modes",
    "load_config",
    "preset_dir",
    "preset_names",
    "save_config",
]


@dataclass(frozen=True)
class ProjectConfig:
    """All settings of x2ct, one section per pipeline stage."""

    name: str = "custom"
    phantoms: PhantomConfig = field(default_factory=PhantomConfig)
    prepare: PrepareConfig = field(default_factory=PrepareConfig)
    drr: DRRConfig = field(default_factory=DRRConfig)
    xray: XrayConfig = field(default_factory=XrayConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    measure: MeasureConfig = field(default_factory=MeasureConfig)


def preset_dir() -> Path:
    """Folder of the bundled presets (``configs/`` in the source tree is a link to it)."""
    return Path(__file__).resolve().parent.parent / "configs"


def preset_names() -> list[str]:
    """Names of the bundled presets, e.g. ['cpu', 'paper', 'tiny']."""
    return sorted(p.stem for p in preset_dir().glob("*.yaml"))


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0]
        raise ConfigError(path, "a valid YAML file", problem) from None
    return {} if data is None else data


def load_config(
    name_or_path: str | Path, overrides: list[str] | tuple[str, ...] = ()
) -> ProjectConfig:
    """Load a preset by name (``paper``) or a YAML file, then apply ``section.key=value`` overrides."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        path = candidate
    else:
        path = preset_dir() / f"{name_or_path}.yaml"
        if not path.is_file():
            raise ConfigError(
                str(name_or_path),
                f"a preset among {', '.join(preset_names())} or a YAML file",
                "neither",
            )
    if not path.is_file():
        raise MissingFileError(path, "a YAML config file")
    data = _read_yaml(path)
    data.setdefault("name", path.stem)
    config = from_dict(ProjectConfig, data, str(path))
    return apply_overrides(config, overrides)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``section.key=value`` and parse the value as YAML (``3`` -> int, ``[1, 2]`` -> list)."""
    import yaml

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError("`overrides`", "section.key=value", repr(text))
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def apply_overrides(config: ProjectConfig, overrides: list[str] | tuple[str, ...]) -> ProjectConfig:
    """Apply ``--set section.key=value`` overrides with type checking; unknown keys list valid ones."""
    for text in overrides:
        key, value = parse_override(text)
        config = replace_key(config, key, value, "`overrides`")
    return config


def save_config(config: ProjectConfig, path: str | Path) -> Path:
    """Write the full config (every key) as YAML, atomically."""
    import yaml

    from x2ct.atomic import write_text

    return write_text(path, yaml.safe_dump(to_dict(config), sort_keys=False))


def check_modes(config: ProjectConfig) -> None:
    """Refuse a config whose crop (``prepare.mode``) and 2D preprocessing (``xray.mode``) differ.

    Both name one choice (the paper's crops or the aligned field of view); mixing them gives
    views whose field of view is not the volume's. Raises ConfigError naming both keys.
    """
    if config.prepare.mode != config.xray.mode:
        raise ConfigError(
            "prepare.mode / xray.mode",
            "the same mode for the 3D crop and the 2D preprocessing",
            f"prepare.mode {config.prepare.mode!r} and xray.mode {config.xray.mode!r}",
        )
