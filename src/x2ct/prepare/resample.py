"""Resampling a volume onto the training cube.

- ``aligned``: isotropic voxels of ``voxel_mm``; the cube (size * voxel_mm mm on each side) is
  centred on the spine box and keeps the CT's axis directions, so the DRRs rendered over the
  same field of view line up with it.
- ``paper``: the spine box stretched to size^3 voxels, as the original code resized crops.

Trilinear interpolation for CT (with a Gaussian pre-filter along axes that are shrunk, to avoid
aliasing), nearest neighbour for labels. Outside the source the CT is air (-1024 HU).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from x2ct.volume import Volume

AIR_HU = -1024.0


def aligned_cube_affine(
    volume: Volume, center_world: np.ndarray, size: int, voxel_mm: float
) -> np.ndarray:
    """(4, 4) affine of a size^3 cube of voxel_mm voxels centred at ``center_world`` (RAS mm).

    The cube's axes point the same way as the volume's (model frame), so no rotation happens.
    """
    directions = volume.affine[:3, :3] / np.asarray(volume.spacing)
    affine = np.eye(4)
    affine[:3, :3] = directions * voxel_mm
    affine[:3, 3] = center_world - affine[:3, :3] @ np.full(3, (size - 1) / 2.0)
    return affine


def paper_cube_affine(volume: Volume, box: np.ndarray, size: int) -> np.ndarray:
    """(4, 4) affine of the box stretched to size^3 (voxel centres as a linear resize places them)."""
    scale = (box[:, 1] - box[:, 0]) / float(size)
    index_map = np.eye(4)
    index_map[:3, :3] = np.diag(scale)
    index_map[:3, 3] = box[:, 0] + 0.5 * scale - 0.5
    return volume.affine @ index_map


def _source_region(
    matrix: np.ndarray, offset: np.ndarray, size: int, shape: tuple[int, ...], pad: int
):
    """Bounds of the source voxels that a size^3 output grid touches (with ``pad`` voxels)."""
    corners = np.array(np.meshgrid([0, size - 1], [0, size - 1], [0, size - 1], indexing="ij"))
    corners = corners.reshape(3, -1).T @ matrix.T + offset
    low = np.clip(np.floor(corners.min(axis=0)).astype(int) - pad, 0, np.array(shape))
    high = np.clip(np.ceil(corners.max(axis=0)).astype(int) + pad + 1, 0, np.array(shape))
    return low, high


def resample_to_cube(
    volume: Volume, cube_affine: np.ndarray, size: int, labels: bool = False
) -> np.ndarray:
    """Sample ``volume`` on the size^3 grid of ``cube_affine``; returns (size, size, size) float32.

    ``labels=True`` uses nearest neighbour and fills 0 outside; otherwise trilinear with an
    anti-aliasing Gaussian (sigma = (shrink - 1) / 2 source voxels per axis) and air outside.
    """
    mapping = np.linalg.inv(volume.affine) @ cube_affine  # cube voxel -> source voxel
    matrix, offset = mapping[:3, :3], mapping[:3, 3]
    low, high = _source_region(matrix, offset, size, volume.shape, pad=4)
    if np.any(high <= low):
        fill = 0.0 if labels else AIR_HU
        return np.full((size, size, size), fill, dtype=np.float32)
    source = volume.array[low[0] : high[0], low[1] : high[1], low[2] : high[2]]
    offset = offset - low
    if labels:
        out = ndimage.affine_transform(
            source, matrix, offset, (size, size, size), order=0, mode="constant", cval=0.0
        )
        return out.astype(np.float32)
    shrink = np.linalg.norm(matrix, axis=1)  # source voxels per cube voxel, per source axis
    sigma = np.maximum(shrink - 1.0, 0.0) / 2.0
    if np.any(sigma > 0.1):
        source = ndimage.gaussian_filter(
            source, sigma=np.where(sigma > 0.1, sigma, 0.0), mode="nearest"
        )
    out = ndimage.affine_transform(
        source,
        matrix,
        offset,
        (size, size, size),
        order=1,
        mode="constant",
        cval=AIR_HU,
        prefilter=False,
    )
    return out.astype(np.float32)
