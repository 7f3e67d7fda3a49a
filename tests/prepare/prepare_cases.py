"""Small synthetic CT + vertebra-label datasets shared by the prepare tests."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from x2ct.config import ProjectConfig, apply_overrides

SMALL = [
    "prepare.size=32",
    "prepare.field_mm=128.0",
    "prepare.margin_mm=8.0",
    "xray.size=32",
]


def small_config(*extra: str) -> ProjectConfig:
    """Defaults shrunk to a 32^3 cube of 4 mm voxels (128 mm) and 32 x 32 views."""
    return apply_overrides(ProjectConfig(), [*SMALL, *extra])


def synthetic_case(shape=(48, 40, 36), spacing=(2.0, 2.5, 3.0), levels=3, seed=0):
    """(hu, labels, affine) stored RAS-like (x, y, z), a bone column with one label per level.

    The column sits posterior of the body centre (higher H in the model frame, i.e. lower y).
    """
    rng = np.random.default_rng(seed)
    nx, ny, nz = shape
    hu = np.full(shape, -1000.0, np.float32)
    x, y, z = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    body = ((x - nx / 2) / (0.45 * nx)) ** 2 + ((y - ny / 2) / (0.45 * ny)) ** 2 <= 1
    hu[body] = 40.0 + rng.normal(0, 5, body.sum())
    labels = np.zeros(shape, np.int16)
    column = ((x - nx / 2) ** 2 + (y - 0.32 * ny) ** 2) <= (0.1 * nx) ** 2
    zs = np.linspace(0.2 * nz, 0.8 * nz, levels + 1).astype(int)
    for level in range(levels):
        inside = column & (z >= zs[level]) & (z < zs[level + 1] - 1)
        hu[inside] = 700.0
        labels[inside] = 24 - level  # L5 at the bottom (lowest z), going up
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = (-nx * spacing[0] / 2, -ny * spacing[1] / 2, 50.0)
    return hu, labels, affine


def write_ctspine1k(root: Path, names: list[str]) -> Path:
    """A CTSpine1K-layout folder (volumes/<n>.nii.gz, labels/<n>_seg.nii.gz)."""
    (root / "volumes").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        hu, labels, affine = synthetic_case(seed=i)
        nib.save(nib.Nifti1Image(hu.astype(np.int16), affine), root / "volumes" / f"{name}.nii.gz")
        nib.save(nib.Nifti1Image(labels, affine), root / "labels" / f"{name}_seg.nii.gz")
    return root
