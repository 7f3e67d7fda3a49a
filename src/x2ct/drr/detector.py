"""What the detector adds to the primary image: scatter, blur and quantum noise.

All functions take and return the relative signal I / I0 (1 = unattenuated beam) as torch
tensors (..., rows, cols), with the pixel pitch in mm at the detector. In the order a
radiograph forms: ``add_scatter`` (scatter reaches the detector beside the primary),
``detector_blur`` (the scintillator spreads the light of both), ``quantum_noise`` (photon
counting statistics of the total).

- Scatter: a scatter-to-primary model. The scatter field is the primary's attenuation, blurred
  by a wide Gaussian kernel (scatter varies slowly across the image) and scaled so that the
  scatter-to-primary ratio at the body's centre is ``spr``. Off by default: a measured option.
- Blur: a Gaussian point-spread function of ``sigma_mm`` at the detector.
- Noise: the expected photon count per pixel is the unattenuated fluence (photons / mm^2 at
  ``kerma_ugy`` of air kerma, from the tube spectrum) times the pixel area times I / I0; a
  Poisson draw of it, divided again by the unattenuated count, is the noisy I / I0.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from x2ct.drr.spectra import Spectrum


def gaussian_blur(image: torch.Tensor, sigma_px: float) -> torch.Tensor:
    """Separable Gaussian blur of (..., rows, cols) with sigma in pixels (edges replicated)."""
    if sigma_px <= 0:
        return image
    radius = max(1, math.ceil(3.0 * sigma_px))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    kernel = torch.exp(-0.5 * (x / sigma_px) ** 2)
    kernel = kernel / kernel.sum()
    shape = image.shape
    flat = image.reshape(-1, 1, *shape[-2:])
    flat = F.pad(flat, (radius, radius, radius, radius), mode="replicate")
    flat = F.conv2d(flat, kernel.view(1, 1, 1, -1))
    flat = F.conv2d(flat, kernel.view(1, 1, -1, 1))
    return flat.reshape(shape)


def add_scatter(
    primary: torch.Tensor, *, spr: float, pixel_mm: float, kernel_mm: float = 60.0
) -> torch.Tensor:
    """Primary + scatter, (..., rows, cols) relative signal.

    The scatter source is the attenuated part of the beam, 1 - primary, blurred by a Gaussian
    of ``kernel_mm``; its amplitude makes scatter / primary equal ``spr`` at the thickest part
    of the body (the pixel where the primary, blurred the same way, is lowest).
    """
    if spr <= 0:
        return primary
    spread = gaussian_blur(1.0 - primary, kernel_mm / pixel_mm)
    reference_primary = gaussian_blur(primary, kernel_mm / pixel_mm)
    flat_spread = spread.flatten(-2)
    index = reference_primary.flatten(-2).argmin(dim=-1, keepdim=True)
    at_centre = flat_spread.gather(-1, index).clamp(min=1e-12)
    primary_there = primary.flatten(-2).gather(-1, index)
    scale = (spr * primary_there / at_centre).unsqueeze(-1)
    return primary + spread * scale


def detector_blur(signal: torch.Tensor, *, sigma_mm: float, pixel_mm: float) -> torch.Tensor:
    """Gaussian point-spread function of ``sigma_mm`` (at the detector) on the signal."""
    return gaussian_blur(signal, sigma_mm / pixel_mm)


def photons_per_pixel(spectrum: Spectrum, *, kerma_ugy: float, pixel_mm: float) -> float:
    """Expected photons in one unattenuated pixel at ``kerma_ugy`` of detector air kerma."""
    return float(spectrum.fluence_per_ugy.sum()) * kerma_ugy * pixel_mm**2


def quantum_noise(
    signal: torch.Tensor,
    *,
    photons: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Poisson counting noise: Poisson(photons * signal) / photons, same shape and dtype."""
    if photons <= 0:
        raise ValueError(f"photons per pixel must be positive, got {photons}")
    rate = (signal.clamp(min=0.0) * photons).double()
    counts = torch.poisson(rate, generator=generator)
    return (counts / photons).to(signal.dtype)
