"""Settings of the digitally reconstructed radiographs (section ``drr``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DRRConfig:
    """Geometry and physics of the synthetic radiographs; lengths in mm."""

    geometry: Literal["cone", "parallel"] = "cone"
    sdd_mm: float = 1000.0
    """Source-to-detector distance (clinical lumbar radiography: SID >= 100 cm)."""
    sad_mm: float = 850.0
    """Source-to-isocentre distance; magnification at the isocentre = sdd / sad."""
    detector_pixels: int | None = None
    """Detector rows = columns; None = the cube size of ``prepare``."""
    detector_spacing_mm: float | None = None
    """None = the detector covers exactly the volume's field of view at the isocentre."""
    energy_kev: float = 70.0
    """Effective energy that sets mu_water (NIST XCOM water table)."""
    window_water_mm: tuple[float, float] = (0.0, 400.0)
    """Line-integral window for the 8-bit image, in mm of water-equivalent path."""
