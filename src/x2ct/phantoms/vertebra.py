"""One vertebra as a union of primitives in its local frame, rasterised into its own box.

Local frame (a, b, c) = (inferior, posterior, left), origin at the body centre (see ``spine``).
Parts: the body (concave waist, flat posterior wall, endplate planes with a central concave bowl,
optional wedge fracture), pedicles, articular pillars with superior and inferior articular
processes (sagittal facet joints in the lumbar spine, coronal ones in the thoracic spine),
laminae, spinous process and transverse processes. Every part is evaluated only on its own
sub-box; the union's signed distance gives the label (inside = distance < 0), the partial-volume
occupancy, and the cortical shell (within ``cortical_mm`` of the surface) around a textured
cancellous core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from x2ct.phantoms.sdf import (
    Box,
    Grid,
    box_around,
    capsule,
    corners,
    local_coords,
    relative,
    rounded_box,
    transform,
)
from x2ct.phantoms.spec import VertebraSpec
from x2ct.phantoms.spine import Pose

LAMINA_MM = 7.0
"""Lamina thickness (Egwu 2019: 6.6-7.3 mm at T2-T9; used at every level)."""
POSTERIOR_CORE_HU = 250.0
"""Extra HU of the core of the posterior elements (mostly compact bone) over the body's."""
PEDICLE_DROP_MM = 2.0
"""Gap between the superior endplate and the top of the pedicles (they join the upper body)."""
WAIST = 0.07
"""Relative narrowing of the body at mid-height (concave waist)."""

Coords = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Part:
    """A primitive in the vertebra's local frame: its local bounding box and its SDF."""

    lo: np.ndarray
    hi: np.ndarray
    sdf: Callable[[Coords], np.ndarray]


@dataclass(frozen=True)
class Facets:
    """Where the facet joints above and below sit, in mm of the vertebra's local frame.

    ``*_lateral`` is |c| of the joint line (lumbar type) and ``*_posterior`` its b (thoracic
    type); ``*_thoracic`` says which type the joint is.
    """

    above_lateral: float
    above_posterior: float
    above_thoracic: bool
    below_lateral: float
    below_posterior: float
    below_thoracic: bool


def pillar_position(spec: VertebraSpec) -> tuple[float, float]:
    """(b, |c|) of the articular pillar: behind the pedicle, lateral to the canal."""
    an = spec.anatomy
    return an.depth / 2 + 0.6 * an.canal_depth, an.canal_width / 2 + an.pedicle_width / 2


def _oriented_box(center, e1, e2, half, radius) -> Part:
    """A rounded box with axes e1, e2 (and e1 x e2) in the local frame."""
    e1 = np.asarray(e1, float) / np.linalg.norm(e1)
    e2 = np.asarray(e2, float) - (np.asarray(e2, float) @ e1) * e1
    e2 /= np.linalg.norm(e2)
    rot = np.column_stack([e1, e2, np.cross(e1, e2)])
    center = np.asarray(center, float)
    half = np.asarray(half, float)
    ext = np.abs(rot) @ (half + radius)
    return Part(
        center - ext, center + ext, lambda q: rounded_box(transform(q, rot, center), half, radius)
    )


