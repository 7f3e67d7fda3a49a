"""A trained generator rebuilt from a run folder or a model folder, with its data's geometry.

``Predictor.from_run(run)`` reads ``config.yaml``, a checkpoint and, when present, the settings
of the prepared data the run was trained on (``data_settings.json``: cube field of view, DRR
geometry, X-ray preprocessing), so a reconstruction uses the same preprocessing and spacing.
``Predictor.from_model(name)`` does the same for a shipped model or a model folder
(``x2ct.models.folder``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from x2ct.config import ProjectConfig
from x2ct.config.drr import DRRConfig
from x2ct.config.prepare import PrepareConfig
from x2ct.config.schema import from_dict
from x2ct.config.xray import XrayConfig
from x2ct.errors import InputError
from x2ct.models.folder import DATA_SETTINGS_FILE as DATA_SETTINGS


@dataclass(frozen=True)
class DataGeometry:
    """How the training cubes and views were made (from the prepared folder's manifest)."""

    prepare: PrepareConfig = field(default_factory=PrepareConfig)
    drr: DRRConfig = field(default_factory=DRRConfig)
    xray: XrayConfig = field(default_factory=XrayConfig)

    @property
    def magnification(self) -> float:
        """Magnification at the isocentre of the training radiographs (1 for parallel beams)."""
        from x2ct.drr.geometry import isocentre_magnification

        return isocentre_magnification(self.drr)

    @classmethod
    def from_settings(
        cls, settings: dict[str, Any] | None, fallback: ProjectConfig
    ) -> DataGeometry:
        """From a manifest's ``settings`` dict; sections it lacks come from ``fallback``."""
        settings = settings or {}

        def section(name: str, kind: type, default: Any) -> Any:
            known = {f for f in kind.__dataclass_fields__}
            values = {k: v for k, v in settings.get(name, {}).items() if k in known}
            return from_dict(kind, values, DATA_SETTINGS) if values else default

        return cls(
            section("prepare", PrepareConfig, fallback.prepare),
            section("drr", DRRConfig, fallback.drr),
            section("xray", XrayConfig, fallback.xray),
        )


def to_model_input(image: np.ndarray, size: int) -> torch.Tensor:
    """(rows, cols) uint8 or [0, 1] float -> (1, 1, size, size) float32 in [0, 1], bilinear resize
    with align_corners=False as the training dataset does (size: the network's view size)."""
    array = np.asarray(image)
    scaled = (
        array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array.astype(np.float32)
    )
    if scaled.ndim != 2:
        raise InputError(None, "a 2D X-ray", f"shape {array.shape}")
    tensor = torch.from_numpy(np.ascontiguousarray(scaled))[None, None]
    if tuple(tensor.shape[2:]) != (size, size):
        tensor = F.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False)
    return tensor


