"""2D radiograph preprocessing shared by synthetic DRRs and real radiographs.

Input images are (rows, cols) arrays with bone bright (``x2ct.io.read_radiograph`` guarantees
it for files); rows run superior -> inferior. The output is a (size, size) uint8 image.

- ``paper``: the seed's steps: grey -> threshold the bright part -> morphological opening then
  closing -> largest connected region -> crop the original to its bounding box -> min-max
  normalise -> pad to a square (centred, black) -> resize (linear).
- ``aligned``: keep a known field of view. A DRR rendered by x2ct already covers the cube face
  exactly, so it is only resized. A real radiograph with a pixel spacing is cropped to a square
  of ``field_mm * magnification`` millimetres around the bright region's centroid, so that it
  shows the same anatomy scale as the training views.
"""

from __future__ import annotations

import numpy as np
from skimage import measure, morphology, transform

from x2ct.config.xray import XrayConfig
from x2ct.errors import InputError


def to_uint8_minmax(image: np.ndarray) -> np.ndarray:
    """Linearly rescale to 0..255 (uint8); a constant image maps to 0."""
    image = np.asarray(image, dtype=np.float64)
    low, high = float(image.min()), float(image.max())
    if high <= low:
        return np.zeros(image.shape, np.uint8)
    return np.round((image - low) / (high - low) * 255.0).astype(np.uint8)


def to_uint8_percentile(image: np.ndarray, low: float = 0.5, high: float = 99.5) -> np.ndarray:
    """Rescale so that the ``low``/``high`` percentiles map to 0/255 (clipped), uint8."""
    image = np.asarray(image, dtype=np.float64)
    lo, hi = np.percentile(image, [low, high])
    if hi <= lo:
        return to_uint8_minmax(image)
    return np.round(np.clip((image - lo) / (hi - lo), 0.0, 1.0) * 255.0).astype(np.uint8)


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a 2D image to (size, size) with linear interpolation (anti-aliased when shrinking)."""
    shrinking = max(image.shape) > size
    resized = transform.resize(
        image.astype(np.float64),
        (size, size),
        order=1,
        mode="edge",
        preserve_range=True,
        anti_aliasing=shrinking,
    )
    return np.clip(np.round(resized), 0, 255).astype(np.uint8)


def bright_region(image8: np.ndarray, threshold: int, kernel: int) -> np.ndarray:
    """Mask of the largest bright connected region after opening and closing (paper steps 2-4).

    Returns a bool (rows, cols) mask; raises InputError when nothing is brighter than the
    threshold.
    """
    mask = image8 > threshold
    footprint = morphology.footprint_rectangle((kernel, kernel)) if kernel > 1 else None
    if footprint is not None:
        mask = morphology.closing(morphology.opening(mask, footprint), footprint)
    labels = measure.label(mask, connectivity=2)
    if labels.max() == 0:
        raise InputError(None, f"a radiograph with pixels brighter than {threshold}/255", "none")
    # The largest external contour of the seed = the region with the largest filled area.
    regions = measure.regionprops(labels)
    largest = max(regions, key=lambda region: region.area_filled)
    return labels == largest.label


def pad_square(image: np.ndarray, value: float = 0) -> np.ndarray:
    """Pad a 2D image to a square, centred, with a constant value."""
    rows, cols = image.shape
    side = max(rows, cols)
    top, left = (side - rows) // 2, (side - cols) // 2
    out = np.full((side, side), value, dtype=image.dtype)
    out[top : top + rows, left : left + cols] = image
    return out


def preprocess_paper(image: np.ndarray, size: int, threshold: int, kernel: int) -> np.ndarray:
    """The seed's preprocessing (see module docstring); returns (size, size) uint8."""
    grey = image if image.dtype == np.uint8 else to_uint8_minmax(image)
    region = bright_region(grey, threshold, kernel)
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    cropped = grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return resize_square(pad_square(to_uint8_minmax(cropped)), size)


def crop_field(
    image: np.ndarray, center_rc: tuple[float, float], side_px: float, fill: float
) -> np.ndarray:
    """Square crop of ``side_px`` pixels centred at (row, col), padded with ``fill`` outside."""
    side = max(round(float(side_px)), 2)
    top = round(float(center_rc[0]) - side / 2)
    left = round(float(center_rc[1]) - side / 2)
    out = np.full((side, side), fill, dtype=np.float64)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + side, image.shape[0]), min(left + side, image.shape[1])
    if r1 > r0 and c1 > c0:
        out[r0 - top : r1 - top, c0 - left : c1 - left] = image[r0:r1, c0:c1]
    return out


def preprocess_aligned(
    image: np.ndarray,
    config: XrayConfig,
    pixel_spacing_mm: tuple[float, float] | None = None,
    field_mm: float | None = None,
    magnification: float = 1.0,
) -> np.ndarray:
    """Aligned-mode preprocessing; returns (size, size) uint8.

    Args:
        image: (rows, cols), bone bright.
        config: the ``xray`` settings (size, intensity handling, paper thresholds used to find
            the bright region of a real radiograph).
        pixel_spacing_mm: detector pixel size (row, col); with ``field_mm`` it sets the crop.
        field_mm: edge of the training cube in mm at the isocentre; None = the image already
            covers exactly that field (x2ct's own DRRs).
        magnification: source-to-detector / source-to-isocentre distance of the radiograph.
    """
    outside_8bit = image.dtype != np.uint8 and (image.min() < 0 or image.max() > 255)
    if config.intensity == "keep" and outside_8bit:
        raise InputError(None, "an 8-bit image for intensity 'keep'", "values outside 0..255")
    if config.intensity == "minmax":
        grey = to_uint8_minmax(image)
    elif config.intensity == "percentile":
        grey = to_uint8_percentile(image)
    else:
        grey = np.round(image).astype(np.uint8) if image.dtype != np.uint8 else image
    if field_mm is None:
        square = grey if grey.shape[0] == grey.shape[1] else pad_square(grey)
        return resize_square(square, config.size)
    region = bright_region(grey, config.threshold, config.morphology_kernel)
    center = np.argwhere(region).mean(axis=0)
    if pixel_spacing_mm is not None:
        side_px = field_mm * magnification / float(np.mean(pixel_spacing_mm))
    else:
        # Without a pixel size the scale is unknown: assume the bright region spans the field.
        rows, cols = np.nonzero(region)
        side_px = max(np.ptp(rows), np.ptp(cols)) + 1
    return resize_square(crop_field(grey, tuple(center), side_px, float(grey.min())), config.size)


def preprocess(
    image: np.ndarray,
    config: XrayConfig,
    pixel_spacing_mm: tuple[float, float] | None = None,
    field_mm: float | None = None,
    magnification: float = 1.0,
) -> np.ndarray:
    """Preprocess one radiograph (rows, cols; bone bright) into a (size, size) uint8 image.

    Dispatches on ``config.mode``; see ``preprocess_paper`` and ``preprocess_aligned``.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise InputError(None, "a 2D radiograph", f"shape {image.shape}")
    if config.mode == "paper":
        return preprocess_paper(image, config.size, config.threshold, config.morphology_kernel)
    return preprocess_aligned(image, config, pixel_spacing_mm, field_mm, magnification)
