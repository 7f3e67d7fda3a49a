"""Settings of dataset preparation (section ``prepare``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PrepareConfig:
    """Crop, resample and split; the DRR and X-ray settings live in their own sections."""

    size: int = 128
    """Edge of the output cube in voxels."""
    mode: Literal["aligned", "paper"] = "aligned"
    """aligned: isotropic cube centred on the spine, DRRs over the same field of view;
    paper: the spine box stretched to the cube and each view cropped to its bright region."""
    field_mm: float = 320.0
    """aligned mode: edge of the cube in mm (its voxels are field_mm / size, isotropic); the
    spine box plus margins must fit in it. 320 mm holds a thoracolumbar run of about 8 levels."""
    margin_mm: float = 10.0
    """Margin added around the bounding box of the spine labels."""
    center_jitter_mm: float = 0.0
    """aligned mode, for training sets: move each case's cube by up to this many mm along every
    axis (uniform, fixed by ``seed`` and the case name), never so far that the spine box and its
    margins leave the cube. A network that only ever saw the spine at the cube centre expects it
    there; a radiograph's crop or a large scan puts it elsewhere (docs/quality.md, the real CT).
    0 = the cube placed as usual. Models' data settings keep it, but ``x2ct prepare --model``
    prepares new cases without it."""
    mask_outside_hu: float | None = None
    """If set, voxels farther than mask_dilation_mm from the spine labels get this HU in the
    cube and in the DRRs (the seed's 'focus on segmented vertebrae'); None keeps the anatomy."""
    mask_dilation_mm: float = 5.0
    spine_labels: str = "auto"
    """Label ids that count as spine: a preset (ctspine1k, verse, totalseg-v1, totalseg-v2),
    ranges such as 1-25,28, or auto (from the dataset layout)."""
    resample_labels: bool = False
    """Resample a label map whose grid differs from the CT's (nearest neighbour) instead of
    refusing the case."""
    grid_tolerance_mm: float = 0.01
    """Largest difference between the CT and label affines that still counts as one grid."""
    split: float = 0.8
    """Fraction of cases (whole patients) in train.txt; the rest go to test.txt."""
    seed: int = 0
