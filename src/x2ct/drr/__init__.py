"""x2ct.drr: digitally reconstructed radiographs (synthetic frontal and lateral X-rays of a CT).

Physics: HU -> linear attenuation mu = mu_water(E) * (1 + HU / 1000), clipped at 0; line
integrals p = integral of mu dl in mm along each ray; Beer-Lambert transmission exp(-p); an
8-bit radiograph-like image through a fixed window in mm of water-equivalent path.
Geometry: cone beam (clinical default) or parallel beam, in mm; see ``x2ct.drr.geometry``.
Rendering: Joseph's method in torch, batched over views and volumes, CPU or GPU,
differentiable with respect to the volume. Details and accuracy: docs/drr.md.
Realistic radiographs (``drr.physics: poly``, ``drr.display: processed``): material
decomposition (``materials``), tungsten spectra (``spectra``), polyenergetic projection
(``polyenergetic``), scatter / blur / quantum noise (``detector``), a DR system's processing
(``processing``), assembled per the config by ``radiograph``.

Public API:
    render(volume, geometry=None, views=("frontal", "lateral"), *, spacing_mm, units, energy_kev)
    ConeBeam(sad_mm, sdd_mm, detector_pixels, detector_spacing_mm, isocenter_mm)
    ParallelBeam(detector_pixels, detector_spacing_mm, isocenter_mm)
    geometry_from_config(config) / detector_for(geometry, view, shape, spacing)
    hu_to_mu(hu, energy_kev), mu_water(energy_kev), transmission(p),
    water_equivalent_mm(p, energy_kev), to_uint8(p, config, *, window_water_mm, energy_kev)
"""

from __future__ import annotations

from x2ct.config.drr import DRRConfig
from x2ct.drr.geometry import (
    VIEWS,
    ConeBeam,
    Detector,
    Geometry,
    ParallelBeam,
    detector_for,
    geometry_from_config,
)
from x2ct.drr.physics import hu_to_mu, mu_water, to_uint8, transmission, water_equivalent_mm
from x2ct.drr.render import render

__all__ = [
    "VIEWS",
    "ConeBeam",
    "DRRConfig",
    "Detector",
    "Geometry",
    "ParallelBeam",
    "detector_for",
    "geometry_from_config",
    "hu_to_mu",
    "mu_water",
    "render",
    "to_uint8",
    "transmission",
    "water_equivalent_mm",
]
