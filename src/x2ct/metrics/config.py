"""Settings of evaluation (section ``evaluate``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvaluateConfig:
    """Thresholds of the shape metrics."""

    bone_hu: float = 200.0
    """HU level that separates bone from soft tissue for Dice / HD95 / ASSD and meshes."""
