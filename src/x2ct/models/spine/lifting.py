"""Lifting 2D view features into the 3D grid along each view's real rays.

In aligned mode the cube and both views share one field of view, and the DRR geometry is known
(``x2ct.drr.geometry``): the frontal view's rays run along +H from a source ``sad_mm`` before the
isocentre (the cube's centre), the lateral view's along +W. A voxel at (z_d, z_h, z_w) mm from
the centre, at depth a past the isocentre along the view's ray axis, projects to the detector at
(row, col) = (z_d, z_col) * sdd / (sad + a). The image spans the cube face magnified by
sdd / sad, so in the image's normalised coordinates ([-1, 1] over its width, ``grid_sample``
with align_corners=False) the voxel sits at (z_d, z_col) * sad / (sad + a) / (field / 2).
For a parallel beam the factor is 1 and lifting is a broadcast along the ray axis.

The sampling grids depend only on the geometry and the grid size, so they are computed once per
(size, device) and cached. Every feature scale of a view shares the same field of view, so one
normalised grid serves every level whose 3D edge is ``size``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LiftGeometry:
    """The ray geometry of the training views, in mm.

    Attributes:
        cone: True for a cone beam (point source), False for parallel rays.
        sad_mm: source-to-isocentre distance (cone beam only).
        field_mm: edge of the cube, which both views cover exactly at the isocentre.
    """

    cone: bool = True
    sad_mm: float = 850.0
    field_mm: float = 288.0

    def __post_init__(self) -> None:
        if self.field_mm <= 0 or (self.cone and self.sad_mm <= self.field_mm / 2):
            raise ValueError(
                f"lift geometry needs field_mm > 0 and sad_mm > field_mm / 2, got "
                f"sad_mm {self.sad_mm}, field_mm {self.field_mm}"
            )


def view_grids(geometry: LiftGeometry, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The normalised image positions of every voxel of a size^3 grid, for both views.

    Returns:
        (frontal, lateral), each (size, size * size, 2) float32 in grid_sample's (x, y) order:
        x = the image column (W for the frontal view, H for the lateral), y = the row (D).
        Entry [d, h * size + w] belongs to voxel (d, h, w) of the (D, H, W) model frame.
    """
    half = geometry.field_mm / 2.0
    # Voxel centres in mm from the cube centre, one axis (identical for D, H and W).
    z = (torch.arange(size, dtype=torch.float64) - (size - 1) / 2.0) * (geometry.field_mm / size)
    zd, zh, zw = torch.meshgrid(z, z, z, indexing="ij")

    def scale(depth: torch.Tensor) -> torch.Tensor:
        if not geometry.cone:
            return torch.ones_like(depth)
        return geometry.sad_mm / (geometry.sad_mm + depth)

    frontal = torch.stack([zw * scale(zh), zd * scale(zh)], dim=-1) / half
    lateral = torch.stack([zh * scale(zw), zd * scale(zw)], dim=-1) / half
    return (
        frontal.reshape(size, size * size, 2).float(),
        lateral.reshape(size, size * size, 2).float(),
    )


class RayLifter(torch.nn.Module):
    """Samples a view's feature map at every voxel's projected detector position.

    ``forward(features, view)``: features (N, C, rows, cols) of the frontal (view 0) or the
    lateral (view 1) image -> (N, C, S, S, S) in the (D, H, W) model frame, with S = ``size``.
    Bilinear sampling; voxels whose ray leaves the image read zeros.
    """

    def __init__(self, geometry: LiftGeometry, size: int) -> None:
        super().__init__()
        self.size = size
        frontal, lateral = view_grids(geometry, size)
        # Not saved in checkpoints: they follow from the geometry, which the model folder records.
        self.register_buffer("frontal_grid", frontal, persistent=False)
        self.register_buffer("lateral_grid", lateral, persistent=False)

    def forward(self, features: torch.Tensor, view: int) -> torch.Tensor:
        grid = self.frontal_grid if view == 0 else self.lateral_grid
        n, channels = features.shape[:2]
        grid = grid.to(features.dtype).expand(n, -1, -1, -1)
        lifted = F.grid_sample(
            features, grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )
        return lifted.view(n, channels, self.size, self.size, self.size)


def lift_geometry(settings: dict | None, drr: Any, prepare: Any) -> LiftGeometry:
    """The lift geometry of a prepared data folder.

    Args:
        settings: the ``settings`` of the folder's manifest.json (or a run's / model folder's
            data_settings.json); its ``drr`` and ``prepare`` sections win over the next two.
        drr: a DRRConfig (geometry, sad_mm) used where ``settings`` says nothing.
        prepare: a PrepareConfig (mode, field_mm) used where ``settings`` says nothing.

    Raises:
        InputError: for paper-mode data, whose views are cropped per image (no known rays).
    """
    from x2ct.errors import InputError

    settings = settings or {}
    drr_settings, prep_settings = settings.get("drr", {}), settings.get("prepare", {})
    mode = prep_settings.get("mode", prepare.mode)
    if mode != "aligned":
        raise InputError(
            "prepare.mode",
            "aligned data for the spine model family (its views share the cube's field of view)",
            repr(mode),
        )
    return LiftGeometry(
        cone=drr_settings.get("geometry", drr.geometry) == "cone",
        sad_mm=float(drr_settings.get("sad_mm", drr.sad_mm)),
        field_mm=float(prep_settings.get("field_mm", prepare.field_mm)),
    )
