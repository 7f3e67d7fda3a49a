"""Intervertebral discs and the sacrum (unlabelled bone below L5).

A disc fills the space between the inferior endplate surface of the vertebra above and the
superior endplate surface of the one below (concave bowls included). Its outline is lofted
between the two endplate outlines and bulges slightly; a degenerated disc may hold a gas cleft
(vacuum phenomenon).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from x2ct.phantoms.sdf import Grid, box_around, local_coords
from x2ct.phantoms.spec import DiscSpec, VertebraSpec
from x2ct.phantoms.spine import Pose
from x2ct.phantoms.vertebra import Part, Raster, _oriented_box, body_sdf, rasterise_parts

VACUUM_HU = -750.0


def _radial(q, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Normalised radius of the endplate outline (1 on the rim) and its scale in mm."""
    half_w = np.float32(pose.width / 2)
    half_d = np.float32(pose.depth / 2)
    u = q[2] / half_w
    v = q[1] / half_d
    v2 = np.where(q[1] > 0, v**4, v * v)
    r = np.sqrt(u * u + v2)
    wu = u * u / (u * u + v * v + np.float32(1e-6))
    return r, wu * half_w + (1 - wu) * half_d


def _endplate_points(pose: Pose, superior: bool) -> np.ndarray:
    b = np.array([-1, 1]) * (pose.depth / 2 + 2)
    c = np.array([-1, 1]) * (pose.width / 2 + 2)
    pts = []
    for bb in b:
        for cc in c:
            a = pose.superior_a(bb, cc) if superior else pose.inferior_a(bb, cc)
            pts += [(a - 3, bb, cc), (a + 3, bb, cc)]
    return pose.to_p(np.array(pts))


def rasterise_disc(
    upper: Pose, lower: Pose, up: VertebraSpec, low_concavity: float, disc: DiscSpec, grid: Grid
) -> Raster | None:
    """Signed distance and HU of the disc between ``upper`` and ``lower`` (None if outside)."""
    points = np.vstack([_endplate_points(upper, False), _endplate_points(lower, True)])
    box = box_around(points, grid, 1.0)
    if box is None:
        return None
    qu = local_coords(box, grid, upper.rotation, upper.origin)
    ql = local_coords(box, grid, lower.rotation, lower.origin)
    ru, scale_u = _radial(qu, upper)
    rl, scale_l = _radial(ql, lower)
    bowl_u = np.clip(1 - (ru / np.float32(0.7)) ** 2, 0, 1)
    bowl_l = np.clip(1 - (rl / np.float32(0.7)) ** 2, 0, 1)
    m_i, g_ib, g_ic = (np.float32(x) for x in upper.planes[3:])
    m_s, g_sb, g_sc = (np.float32(x) for x in lower.planes[:3])
    top = m_i + g_ib * qu[1] + g_ic * qu[2] - np.float32(up.concavity_inferior) * bowl_u
    bottom = -m_s + g_sb * ql[1] + g_sc * ql[2] + np.float32(low_concavity) * bowl_l
    d_top = top - qu[0]
    d_bottom = ql[0] - bottom
    t = np.clip(d_top / np.minimum(d_top + d_bottom, np.float32(-1e-3)), 0, 1)
    r = (1 - t) * ru + t * rl
    bulge = np.float32(0.04) * np.sin(np.float32(np.pi) * t)
    radial = (r - 1 - bulge) * ((1 - t) * scale_u + t * scale_l)
    sdf = np.maximum(np.maximum(d_top, d_bottom), radial)
    hu = np.full(sdf.shape, disc.hu, dtype=np.float32)
    hu -= np.float32(10.0) * np.clip(1 - r / np.float32(0.6), 0, 1)  # softer nucleus
    if disc.vacuum:
        cleft = (r < 0.4) & (np.abs(t - 0.5) < 0.22)
        hu[cleft] = VACUUM_HU
    return Raster(box, sdf, hu)


def sacrum_parts(pose: Pose, l5: VertebraSpec) -> list[Part]:
    """The S1 body, its downward continuation, the alae and the posterior wall (local frame)."""
    h = 2 * pose.planes[0]
    w, d = pose.width, pose.depth
    spec = _sacrum_spec(l5)
    out = [
        Part(
            np.array([-h / 2 - 2, -d / 2 - 2, -w / 2 - 2]),
            np.array([h / 2 + 2, d / 2 + 2, w / 2 + 2]),
            lambda q: body_sdf(q, pose, spec),
        ),
        _oriented_box((h / 2 + 18, 4, 0), (0.9, 0.44, 0), (0, 0, 1), (22, w / 2 - 8, d / 2 - 8), 4),
        _oriented_box(
            (h / 2 + 45, 14, 0), (0.8, 0.6, 0), (0, 0, 1), (14, w / 2 - 14, d / 2 - 12), 3
        ),
    ]
    for side in (-1.0, 1.0):
        out.append(
            _oriented_box(
                (h / 4, d / 4, side * (w / 2 + 12)),
                (0, 0, 1),
                (1, 0, 0),
                (17, h / 2 + 4, d / 2 - 2),
                3,
            )
        )
        out.append(
            _oriented_box(
                (h / 2 + 10, d / 2 + 14, side * 14), (1, 0.3, 0), (0, 0, 1), (18, 4, 3), 2
            )
        )
    return out


def _sacrum_spec(l5: VertebraSpec) -> VertebraSpec:
    return replace(l5, level="S1", label=0, fracture_loss=0.0, concavity_superior=0.7)


def rasterise_sacrum(pose: Pose, l5: VertebraSpec, grid: Grid) -> Raster | None:
    """Signed distance and HU of the sacrum (drawn as bone without a label)."""
    return rasterise_parts(pose, sacrum_parts(pose, l5), _sacrum_spec(l5), grid)