class Predictor:
    """Generator + settings; ``predict(xray1, xray2)`` returns a (S, S, S) volume in [0, 1]."""

    def __init__(
        self,
        config: ProjectConfig,
        generator: torch.nn.Module,
        geometry: DataGeometry,
        device: str | torch.device = "cpu",
        source: str | None = None,
    ) -> None:
        self.config = config
        self.generator = generator.to(device).eval()
        self.geometry = geometry
        self.device = torch.device(device)
        self.source = source

    @classmethod
    def from_run(
        cls, run_dir: str | Path, checkpoint: str | int = "best", device: str = "cpu"
    ) -> Predictor:
        """Rebuild the generator of ``run_dir`` (``best``, ``last`` or an epoch number)."""
        from x2ct.models.runfolder import load_run

        config, generator = load_run(run_dir, checkpoint, device)
        path = Path(run_dir) / DATA_SETTINGS
        settings = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        return cls(
            config, generator, DataGeometry.from_settings(settings, config), device, str(run_dir)
        )

    @classmethod
    def from_model(cls, name_or_path: str | Path = "default", device: str = "cpu") -> Predictor:
        """The network of a shipped model ('default', a name) or of a model folder's path."""
        from x2ct.models.folder import load_model, resolve_model

        folder = resolve_model(name_or_path)
        config, network, settings = load_model(folder, device)
        geometry = DataGeometry.from_settings(settings, config)
        return cls(config, network, geometry, device, f"model {folder.name}")

    @property
    def view_size(self) -> int:
        """Side of the network's input radiographs, in pixels."""
        return self.config.model.xray_size

    @property
    def has_labels(self) -> bool:
        """True when the network also predicts vertebra level labels (spine family)."""
        return hasattr(self.generator, "label_map")

    @torch.no_grad()
    def predict_labels_batch(self, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor | None:
        """(N, 1, X, X) x 2 -> (N, S, S, S) int64 vertebra labels (common ids), or None when
        the network has no label head. Each level keeps its largest connected piece
        (``x2ct.models.spine.labels``)."""
        if not self.has_labels:
            return None
        raw = self.generator.label_map(xray1.to(self.device), xray2.to(self.device))
        return _largest_pieces(raw)

    @torch.no_grad()
    def predict_both_batch(
        self, xray1: torch.Tensor, xray2: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``predict_batch`` and ``predict_labels_batch`` from one pass of the network:
        (N, 1, S, S, S) in [0, 1] and (N, S, S, S) int64 labels or None (no label head)."""
        xray1, xray2 = xray1.to(self.device), xray2.to(self.device)
        if not hasattr(self.generator, "volume_and_labels"):
            return self.predict_batch(xray1, xray2), None
        volume, raw = self.generator.volume_and_labels(xray1, xray2)
        return volume.clamp_(0.0, 1.0), _largest_pieces(raw)

    def predict_both(
        self, xray1: np.ndarray, xray2: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``predict`` and ``predict_labels`` from one pass: (S, S, S) float32 in [0, 1] and
        (S, S, S) int16 labels or None."""
        x1, x2 = to_model_input(xray1, self.view_size), to_model_input(xray2, self.view_size)
        volume, labels = self.predict_both_batch(x1, x2)
        ct01 = volume[0, 0].cpu().numpy().astype(np.float32)
        return ct01, None if labels is None else labels[0].numpy().astype(np.int16)

    def predict_labels(self, xray1: np.ndarray, xray2: np.ndarray) -> np.ndarray | None:
        """Frontal and lateral views -> (S, S, S) int16 vertebra labels, or None (no head)."""
        if not self.has_labels:
            return None
        x1, x2 = to_model_input(xray1, self.view_size), to_model_input(xray2, self.view_size)
        return self.predict_labels_batch(x1, x2)[0].cpu().numpy().astype(np.int16)

    @property
    def size(self) -> int:
        """Edge of the network's input images and output cube, in voxels."""
        return self.config.model.input_size

    @property
    def voxel_mm(self) -> float | None:
        """Isotropic voxel size of the output (aligned training data), else None."""
        prep = self.geometry.prepare
        return prep.field_mm / self.size if prep.mode == "aligned" else None

    @torch.no_grad()
    def predict_batch(self, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor:
        """(N, 1, S, S) x 2 in [0, 1] -> (N, 1, S, S, S) in [0, 1] (clamped)."""
        output = self.generator(xray1.to(self.device), xray2.to(self.device))
        return output.clamp_(0.0, 1.0)

    def predict(self, xray1: np.ndarray, xray2: np.ndarray) -> np.ndarray:
        """Frontal (rows D, cols W) and lateral (rows D, cols H) views -> (S, S, S) float32 in [0, 1]."""
        x1, x2 = to_model_input(xray1, self.view_size), to_model_input(xray2, self.view_size)
        return self.predict_batch(x1, x2)[0, 0].cpu().numpy().astype(np.float32)


def _largest_pieces(labels: torch.Tensor) -> torch.Tensor:
    """(N, S, S, S) labels on the CPU with each level cut to its largest connected piece."""
    from x2ct.models.spine.labels import largest_components

    cleaned = [torch.from_numpy(largest_components(item.numpy())) for item in labels.cpu()]
    return torch.stack(cleaned)


def model_data_config(model: str | Path) -> ProjectConfig:
    """The config of a shipped / exported model with its training data's ``prepare``, ``drr`` and
    ``xray`` sections (``data_settings.json``), so new CTs are prepared as its data were
    (without ``prepare.center_jitter_mm``, a training augmentation)."""
    from dataclasses import replace

    from x2ct.models.folder import read_data_settings, read_model_config, resolve_model

    folder = resolve_model(model)
    config = read_model_config(folder)
    data = DataGeometry.from_settings(read_data_settings(folder), config)
    # The cube's jitter augmented the training set; new cases are placed as usual.
    prepare = replace(data.prepare, center_jitter_mm=0.0)
    return replace(config, prepare=prepare, drr=data.drr, xray=data.xray)
