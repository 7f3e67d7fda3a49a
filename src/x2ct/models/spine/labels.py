"""Clean-up of predicted vertebra label maps: one connected piece per level, no specks.

An argmax over level logits leaves stray voxels of a level far from its vertebra (a few voxels
where two levels' logits are close). Each level keeps only its largest 26-connected component,
and a level with fewer than ``min_voxels`` voxels left is dropped, so measures and meshes see
one vertebra per label.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

MIN_VOXELS = 8
"""Smallest vertebra kept (voxels): 1 cm^3 at 5 mm voxels, far below a real vertebral body."""


def largest_components(labels: np.ndarray, min_voxels: int = MIN_VOXELS) -> np.ndarray:
    """(D, H, W) integer labels -> the same with each label reduced to its largest component.

    Label 0 is background. Returns a new array of the input's dtype.
    """
    cleaned = np.zeros_like(labels)
    structure = np.ones((3, 3, 3), dtype=bool)
    for level in np.unique(labels):
        if level == 0:
            continue
        pieces, count = ndimage.label(labels == level, structure=structure)
        if count == 0:
            continue
        sizes = np.bincount(pieces.ravel())[1:]
        largest = int(np.argmax(sizes)) + 1
        if sizes[largest - 1] >= min_voxels:
            cleaned[pieces == largest] = level
    return cleaned
