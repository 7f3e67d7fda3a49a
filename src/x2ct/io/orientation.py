"""Reorientation between any voxel order and the model frame (I, P, L).

Reorienting only permutes and flips array axes; the affine is updated so that every voxel keeps
its world position, which is what lets ``write_volume`` put a prediction back in patient space.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np

from x2ct.volume import MODEL_AXCODES


def reorient(
    array: np.ndarray, affine: np.ndarray, target: tuple[str, str, str] = MODEL_AXCODES
) -> tuple[np.ndarray, np.ndarray]:
    """Permute/flip a 3D array into the axis codes ``target`` and return (array, affine).

    Args:
        array: 3D array in the voxel order described by ``affine``.
        affine: (4, 4) voxel -> RAS mm.
        target: axis codes of the output voxel order (default: the model frame I, P, L).

    Returns:
        The reoriented array (a contiguous copy) and its (4, 4) affine, such that
        ``new_affine @ [i', j', k', 1]`` equals ``affine @ [i, j, k, 1]`` for corresponding voxels.
    """
    current = nib.orientations.io_orientation(affine)
    wanted = nib.orientations.axcodes2ornt(target)
    transform = nib.orientations.ornt_transform(current, wanted)
    new_array = nib.orientations.apply_orientation(array, transform)
    new_affine = affine @ nib.orientations.inv_ornt_aff(transform, array.shape)
    return np.ascontiguousarray(new_array), new_affine
