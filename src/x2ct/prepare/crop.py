"""Bounding boxes of the labelled spine and crops that keep world positions.

Boxes are (3, 2) integer arrays of [start, stop) voxel indices along (D, H, W). A crop shifts
the affine by the box start, so every kept voxel stays at its world position (the seed kept the
uncropped affine, which moved the crop to the wrong place in patient space).
"""

from __future__ import annotations

import numpy as np

from x2ct.volume import Volume


def bounding_box(mask: np.ndarray) -> np.ndarray:
    """(3, 2) [start, stop) box of the True voxels of a (D, H, W) mask; mask must be non-empty."""
    box = np.zeros((3, 2), dtype=np.int64)
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hits = np.flatnonzero(mask.any(axis=other))
        box[axis] = (hits[0], hits[-1] + 1)
    return box


def expand_box(
    box: np.ndarray, margin_mm: float, spacing: tuple[float, float, float], shape: tuple[int, ...]
) -> np.ndarray:
    """Grow a box by ``margin_mm`` on every side (rounded up to whole voxels), clipped to shape."""
    margin = np.ceil(margin_mm / np.asarray(spacing)).astype(np.int64)
    grown = box.copy()
    grown[:, 0] = np.maximum(box[:, 0] - margin, 0)
    grown[:, 1] = np.minimum(box[:, 1] + margin, np.asarray(shape))
    return grown


def box_center_world(volume: Volume, box: np.ndarray) -> np.ndarray:
    """RAS position (mm) of the centre of a box of voxels."""
    return volume.voxel_to_world((box[:, 0] + box[:, 1] - 1) / 2.0)


def box_extent_mm(box: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
    """Physical size (mm) of a box along (D, H, W), voxel edges included."""
    return (box[:, 1] - box[:, 0]) * np.asarray(spacing)


def shifted_affine(affine: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Affine of a sub-array starting at voxel ``start`` of an array with ``affine``."""
    shift = np.eye(4)
    shift[:3, 3] = start
    return affine @ shift


def crop(volume: Volume, box: np.ndarray) -> Volume:
    """The sub-volume inside ``box``, with its affine shifted so world positions are kept."""
    slices = tuple(slice(int(a), int(b)) for a, b in box)
    return Volume(
        volume.array[slices].copy(), shifted_affine(volume.affine, box[:, 0]), volume.source
    )
