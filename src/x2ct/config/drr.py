"""Settings of the digitally reconstructed radiographs (section ``drr``).

Only the standard library is imported here, so that loading a configuration stays cheap; the
renderer turns this section into a geometry with ``x2ct.drr.geometry_from_config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from x2ct.errors import InputError


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
    physics: Literal["mono", "poly"] = "mono"
    """'mono': one effective energy (``energy_kev``) and mu linear in HU. 'poly': air / soft
    tissue / bone decomposition, NIST mass attenuation, tungsten spectra at ``kvp``, an
    energy-integrating detector, optional scatter, blur and quantum noise (docs/drr.md)."""
    kvp: tuple[float, float] = (80.0, 90.0)
    """poly: tube voltage of the frontal and of the lateral view (lumbar AP 75-92 kVp,
    lateral 85-95 kVp), 60-120."""
    detector_kerma_ugy: float | None = None
    """poly: air kerma at the detector behind the body (uGy; the median over the pixels the
    body attenuates, as automatic exposure control sets it), which sets the quantum noise;
    None = noise free. Exposure index = 100 x this value (IEC 62494-1)."""
    detector_blur_mm: float = 0.0
    """poly: sigma of the detector's Gaussian point-spread function at the detector (mm)."""
    scatter_to_primary: float = 0.0
    """poly: scatter-to-primary ratio behind the thickest part of the body (0 = no scatter)."""
    display: Literal["window", "processed"] = "window"
    """'window': the fixed ``window_water_mm``; 'processed': a DR system's chain (log,
    percentile window, multiscale unsharp masking, display curve; ``x2ct.drr.processing``)."""
    display_percentiles: tuple[float, float] = (1.0, 99.0)
    """processed: percentiles of each image that map to black and white before enhancement."""
    display_unsharp: tuple[tuple[float, float], ...] = ((1.5, 0.8), (10.0, 0.3))
    """processed: (sigma in mm at the detector, gain) of each unsharp-mask scale."""
    display_slope: float = 3.0
    """processed: steepness of the sigmoid display curve (0 = linear)."""

    def __post_init__(self) -> None:
        """Reject settings that cannot render, naming the key."""
        if self.physics not in ("mono", "poly"):
            raise InputError("drr.physics", "'mono' or 'poly'", repr(self.physics))
        if self.display not in ("window", "processed"):
            raise InputError("drr.display", "'window' or 'processed'", repr(self.display))
        if len(self.kvp) != 2 or not all(60.0 <= k <= 120.0 for k in self.kvp):
            raise InputError("drr.kvp", "two tube voltages in [60, 120] kVp", repr(self.kvp))
        if self.detector_kerma_ugy is not None and not self.detector_kerma_ugy > 0:
            raise InputError(
                "drr.detector_kerma_ugy", "a positive dose or null", repr(self.detector_kerma_ugy)
            )
        for key in ("detector_blur_mm", "scatter_to_primary"):
            if not getattr(self, key) >= 0:
                raise InputError(f"drr.{key}", "0 or more", repr(getattr(self, key)))
        low, high = self.display_percentiles
        if not 0.0 <= low < high <= 100.0:
            raise InputError(
                "drr.display_percentiles", "0 <= low < high <= 100", repr(self.display_percentiles)
            )
