"""Settings of dataset preparation (section ``prepare``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PrepareConfig:
    """Crop, resample and split; the DRR and X-ray settings live in their own sections."""

    size: int = 128
    """Edge of the output cube in voxels."""
    mode: Literal["aligned", "paper"] = "aligned"
    voxel_mm: float = 2.0
    """aligned mode: isotropic voxel size; the cube spans size * voxel_mm mm."""
    margin_mm: float = 10.0
    """Margin added around the bounding box of the spine labels."""
    mask_outside_hu: float | None = None
    """If set, voxels outside the dilated spine mask get this HU (the seed's focus on vertebrae)."""
    mask_dilation_mm: float = 5.0
    spine_labels: str = "auto"
    split: float = 0.8
    seed: int = 0
