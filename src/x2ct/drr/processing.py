"""The image processing of a digital radiography system, from detector signal to 8-bit image.

A DR system does not show the detector signal as it is: it takes the logarithm, finds the
range of values of interest from the image's own histogram, enhances local contrast at several
scales and applies a display curve. x2ct models that chain with four steps:

1. log: q = -ln(I / I0), so more attenuation is brighter (bone white, as on a film);
2. window: q is mapped linearly so that its ``percentiles`` (low, high) over the anatomy go to
   0 and 1 (the histogram analysis that replaces a fixed exposure window; pixels of the
   direct beam beside the body are left out of it);
3. multiscale unsharp masking: x + sum_k gain_k (x - G_sigma_k x), with sigma_k in mm at the
   detector (a fine scale sharpens edges, a coarse one equalises large areas);
4. a sigmoid display curve of ``slope`` around 0.5, rescaled so that 0 -> 0 and 1 -> 1, then
   rounding to 8 bits.

The constants are modelling choices: vendors do not publish their chains (they are described
as multiscale contrast equalisation, e.g. Agfa MUSICA, Philips UNIQUE). docs/drr.md gives the
measured effect of each step on the bone contrast and edge width.

Shapes: (..., rows, cols) torch tensors; ``pixel_mm`` is the pitch at the detector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from x2ct.drr.detector import gaussian_blur

DIRECT_BEAM = 0.1
"""q = -ln(I / I0) below which a pixel is taken as direct beam (under 10 % attenuated)."""


@dataclass(frozen=True)
class DisplayChain:
    """Parameters of ``process`` (defaults: a moderately processed lumbar radiograph)."""

    percentiles: tuple[float, float] = (1.0, 99.0)
    unsharp: tuple[tuple[float, float], ...] = ((1.5, 0.8), (10.0, 0.3))
    """(sigma in mm, gain) of each unsharp-mask scale."""
    slope: float = 3.0
    """Steepness of the sigmoid display curve (0 = linear)."""


def log_signal(signal: torch.Tensor) -> torch.Tensor:
    """-ln(I / I0), with I / I0 floored at the dtype's smallest positive value."""
    return -torch.log(signal.clamp(min=torch.finfo(signal.dtype).tiny))


def percentile_window(
    values: torch.Tensor, percentiles: tuple[float, float], *, background: float = DIRECT_BEAM
) -> torch.Tensor:
    """Map each image's (low, high) percentiles of q to 0 and 1 (linear, not clipped).

    The percentiles are taken over the anatomy, the pixels whose q exceeds ``background``
    (a DR system's histogram analysis leaves out the direct beam beside the body); an image
    without such pixels uses all of them.
    """
    low, high = percentiles
    if not 0.0 <= low < high <= 100.0:
        raise ValueError(f"percentiles must satisfy 0 <= low < high <= 100, got {percentiles}")
    flat = values.flatten(-2).float()
    flat = flat.reshape(-1, flat.shape[-1])
    bounds = []
    for row in flat:
        anatomy = row[row > background]
        sample = anatomy if anatomy.numel() else row
        q = torch.tensor([low / 100.0, high / 100.0], dtype=sample.dtype)
        bounds.append(torch.quantile(sample, q))
    stacked = torch.stack(bounds).to(values.dtype).reshape(*values.shape[:-2], 2)
    lo, hi = stacked[..., 0, None, None], stacked[..., 1, None, None]
    return (values - lo) / (hi - lo).clamp(min=torch.finfo(values.dtype).eps)


def unsharp(
    image: torch.Tensor, scales: tuple[tuple[float, float], ...], pixel_mm: float
) -> torch.Tensor:
    """x + sum over scales of gain * (x - Gaussian(x, sigma_mm))."""
    out = image.clone()
    for sigma_mm, gain in scales:
        out = out + gain * (image - gaussian_blur(image, sigma_mm / pixel_mm))
    return out


def display_curve(x: torch.Tensor, slope: float) -> torch.Tensor:
    """Sigmoid of ``slope`` centred at 0.5, rescaled to pass through (0, 0) and (1, 1);
    values outside [0, 1] are clipped first."""
    x = x.clamp(0.0, 1.0)
    if slope <= 0:
        return x
    low, high = 1.0 / (1.0 + math.exp(slope / 2)), 1.0 / (1.0 + math.exp(-slope / 2))
    return (torch.sigmoid(slope * (x - 0.5)) - low) / (high - low)


def process(signal: torch.Tensor, chain: DisplayChain, *, pixel_mm: float) -> torch.Tensor:
    """Detector signal I / I0 (..., rows, cols) -> processed uint8 image of the same shape."""
    # Clipped before the enhancement, as a DR system masks the direct beam: otherwise the
    # air beside the body (far below the window) would pull its large-scale blur down and
    # the unsharp mask would flood the body's border with brightness.
    image = percentile_window(log_signal(signal), chain.percentiles).clamp(0.0, 1.0)
    image = unsharp(image, chain.unsharp, pixel_mm)
    image = display_curve(image, chain.slope)
    return (image * 255.0).round().clamp(0, 255).to(torch.uint8)
