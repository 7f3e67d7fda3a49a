"""Settings of evaluation (section ``evaluate``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Table1Key = Literal[
    "MAE0",
    "MSE0",
    "MAE",
    "MSE",
    "CosineSimilarity",
    "PSNR-3D",
    "PSNR-1",
    "PSNR-2",
    "PSNR-3",
    "PSNR-avg",
    "SSIM",
]
"""Keys of ``x2ct.metrics.table1`` (DECIDED in DESIGN.md), in the order of the seed's table."""

TABLE1_KEYS: tuple[str, ...] = get_args(Table1Key)


@dataclass(frozen=True)
class EvaluateConfig:
    """Thresholds and ranges of the corrected and shape metrics, and the baselines' lookup size."""

    bone_hu: float = 200.0
    """HU level that separates bone from soft tissue for Dice / HD95 / ASSD and meshes: above
    muscle (up to ~150 HU), at young-adult vertebral trabecular bone (~226 HU)."""

    data_range_hu: float = 2500.0
    """Data range L (HU) of the corrected PSNR and 3D SSIM: the span -1024..1476 HU of the
    network target, the same for every case."""

    vertebra_margin_mm: float | None = 10.0
    """Per-vertebra metrics: voxels within this distance (mm) of a labelled vertebra belong to
    the nearest one; bone farther out counts only globally. null = no limit."""

    baseline_bins: int = 64
    """Number of intensity bins of the back-projection baseline's calibration lookup."""