def _segment(p0, p1, r0, r1, scale_a: float = 1.0) -> Part:
    """A round cone from p0 to p1; ``scale_a`` squashes it along a (elliptic cross-section)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    r = max(r0, r1)
    lo = np.minimum(p0, p1) - r * np.array([1 / scale_a, 1, 1])
    hi = np.maximum(p0, p1) + r * np.array([1 / scale_a, 1, 1])
    s = np.array([scale_a, 1.0, 1.0])

    def sdf(q: Coords) -> np.ndarray:
        return capsule((q[0] * np.float32(scale_a), q[1], q[2]), p0 * s, p1 * s, r0, r1)

    return Part(lo, hi, sdf)


def body_sdf(q: Coords, pose: Pose, spec: VertebraSpec) -> np.ndarray:
    """Signed distance (approximate, mm) to the vertebral body."""
    a, b, c = q
    an = spec.anatomy
    h_half = np.float32(0.5 * max(an.height_anterior, an.height_posterior))
    waist = 1.0 - np.float32(WAIST) * np.clip(1.0 - (a / h_half) ** 2, 0.0, 1.0)
    half_w = np.float32(pose.width / 2) * waist
    half_ant = np.float32(pose.depth / 2) * waist
    half_post = np.float32(pose.depth / 2)
    u = c / half_w
    posterior = b > 0
    v = np.where(posterior, b / half_post, b / half_ant)
    v2 = np.where(posterior, v**4, v * v)
    r = np.sqrt(u * u + v2)
    wu = u * u / (u * u + v * v + np.float32(1e-6))
    radius = wu * half_w + (1 - wu) * np.where(posterior, half_post, half_ant)
    radial = (r - 1.0) * radius
    bowl = np.clip(1.0 - (r / np.float32(0.7)) ** 2, 0.0, 1.0)
    m_s, g_sb, g_sc, m_i, g_ib, g_ic = (np.float32(x) for x in pose.planes)
    top = -m_s + g_sb * b + g_sc * c + np.float32(spec.concavity_superior) * bowl
    bottom = m_i + g_ib * b + g_ic * c - np.float32(spec.concavity_inferior) * bowl
    return np.maximum(np.maximum(radial, top - a), a - bottom)


def parts(pose: Pose, spec: VertebraSpec, facets: Facets) -> list[Part]:
    """All primitives of one vertebra in its local frame (mm)."""
    an = spec.anatomy
    h = max(an.height_anterior, an.height_posterior)
    half_d = pose.depth / 2
    b_art, c_art = pillar_position(spec)
    out = [
        Part(
            np.array([-h / 2 - 2, -half_d - 2, -pose.width / 2 - 2]),
            np.array([h / 2 + 2, half_d + 2, pose.width / 2 + 2]),
            lambda q: body_sdf(q, pose, spec),
        )
    ]
    b_lam = half_d + an.canal_depth + LAMINA_MM / 2
    a_ped = -an.height_posterior / 2 + an.pedicle_height / 2 + PEDICLE_DROP_MM
    flat = an.pedicle_width / an.pedicle_height
    for side in (-1.0, 1.0):
        # Pedicle: elliptic cross-section, converging slightly towards the body.
        out.append(
            _segment(
                (a_ped, half_d - 6, side * (c_art - 2)),
                (a_ped, b_art, side * c_art),
                an.pedicle_width / 2,
                an.pedicle_width / 2,
                scale_a=flat,
            )
        )
        # Articular pillar linking pedicle, facets, lamina and transverse process.
        out.append(
            _oriented_box(
                (0.05 * h, b_art + 1.5, side * c_art),
                (1, 0, 0),
                (0, 1, 0),
                (0.42 * h, 3.0, 2.5),
                1.5,
            )
        )
        # Superior articular process (joint with the level above), then the inferior one.
        if facets.above_thoracic:
            centre = (-h / 2 - 2.5, facets.above_posterior - 1 - 3.5, side * c_art)
            half = (3.5, 1.0, 2.5)
        else:
            centre = (-h / 2 - 2.5, b_art, side * (facets.above_lateral + 5))
            half = (3.5, 3.5, 1.5)
        out.append(_oriented_box(centre, (1, 0, 0), (0, 1, 0), half, 2.5))
        if facets.below_thoracic:
            centre = (h / 2 + 2.5, facets.below_posterior + 1 + 3.5, side * c_art)
            half = (3.5, 1.0, 2.5)
        else:
            centre = (h / 2 + 2.5, b_art + 3, side * (facets.below_lateral - 5))
            half = (3.5, 3.5, 1.5)
        out.append(_oriented_box(centre, (1, 0, 0), (0, 1, 0), half, 2.5))
        # Lamina from the pillar to the midline, roofing the canal.
        p0 = np.array([0.1 * h, b_art + 2, side * c_art])
        p1 = np.array([0.1 * h, b_lam, 0.0])
        out.append(
            _oriented_box(
                (p0 + p1) / 2,
                p1 - p0,
                (1, 0, 0),
                (np.linalg.norm(p1 - p0) / 2, 0.36 * h, LAMINA_MM / 2 - 1.5),
                1.5,
            )
        )
        # Transverse process: lateral (lumbar) or posterolateral and slightly up (thoracic).
        root = np.array([a_ped, b_art - 1, side * c_art])
        length = an.pedicle_width / 2 + an.transverse_length
        if an.thoracic:
            direction = np.array([-0.15, 0.55, side * 0.82])
            tip = root + length * direction / np.linalg.norm(direction)
            out.append(_segment(root, tip, 4.5, 4.0))
        else:
            tip = root + np.array([1.5, 2.5, side * length])
            out.append(
                _oriented_box(
                    (root + tip) / 2,
                    tip - root,
                    (1, 0, 0),
                    (np.linalg.norm(tip - root) / 2, 3.5, 1.0),
                    1.5,
                )
            )
    # Spinous process: from the laminae's junction, backwards and down.
    theta = np.radians(an.spinous_angle_deg)
    e1 = np.array([np.sin(theta), np.cos(theta), 0.0])
    start = np.array([0.1 * h, b_lam - 1, 0.0])
    length = an.spinous_length + LAMINA_MM / 2
    height = 8.0 if an.thoracic else 0.5 * h
    end = start + length * e1
    e2 = np.array([e1[1], -e1[0], 0.0])
    out.append(_oriented_box((start + end) / 2, e1, e2, (length / 2, height / 2 - 1.5, 2.0), 1.5))
    if an.thoracic:
        out.append(_segment(end - 2 * e1, end, 3.5, 3.5))
    else:
        # Lumbar processes end in a thickened posterior border, not a knob.
        half = 0.5 * height - 2.0
        out.append(_segment(end - 1.5 * e1 - half * e2, end - 1.5 * e1 + half * e2, 3.5, 3.5))
    return out


@lru_cache(maxsize=1)
def trabecular_tile() -> np.ndarray:
    """A 64^3 periodic texture (unit std) with trabeculae elongated along a (fixed seed)."""
    from scipy import ndimage

    rng = np.random.default_rng(20240601)
    noise = rng.standard_normal((64, 64, 64)).astype(np.float32)
    tex = ndimage.gaussian_filter(noise, (2.2, 0.9, 0.9), mode="wrap")
    tex -= ndimage.gaussian_filter(tex, 4.0, mode="wrap")
    return (tex / tex.std()).astype(np.float32)


@dataclass
class Raster:
    """A structure rasterised in its box: signed distance and bone HU, both (box shape) float32."""

    box: Box
    sdf: np.ndarray
    hu: np.ndarray


def rasterise(pose: Pose, spec: VertebraSpec, facets: Facets, grid: Grid) -> Raster | None:
    """Signed distance and HU of one vertebra in its box of the grid (None if outside the grid)."""
    return rasterise_parts(pose, parts(pose, spec, facets), spec, grid)


def rasterise_parts(
    pose: Pose,
    plist: list[Part],
    spec: VertebraSpec,
    grid: Grid,
    hu: Callable[[np.ndarray, Coords], np.ndarray] | None = None,
) -> Raster | None:
    """The union of ``plist`` (min of their signed distances) in the box of the grid that holds
    them all, with bone HU for ``spec`` (or ``hu(sdf, local coords)``); None when no part
    touches the grid."""
    boxes = [box_around(pose.to_p(corners(p.lo, p.hi)), grid, 1.0) for p in plist]
    valid = [b for b in boxes if b is not None]
    if not valid:
        return None
    box = tuple(
        slice(min(b[k].start for b in valid), max(b[k].stop for b in valid)) for k in range(3)
    )
    q = local_coords(box, grid, pose.rotation, pose.origin)
    sdf = np.full(q[0].shape, 1e3, dtype=np.float32)
    for part, part_box in zip(plist, boxes, strict=True):
        sub = relative(part_box, box) if part_box is not None else None
        if sub is not None:
            np.minimum(sdf[sub], part.sdf(tuple(x[sub] for x in q)), out=sdf[sub])
    return Raster(box, sdf, bone_hu(sdf, q, pose, spec) if hu is None else hu(sdf, q))


def bone_hu(sdf: np.ndarray, q: Coords, pose: Pose, spec: VertebraSpec) -> np.ndarray:
    """HU of bone from the depth below the surface: cortical shell over a textured core.

    The posterior elements are small and mostly compact bone, so behind the body their core is
    denser and their shell thicker than in the body.
    """
    tile = trabecular_tile()
    off = spec.texture_offset
    idx = [((q[k] * np.float32(1.4) + 4096).astype(np.int32) + off[k]) & 63 for k in range(3)]
    canc = np.float32(spec.cancellous_hu)
    hu = canc + np.float32(35.0 + 0.15 * spec.cancellous_hu) * tile[idx[0], idx[1], idx[2]]
    posterior = np.clip((q[1] - np.float32(pose.depth / 2 - 1.0)) / np.float32(3.0), 0.0, 1.0)
    hu += posterior * np.float32(POSTERIOR_CORE_HU)
    if spec.fracture_loss > 0:
        # Impacted trabeculae under the collapsed endplate look sclerotic.
        top = -pose.planes[0] + pose.planes[1] * q[1]
        band = np.clip(1.0 - (q[0] - top) / np.float32(6.0), 0.0, 1.0) * (q[1] < 0)
        hu += np.float32(180.0) * band
    shell = np.float32(spec.cortical_mm + 0.35) + posterior * np.float32(0.5)
    w = np.clip((shell + sdf) / np.float32(0.7), 0.0, 1.0)
    hu += w * (np.float32(spec.cortical_hu) - hu)
    return hu
