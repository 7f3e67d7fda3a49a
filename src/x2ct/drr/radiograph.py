"""Radiographs as the ``drr`` section asks for them: line integrals of either physics, and the
8-bit image of either display.

- ``physics: mono`` (the default): p = integral of mu(70 keV) dl (``render``), noise free.
- ``physics: poly``: the polyenergetic signal of ``x2ct.drr.polyenergetic`` at each view's
  ``kvp``, then scatter (``scatter_to_primary``), detector blur (``detector_blur_mm``) and
  quantum noise (``detector_kerma_ugy``, the air kerma behind the body as automatic exposure
  control sets it; None = noise free), returned as p = -ln(I / I0).
- ``display: window``: the fixed window on the water-equivalent path (``to_uint8``);
  ``display: processed``: the DR processing chain of ``x2ct.drr.processing``.

Shapes: a (D, H, W) Volume or array in HU in the model frame -> (V, rows, cols) images.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from x2ct.config.drr import DRRConfig
from x2ct.drr.detector import add_scatter, detector_blur, photons_per_pixel, quantum_noise
from x2ct.drr.geometry import ConeBeam, ParallelBeam
from x2ct.drr.physics import to_uint8
from x2ct.drr.polyenergetic import material_thickness
from x2ct.drr.processing import DisplayChain, process
from x2ct.drr.render import render
from x2ct.drr.spectra import tube_spectrum
from x2ct.drr.spectral_sum import tabulated_transmission
from x2ct.volume import Volume

VIEW_ORDER = ("frontal", "lateral")
ANATOMY_TRANSMISSION = 0.9
"""Pixels transmitting less than this are behind the body (for the exposure's reference)."""


def detector_pitch(geometry: ConeBeam | ParallelBeam, shape: tuple[int, ...], spacing) -> float:
    """Pixel pitch at the detector in mm (the larger of rows and columns)."""
    from x2ct.drr.geometry import detector_for

    detector = detector_for(geometry, "frontal", shape, spacing)
    return float(max(detector.row_pitch_mm, detector.col_pitch_mm))


def poly_line_integrals(
    hu: Volume,
    geometry: ConeBeam | ParallelBeam,
    config: DRRConfig,
    *,
    seed: int = 0,
) -> np.ndarray:
    """(2, rows, cols) float32 -ln(I / I0) of the frontal and lateral view (see module doc)."""
    spacing = tuple(float(s) for s in hu.spacing)
    volume = torch.from_numpy(np.ascontiguousarray(hu.array, dtype=np.float32))
    thickness = material_thickness(volume, geometry, VIEW_ORDER, spacing_mm=spacing)[0]
    pixel_mm = detector_pitch(geometry, hu.shape, spacing)
    generator = torch.Generator().manual_seed(int(seed))
    images = []
    for view, kvp in enumerate(config.kvp):
        spectrum = tube_spectrum(kvp)
        signal = tabulated_transmission(thickness[view], spectrum)
        signal = add_scatter(signal, spr=config.scatter_to_primary, pixel_mm=pixel_mm)
        signal = detector_blur(signal, sigma_mm=config.detector_blur_mm, pixel_mm=pixel_mm)
        if config.detector_kerma_ugy is not None:
            # The dose is the one behind the body, as automatic exposure control sets it: the
            # unattenuated beam is the dose divided by the body's median transmission.
            under_body = signal[signal < ANATOMY_TRANSMISSION]
            median = float(under_body.median()) if under_body.numel() else 1.0
            photons = photons_per_pixel(
                spectrum, kerma_ugy=config.detector_kerma_ugy / median, pixel_mm=pixel_mm
            )
            signal = quantum_noise(signal, photons=photons, generator=generator)
        images.append(-torch.log(signal.clamp(min=1e-12)))
    return torch.stack(images).numpy().astype(np.float32)


def line_integrals(
    hu: Volume, geometry: ConeBeam | ParallelBeam, config: DRRConfig, *, seed: int = 0
) -> np.ndarray:
    """(2, rows, cols) float32 line integrals of the frontal and lateral view, either physics."""
    if config.physics == "poly":
        return poly_line_integrals(hu, geometry, config, seed=seed)
    return render(hu, geometry, VIEW_ORDER, energy_kev=config.energy_kev)


def display(line_integrals_: np.ndarray, config: DRRConfig, *, pixel_mm: float) -> np.ndarray:
    """(V, rows, cols) line integrals -> uint8 images through the configured display."""
    if config.display == "window":
        return to_uint8(line_integrals_, config)
    chain = DisplayChain(
        percentiles=config.display_percentiles,
        unsharp=config.display_unsharp,
        slope=config.display_slope,
    )
    signal = torch.exp(-torch.from_numpy(np.asarray(line_integrals_, dtype=np.float32)))
    return process(signal, chain, pixel_mm=pixel_mm).numpy()


def settings_summary(config: DRRConfig) -> dict[str, Any]:
    """The physics and display settings, for the manifest and the HDF5 attributes."""
    summary: dict[str, Any] = {"physics": config.physics, "display": config.display}
    if config.physics == "poly":
        summary.update(
            kvp=list(config.kvp),
            detector_kerma_ugy=config.detector_kerma_ugy,
            detector_blur_mm=config.detector_blur_mm,
            scatter_to_primary=config.scatter_to_primary,
        )
    else:
        summary["energy_kev"] = config.energy_kev
    return summary
