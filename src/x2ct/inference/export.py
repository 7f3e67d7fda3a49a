"""Writing reconstructions: NIfTI volumes in HU and STL bone surfaces in millimetres.

Affines map voxel (d, h, w) of the model frame to RAS mm, so 3D Slicer shows a reconstruction
in the patient space of its case (evaluation) or centred at the origin (a new radiograph pair,
whose patient position is unknown).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from x2ct.atomic import atomic_path
from x2ct.errors import InputError
from x2ct.io import write_volume
from x2ct.scaling import target_to_hu
from x2ct.volume import Volume

MODEL_FRAME_DIRECTIONS = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]]).T
"""Columns: RAS direction of the D (inferior), H (posterior) and W (left) axes."""


def model_frame_affine(size: int, voxel_mm: float, center_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
    """(4, 4) affine of a size^3 model-frame cube of voxel_mm voxels centred at ``center_mm``."""
    affine = np.eye(4)
    affine[:3, :3] = MODEL_FRAME_DIRECTIONS * voxel_mm
    affine[:3, 3] = np.asarray(center_mm, float) - affine[:3, :3] @ np.full(3, (size - 1) / 2.0)
    return affine


def resized_affine(affine: np.ndarray, old_size: int, new_size: int) -> np.ndarray:
    """Affine of a cube resized from old_size^3 to new_size^3 (align_corners=False resampling)."""
    scale = old_size / float(new_size)
    index_map = np.eye(4)
    index_map[:3, :3] *= scale
    index_map[:3, 3] = 0.5 * scale - 0.5
    return np.asarray(affine, float) @ index_map


def write_prediction(ct01: np.ndarray, affine: np.ndarray, path: str | Path) -> Path:
    """Write a (S, S, S) network output in [0, 1] as a NIfTI CT in HU (int16), atomically."""
    hu = target_to_hu(np.clip(ct01, 0.0, 1.0))
    return write_volume(Volume(hu, affine, str(path)), path, dtype=np.int16)


def write_labels(labels: np.ndarray, affine: np.ndarray, path: str | Path) -> Path:
    """Write a (S, S, S) vertebra label map (common ids, 0 = background) as uint8 NIfTI."""
    return write_volume(Volume(labels.astype(np.float32), affine, str(path)), path, dtype=np.uint8)


def bone_mesh(hu: np.ndarray, affine: np.ndarray, level: float, step: int = 1):
    """Bone surface at ``level`` HU as a trimesh.Trimesh in RAS mm, outward-facing normals.

    The volume is padded with air so the surface closes at the cube faces (a watertight mesh).
    Raises InputError when no voxel reaches ``level``.
    """
    import trimesh
    from skimage import measure

    if not np.any(hu >= level):
        raise InputError(None, f"voxels at or above {level:g} HU for a bone surface", "none")
    padded = np.pad(hu, 1, mode="constant", constant_values=min(float(hu.min()), level - 1000.0))
    vertices, faces, _, _ = measure.marching_cubes(padded, level=level, step_size=step)
    vertices = vertices - 1.0  # undo the padding
    world = vertices @ np.asarray(affine)[:3, :3].T + np.asarray(affine)[:3, 3]
    mesh = trimesh.Trimesh(world, faces, process=True)
    if mesh.volume < 0:
        # marching_cubes orders faces for a right-handed index space; a mirroring affine (the
        # model frame's I, P, L axes are left-handed in RAS) or its convention turns them inward.
        mesh.invert()
    return mesh


def write_mesh(mesh, path: str | Path) -> Path:
    """Write a mesh as binary STL (mm), atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        mesh.export(tmp, file_type="stl")
    return path
