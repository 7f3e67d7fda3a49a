"""Signed-distance-like primitives evaluated on small boxes of the voxel grid.

Positions inside the generator live in the *patient frame* P: millimetres along the model-frame
axes (inferior, posterior, left) measured from the centre of voxel (0, 0, 0), so that
``P = index * spacing``. Every structure is evaluated only inside its own bounding box, a tuple of
three slices of the (D, H, W) grid, which keeps the cost proportional to the structure's size
rather than to the volume's. Distances are in mm, negative inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[slice, slice, slice]


@dataclass(frozen=True)
class Grid:
    """The voxel grid: ``shape`` (D, H, W) and ``spacing`` (mm along D, H, W)."""

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]

    @property
    def eps(self) -> float:
        """Width (mm) of the soft edge used for partial-volume occupancy."""
        return float(np.prod(self.spacing) ** (1.0 / 3.0))


def box_around(points: np.ndarray, grid: Grid, margin_mm: float = 0.0) -> Box | None:
    """Smallest box of voxels holding the P-frame ``points`` (N, 3) plus ``margin_mm``.

    Returns None when the box misses the grid.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    spacing = np.asarray(grid.spacing)
    lo = np.floor((points.min(axis=0) - margin_mm) / spacing).astype(int)
    hi = np.ceil((points.max(axis=0) + margin_mm) / spacing).astype(int) + 1
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, np.asarray(grid.shape))
    if np.any(hi <= lo):
        return None
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))  # type: ignore[return-value]


def relative(inner: Box, outer: Box) -> Box | None:
    """``inner`` intersected with ``outer``, in the coordinates of ``outer`` (None if empty)."""
    out = []
    for i, o in zip(inner, outer, strict=True):
        start, stop = max(i.start, o.start), min(i.stop, o.stop)
        if stop <= start:
            return None
        out.append(slice(start - o.start, stop - o.start))
    return tuple(out)  # type: ignore[return-value]


def corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The 8 corners (8, 3) of the axis-aligned box [lo, hi]."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    idx = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    return np.where(idx == 0, lo, hi)


def local_coords(
    box: Box, grid: Grid, rotation: np.ndarray, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates (mm) of every voxel of ``box`` in a local frame, as three float32 arrays.

    ``rotation`` (3, 3) holds the local axes as columns, expressed in the P frame; ``origin`` (3,)
    is the local origin in P. Local coordinate k of a voxel at P position p is
    ``rotation[:, k] . (p - origin)``; the arrays have the box's shape (built by broadcasting,
    so the cost is a few passes over the box).
    """
    axes = []
    for dim in range(3):
        sl = box[dim]
        pos = np.arange(sl.start, sl.stop, dtype=np.float32) * np.float32(grid.spacing[dim])
        axes.append(pos - np.float32(origin[dim]))
    z = axes[0][:, None, None]
    y = axes[1][None, :, None]
    x = axes[2][None, None, :]
    r = rotation.astype(np.float32)
    return tuple(r[0, k] * z + r[1, k] * y + r[2, k] * x for k in range(3))  # type: ignore[return-value]


def transform(
    q: tuple[np.ndarray, np.ndarray, np.ndarray], rotation: np.ndarray, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates in a sub-frame: ``rotation[:, k] . (q - origin)`` for arrays q = (q0, q1, q2)."""
    r = np.asarray(rotation, dtype=np.float32)
    o = np.asarray(origin, dtype=np.float32)
    d = (q[0] - o[0], q[1] - o[1], q[2] - o[2])
    return tuple(r[0, k] * d[0] + r[1, k] * d[1] + r[2, k] * d[2] for k in range(3))  # type: ignore[return-value]


def rounded_box(q: tuple[np.ndarray, ...], half: np.ndarray, radius: float) -> np.ndarray:
    """Exact SDF of a box of half-sizes ``half`` (3,) with edges rounded by ``radius`` (mm).

    The outer size is ``half + radius`` along each axis; ``q`` is in the box's own frame.
    """
    d = [np.abs(qi) - np.float32(h) for qi, h in zip(q, half, strict=True)]
    outside = np.sqrt(sum(np.maximum(di, 0.0) ** 2 for di in d))
    inside = np.minimum(np.maximum(np.maximum(d[0], d[1]), d[2]), 0.0)
    return outside + inside - np.float32(radius)


def capsule(
    q: tuple[np.ndarray, ...], p0: np.ndarray, p1: np.ndarray, r0: float, r1: float
) -> np.ndarray:
    """SDF (approximate for r0 != r1) of a round cone from ``p0`` (radius r0) to ``p1`` (r1)."""
    p0 = np.asarray(p0, dtype=np.float32)
    axis = np.asarray(p1, dtype=np.float32) - p0
    length2 = float(axis @ axis)
    d = [q[i] - p0[i] for i in range(3)]
    t = (d[0] * axis[0] + d[1] * axis[1] + d[2] * axis[2]) / np.float32(length2)
    t = np.clip(t, 0.0, 1.0)
    dist = np.sqrt(sum((d[i] - t * axis[i]) ** 2 for i in range(3)))
    return dist - (np.float32(r0) + t * np.float32(r1 - r0))


def ellipsoid(q: tuple[np.ndarray, ...], semi: np.ndarray) -> np.ndarray:
    """Approximate SDF (mm) of an axis-aligned ellipsoid with semi-axes ``semi`` in its frame.

    Uses the first-order distance (f - 1) / |grad f| of f = |q / semi|, good near the surface.
    """
    s = [np.float32(v) for v in semi]
    u = [q[i] / s[i] for i in range(3)]
    f = np.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2) + np.float32(1e-6)
    grad = np.sqrt((u[0] / s[0]) ** 2 + (u[1] / s[1]) ** 2 + (u[2] / s[2]) ** 2) / f
    return (f - 1.0) / (grad + np.float32(1e-6))


def occupancy(sdf: np.ndarray, eps: float) -> np.ndarray:
    """Partial-volume fraction of a voxel from its signed distance: 1 inside, 0 outside."""
    return np.clip(0.5 - sdf / np.float32(eps), 0.0, 1.0)


def rotation_about(axis: int, angle_rad: float) -> np.ndarray:
    """(3, 3) rotation by ``angle_rad`` about P-frame axis 0, 1 or 2 (right-handed in P)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    i, j = [k for k in range(3) if k != axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m
