"""An independent, slow, obviously correct DRR: fine trilinear ray marching with grid_sample.

It shares no code with x2ct.drr. Each detector pixel's ray is built from the documented
geometry (source ``sad`` before the isocentre on the ray axis, detector ``sdd`` after the
source, pixel (0, 0) at the low-index corner of D and of the column axis) and sampled at
``substeps`` points per voxel along the ray axis (midpoint rule) by trilinear interpolation
with zero padding, i.e. the exact line integral of the zero-padded trilinear interpolant up to
the quadrature error.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

AXES = {"frontal": (1, 2), "lateral": (2, 1)}  # (ray axis, column axis) among (D, H, W)


def march(
    mu: np.ndarray,
    spacing: tuple[float, float, float],
    view: str,
    rows: int,
    cols: int,
    row_pitch: float,
    col_pitch: float,
    sad: float | None = 850.0,
    sdd: float = 1000.0,
    iso: tuple[float, float, float] = (0.0, 0.0, 0.0),
    substeps: int = 16,
) -> np.ndarray:
    """Line integrals (rows, cols) of mu (D, H, W) in 1/mm; ``sad=None`` means parallel beam.

    The pitches are at the detector plane (for a parallel beam: at the isocentre).
    """
    mu_t = torch.as_tensor(np.asarray(mu, dtype=np.float64))
    shape = mu_t.shape
    ray, col = AXES[view]
    n_ray, s_ray = shape[ray], spacing[ray]
    u = (np.arange(rows) - (rows - 1) / 2.0) * row_pitch
    v = (np.arange(cols) - (cols - 1) / 2.0) * col_pitch
    # ray-axis coordinates covering the volume plus one voxel on each side, midpoints
    half = (n_ray + 1) / 2.0 * s_ray
    n_steps = (n_ray + 1) * substeps
    da = 2 * half / n_steps
    a = -half + (np.arange(n_steps) + 0.5) * da  # relative to the grid centre
    pos = np.zeros((n_steps, rows, cols, 3))
    if sad is None:
        pos[..., 0] = iso[0] + u[None, :, None]
        pos[..., col] = iso[col] + v[None, None, :]
        length = np.full((rows, cols), da)
    else:
        src = np.array(iso, dtype=np.float64)
        src[ray] -= sad
        t = (a - src[ray]) / sdd  # fraction of the way from source to detector
        pos[..., 0] = iso[0] + t[:, None, None] * u[None, :, None]
        pos[..., col] = iso[col] + t[:, None, None] * v[None, None, :]
        length = da * np.sqrt(1.0 + (u[:, None] ** 2 + v[None, :] ** 2) / sdd**2)
    pos[..., ray] = a[:, None, None]
    index = pos / np.asarray(spacing) + (np.asarray(shape) - 1) / 2.0
    grid = 2.0 * index / (np.asarray(shape) - 1) - 1.0  # align_corners=True convention
    grid_t = torch.as_tensor(grid[..., ::-1].copy())[None]  # grid_sample wants (x=W, y=H, z=D)
    samples = F.grid_sample(mu_t[None, None], grid_t, mode="bilinear", align_corners=True)
    return samples[0, 0].sum(0).numpy() * length
