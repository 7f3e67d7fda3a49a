"""The Volume: a 3D array in the model frame together with its voxel-to-world affine.

Model frame (DECIDED in DESIGN.md): array axes (D, H, W) run superior -> inferior,
anterior -> posterior and patient right -> left; nibabel axis codes ('I', 'P', 'L').
The affine maps voxel indices (d, h, w, 1) to RAS world coordinates in millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from x2ct.errors import InputError

MODEL_AXCODES: tuple[str, str, str] = ("I", "P", "L")
"""nibabel axis codes of the model frame: index grows towards inferior, posterior, left."""

MAX_SPACING_MM = 20.0
"""Voxel spacing above this is taken as a broken header rather than a coarse scan."""


def spacing_from_affine(affine: np.ndarray) -> tuple[float, float, float]:
    """Voxel size in mm along each array axis: the column norms of the affine's 3x3 part."""
    return tuple(float(v) for v in np.linalg.norm(np.asarray(affine)[:3, :3], axis=0))


def check_affine(affine: np.ndarray, source: str | Path | None = None) -> np.ndarray:
    """Validate a 4x4 voxel-to-world affine and return it as float64.

    Raises InputError for a wrong shape, non-finite entries, a singular 3x3 part, or a spacing
    that is zero, negative or absurd (> MAX_SPACING_MM).
    """
    affine = np.asarray(affine, dtype=np.float64)
    if affine.shape != (4, 4):
        raise InputError(source, "a 4x4 affine", f"shape {affine.shape}")
    if not np.all(np.isfinite(affine)):
        raise InputError(source, "a finite affine", "NaN or inf entries")
    if abs(np.linalg.det(affine[:3, :3])) < 1e-9:
        raise InputError(source, "an invertible affine", "a singular 3x3 part (det = 0)")
    spacing = spacing_from_affine(affine)
    if not all(0.0 < s <= MAX_SPACING_MM for s in spacing):
        shown = ", ".join(f"{s:g}" for s in spacing)
        raise InputError(source, f"voxel spacing in (0, {MAX_SPACING_MM:g}] mm", f"({shown}) mm")
    return affine


@dataclass(eq=False)
class Volume:
    """A 3D image in the model frame.

    Attributes:
        array: (D, H, W) float32; HU for CT, integer-valued ids for label maps.
        affine: (4, 4) float64, voxel index (d, h, w) -> RAS world position in mm.
        source: where it came from (file name), used in error messages; may be None.
    """

    array: np.ndarray
    affine: np.ndarray
    source: str | None = field(default=None)

    def __post_init__(self) -> None:
        array = np.asarray(self.array)
        if array.ndim != 3:
            raise InputError(
                self.source, "a 3D volume", f"{array.ndim}D array of shape {array.shape}"
            )
        if min(array.shape) < 1:
            raise InputError(self.source, "a non-empty 3D volume", f"shape {array.shape}")
        if array.dtype != np.float32:
            array = array.astype(np.float32)
        if not np.all(np.isfinite(array)):
            bad = int(np.count_nonzero(~np.isfinite(array)))
            raise InputError(self.source, "finite voxel values", f"{bad} NaN or inf voxels")
        self.array = array
        self.affine = check_affine(self.affine, self.source)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (D, H, W)."""
        return tuple(int(n) for n in self.array.shape)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size in mm along (D, H, W)."""
        return spacing_from_affine(self.affine)

    def voxel_to_world(self, index: np.ndarray) -> np.ndarray:
        """Map (..., 3) voxel indices (d, h, w) to (..., 3) RAS positions in mm."""
        index = np.asarray(index, dtype=np.float64)
        return index @ self.affine[:3, :3].T + self.affine[:3, 3]

    def world_to_voxel(self, position: np.ndarray) -> np.ndarray:
        """Map (..., 3) RAS positions in mm to (..., 3) fractional voxel indices (d, h, w)."""
        position = np.asarray(position, dtype=np.float64)
        inverse = np.linalg.inv(self.affine)
        return position @ inverse[:3, :3].T + inverse[:3, 3]

    def center_world(self) -> np.ndarray:
        """RAS position (mm) of the geometric centre of the voxel grid."""
        return self.voxel_to_world((np.array(self.shape) - 1) / 2.0)

    def with_array(self, array: np.ndarray, affine: np.ndarray | None = None) -> Volume:
        """A new Volume with another array (and optionally affine), keeping the source name."""
        return Volume(array, self.affine if affine is None else affine, self.source)
