"""Settings of the digitally reconstructed radiographs (section ``drr``).

Only the standard library is imported here, so that loading a configuration stays cheap; the
renderer turns this section into a geometry with ``x2ct.drr.geometry_from_config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DRRConfig:
    """Geometry, physics and 8-bit display window of the synthetic radiographs; lengths in mm.

    The defaults model a clinical lumbar radiograph: source-to-detector distance 100 cm (the
    standard SID for AP and lateral lumbar films), the spine's centre 15 cm in front of the
    detector (source-to-isocentre 85 cm, magnification 1000 / 850 = 1.18 at the isocentre) and
    a 70 keV effective energy, near that of the CT scans the HU come from. See docs/drr.md.
    """

    geometry: Literal["cone", "parallel"] = "cone"
    sdd_mm: float = 1000.0
    """Source-to-detector distance (cone beam)."""
    sad_mm: float = 850.0
    """Source-to-isocentre distance (cone beam); magnification at the isocentre = sdd / sad."""
    detector_pixels: int | None = None
    """Detector rows = columns. None: the volume's own grid (rows = D voxels, columns = the
    larger of the H and W voxel counts), which is S x S for a cube of S voxels."""
    detector_spacing_mm: float | None = None
    """Pixel pitch at the detector plane. None: the detector's footprint at the isocentre is
    exactly the volume's face in that view (rows span D, columns span W or H)."""
    energy_kev: float = 70.0
    """Effective energy that sets mu_water (NIST table, log-log interpolated): 30-100 keV."""
    window_water_mm: tuple[float, float] = (0.0, 450.0)
    """Line-integral window of the 8-bit image in mm of water-equivalent path: the first value
    maps to 0 (black), the second to 255 (white). Fixed, so patients stay comparable."""
