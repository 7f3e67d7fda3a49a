"""Ribs of the drawn thoracic levels: head at the body, neck to the transverse process, then a
shaft that follows the thoracic cage around and down towards the front.

Ribs are bone in the CT only (vertebra label maps do not label them, as in CTSpine1K / VerSe).
"""

from __future__ import annotations

import numpy as np

from x2ct.phantoms.sdf import Grid, box_around, capsule, local_coords
from x2ct.phantoms.spec import CaseSpec
from x2ct.phantoms.spine import Pose
from x2ct.phantoms.vertebra import PEDICLE_DROP_MM, Raster, pillar_position

RIB_RADIUS_MM = 4.5
"""Round stand-in for the rib's ~12 x 6 mm flat cross-section."""


def rib_paths(
    pose: Pose, spec: CaseSpec, cage: dict[str, np.ndarray], grid: Grid
) -> list[np.ndarray]:
    """Centre-line points (N, 3) in P of the left and right rib of one thoracic level.

    ``cage`` holds per-slice arrays (``cage_x``, ``cage_y``, ``cage_half_w``, ``cage_half_d``,
    P mm) from ``tissue.draw_body``; the rib follows the cage ellipse of its tubercle's slice.
    """
    v = spec.vertebrae[pose.level]
    an = v.anatomy
    number = int(pose.level[1:])
    d = int(np.clip(round(pose.origin[0] / grid.spacing[0]), 0, grid.shape[0] - 1))
    x0, yc = float(cage["cage_x"][d]), float(cage["cage_y"][d])
    half_w, half_d = float(cage["cage_half_w"][d]), float(cage["cage_half_d"][d])
    b_art, c_art = pillar_position(v)
    h = an.height_posterior
    a_ped = -h / 2 + an.pedicle_height / 2 + PEDICLE_DROP_MM
    direction = np.array([-0.15, 0.55, 0.82])
    direction /= np.linalg.norm(direction)
    length = an.pedicle_width / 2 + an.transverse_length
    # Shorter, tighter first rib; short floating 11th and 12th ribs.
    end_angle = {1: 95.0, 11: 100.0, 12: 70.0}.get(number, 150.0)
    drop = 25.0 + 4.0 * min(number, 9)
    paths = []
    for side in (-1.0, 1.0):
        head = pose.to_p(np.array([-h / 2 + 3, pose.depth / 2 - 4, side * (pose.width / 2 - 1)]))
        root = np.array([a_ped, b_art - 1, side * c_art])
        tip_l = root + length * np.array([direction[0], direction[1], side * direction[2]])
        tubercle = pose.to_p(tip_l + np.array([0.0, 2.0, side * 3.0]))
        dx = abs(tubercle[2] - x0)
        start = np.degrees(np.arcsin(np.clip(dx / half_w, 0.0, 0.95))) + 8.0
        phis = np.radians(np.linspace(start, end_angle, 10))
        frac = (phis - phis[0]) / max(phis[-1] - phis[0], 1e-6)
        arc = np.column_stack(
            [
                tubercle[0] + drop * frac**1.3,
                yc + half_d * np.cos(phis),
                x0 + side * half_w * np.sin(phis),
            ]
        )
        paths.append(np.vstack([head, tubercle, arc]))
    return paths


def rasterise_rib(
    path: np.ndarray, grid: Grid, cortical_hu: float, marrow_hu: float
) -> list[Raster]:
    """One raster per segment of a rib centre line; each holds the union with its neighbours."""
    out = []
    n = len(path) - 1
    for k in range(n):
        box = box_around(path[k : k + 2], grid, RIB_RADIUS_MM + 2)
        if box is None:
            continue
        q = local_coords(box, grid, np.eye(3), np.zeros(3))
        sdf = None
        for j in range(max(k - 1, 0), min(k + 2, n)):
            radius = RIB_RADIUS_MM * (0.8 if j == 0 else 1.0)
            s = capsule(q, path[j], path[j + 1], radius, RIB_RADIUS_MM)
            sdf = s if sdf is None else np.minimum(sdf, s)
        w = np.clip((np.float32(1.6) + sdf) / np.float32(0.7), 0.0, 1.0)
        hu = np.float32(marrow_hu) + w * np.float32(cortical_hu - marrow_hu)
        out.append(Raster(box, sdf, hu))
    return out
