"""Settings of the 2D radiograph preprocessing (section ``xray``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class XrayConfig:
    """The seed's 2D steps (``paper``) or the field-of-view preserving ``aligned`` mode.

    Both modes end in a (size, size) uint8 image with bone bright. ``paper`` crops every image
    to its own brightest region, so scale and position differ between views and volume;
    ``aligned`` keeps a known field of view (the cube's), so rows of both views and the volume's
    D axis coincide.
    """

    mode: Literal["aligned", "paper"] = "aligned"
    size: int = 128
    """Output side in pixels (the network input size)."""
    threshold: int = 30
    """paper mode: grey level (0-255, after min-max scaling) above which a pixel is 'bright'."""
    morphology_kernel: int = 5
    """paper mode: side (pixels) of the square element for the opening and the closing."""
    intensity: Literal["keep", "minmax", "percentile"] = "keep"
    """aligned mode: 'keep' the 8-bit values (DRRs through a fixed window); 'minmax' or
    'percentile' (0.5-99.5 %) rescale other images, e.g. real radiographs, to 0-255."""
