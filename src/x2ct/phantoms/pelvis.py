"""The pelvis beside and below the sacrum: iliac blades, acetabular bodies, pubic and ischial
rami, femoral heads and necks (unlabelled bone, like the sacrum).

A real lumbar CT or radiograph holds the pelvis: on the real CT of docs/quality.md 78 % of the
bone in the model's cube lies outside the labelled vertebrae, and removing it changes bone Dice
by 0.07-0.09. The shapes are simple (thin elliptic plates, round cones, spheres); the sizes are
published means, scaled by the case's size factor:

- femoral head centres 160 mm apart (inter-femoral-head distance 16.0 +- 0.8 cm, CT of 200
  adults, Skeletal Radiol 2010, doi 10.1007/s00256-009-0791-x), heads of 46 mm diameter
  (femoral head diameter / pelvic height = 0.215, Eur J Orthop Surg Traumatol 2014;24:947,
  with a pelvic height of about 215 mm);
- anterior superior iliac spines 227 mm apart (inter-ASIS distance 22.7 +- 1.6 cm, same CT
  study); the widest point of the crests 30 mm further out on each side (modelling choice);
- the top of the iliac crests at the L4/L5 disc (Tuffier's line: median L4/L5, range L3/L4 to
  L5/S1, Anesthesiology 2003;99:1359);
- hip centres 0.33 of the pelvic height below the ASIS (Cy / Dy = 0.33 +- 0.02, CT of 22 hips,
  J Bone Joint Surg Br 92-B Supp II:296), the ASIS 25 mm below the crest top (modelling choice).

Local frame of the pelvis (mm): a inferior, b posterior, c left, the origin at the S1 body's
centre; a is the patient's inferior axis, not the sacrum's (the pelvis does not follow the
sacral slope of the drawn sacrum, which is drawn tilted within it).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from x2ct.phantoms.sdf import Grid, ellipsoid, transform
from x2ct.phantoms.spec import VertebraSpec
from x2ct.phantoms.spine import Pose
from x2ct.phantoms.vertebra import (
    Coords,
    Part,
    Raster,
    _segment,
    rasterise_parts,
    trabecular_tile,
)

HIP_CENTRE_HALF_DISTANCE_MM = 80.0
FEMORAL_HEAD_RADIUS_MM = 23.0
ASIS_HALF_DISTANCE_MM = 113.5
CREST_BEYOND_ASIS_MM = 30.0
ASIS_BELOW_CREST_MM = 25.0
PELVIC_HEIGHT_MM = 215.0
HIP_BELOW_ASIS = 0.33
BLADE_HALF_THICKNESS_MM = 3.0
"""The iliac blade's half thickness at its centre; the crest rim is thicker (a round cone)."""


def pelvis_pose(sacrum: Pose) -> Pose:
    """The pelvis frame: the sacrum's left axis, the patient's inferior axis, the S1 origin."""
    c = sacrum.rotation[:, 2]
    a = np.array([1.0, 0.0, 0.0]) - c[0] * c
    a /= np.linalg.norm(a)
    b = np.cross(c, a)
    return replace(sacrum, level="pelvis", rotation=np.column_stack([a, b, c]))


def _blade(centre: np.ndarray, e_long: np.ndarray, e_down: np.ndarray, semi: tuple) -> Part:
    """A thin elliptic plate: semi-axes (along e_long, along e_down) in its plane and a half
    thickness growing from the centre to the rim, as the iliac blade thickens at the crest."""
    e1 = e_long / np.linalg.norm(e_long)
    e2 = e_down - (e_down @ e1) * e1
    e2 /= np.linalg.norm(e2)
    rot = np.column_stack([e1, e2, np.cross(e1, e2)])
    half_long, half_down = semi
    thickness = BLADE_HALF_THICKNESS_MM

    def sdf(q: Coords) -> np.ndarray:
        u = transform(q, rot, centre)
        outline = ellipsoid(
            (u[0], u[1], np.zeros_like(u[2])), np.array([half_long, half_down, 1.0])
        )
        r2 = (u[0] / np.float32(half_long)) ** 2 + (u[1] / np.float32(half_down)) ** 2
        plate = np.abs(u[2]) - np.float32(thickness) * (np.float32(0.8) + np.float32(0.7) * r2)
        return np.maximum(outline, plate)

    ext = np.abs(rot) @ np.array([half_long, half_down, 3 * thickness])
    return Part(centre - ext, centre + ext, sdf)


def _ball(centre: np.ndarray, radius: float) -> Part:
    """A sphere (femoral head)."""
    c = centre.astype(np.float32)

    def sdf(q: Coords) -> np.ndarray:
        return np.sqrt((q[0] - c[0]) ** 2 + (q[1] - c[1]) ** 2 + (q[2] - c[2]) ** 2) - radius

    return Part(centre - radius, centre + radius, sdf)


def landmarks(pose: Pose, l5: VertebraSpec, disc_l4: float, disc_l5: float, scale: float) -> dict:
    """Landmarks (local (a, b, c) mm, left side; mirror c for the right) of the pelvis.

    ``disc_l4`` / ``disc_l5``: heights of the L4/L5 and L5/S1 discs; ``scale``: the case's
    size factor.
    """
    s1_top = -pose.planes[0]
    crest_a = s1_top - disc_l5 - l5.anatomy.height_posterior - 0.5 * disc_l4
    asis_a = crest_a + ASIS_BELOW_CREST_MM * scale
    hip_a = asis_a + HIP_BELOW_ASIS * PELVIC_HEIGHT_MM * scale
    d = pose.depth
    return {
        "crest_top": np.array(
            [crest_a, 0.1 * d, (ASIS_HALF_DISTANCE_MM + CREST_BEYOND_ASIS_MM) * scale]
        ),
        "asis": np.array([asis_a, -(d / 2 + 40.0 * scale), ASIS_HALF_DISTANCE_MM * scale]),
        "psis": np.array([crest_a + 30.0 * scale, d / 2 + 25.0 * scale, 40.0 * scale]),
        "hip": np.array([hip_a, -0.15 * d, HIP_CENTRE_HALF_DISTANCE_MM * scale]),
        "symphysis": np.array([hip_a + 15.0 * scale, -(d / 2 + 55.0 * scale), 0.0]),
        "ischium": np.array([hip_a + 55.0 * scale, d / 2, 55.0 * scale]),
    }


def pelvis_parts(marks: dict, scale: float) -> list[Part]:
    """Both hip bones and femora of ``landmarks`` as parts in the pelvis frame."""
    out = []
    head = FEMORAL_HEAD_RADIUS_MM * scale
    for side in (1.0, -1.0):
        m = {k: v * np.array([1.0, 1.0, side]) for k, v in marks.items()}
        # Iliac blade: from the sacro-iliac joint (near the PSIS) to the ASIS along the crest,
        # from the crest down to the roof of the acetabulum.
        crest_mid = 0.5 * (m["psis"] + m["asis"])
        crest_mid[0] = m["crest_top"][0]
        crest_mid[2] = m["crest_top"][2] - 15.0 * scale * side
        below = m["hip"] - np.array([head + 8.0 * scale, 0.0, 0.0])
        centre = 0.55 * crest_mid + 0.45 * below
        e_long = m["asis"] - m["psis"]
        e_long[0] = 0.0
        half_long = 0.5 * float(np.linalg.norm(e_long)) + 8.0 * scale
        half_down = 0.5 * float(np.linalg.norm(below - crest_mid)) + 6.0 * scale
        out.append(_blade(centre, e_long, below - crest_mid, (half_long, half_down)))
        # The crest's rim and the thick posterior pillar down to the sacro-iliac joint.
        out.append(_segment(m["psis"], m["crest_top"], 6.0 * scale, 5.0 * scale))
        out.append(_segment(m["crest_top"], m["asis"], 5.0 * scale, 4.0 * scale))
        out.append(_segment(m["psis"], below, 9.0 * scale, 14.0 * scale))
        # Acetabular body, the pubic ramus to the symphysis, the ischium below.
        out.append(_segment(m["asis"], below, 5.0 * scale, 14.0 * scale))
        out.append(
            _segment(
                below, m["hip"] + np.array([0, 0, -12.0 * scale * side]), 16 * scale, 16 * scale
            )
        )
        out.append(_segment(m["hip"], m["symphysis"], 9.0 * scale, 7.0 * scale))
        out.append(_segment(m["hip"], m["ischium"], 11.0 * scale, 12.0 * scale))
        # Femur: head, neck, greater trochanter, top of the shaft. The neck meets the shaft at
        # about 112 degrees, steeper than a real femur's 125-135 (a simplification).
        out.append(_ball(m["hip"], head))
        neck_end = m["hip"] + np.array([0.45, 0.0, 0.9 * side]) * 45.0 * scale
        out.append(_segment(m["hip"], neck_end, 15.0 * scale, 17.0 * scale))
        out.append(
            _segment(
                neck_end,
                neck_end + np.array([120.0 * scale, 0, -10 * side * scale]),
                15 * scale,
                13 * scale,
            )
        )
    return out


def pelvis_hu(sdf: np.ndarray, q: Coords, spec: VertebraSpec) -> np.ndarray:
    """HU of the pelvis from the depth below its surface: a cortical shell over textured
    cancellous bone of the case's density (as the vertebrae, without their posterior core)."""
    tile = trabecular_tile()
    off = spec.texture_offset
    idx = [((q[k] * np.float32(1.1) + 4096).astype(np.int32) + off[k]) & 63 for k in range(3)]
    canc = np.float32(spec.cancellous_hu)
    # The tile's trabeculae run along its first axis. The vertebrae index it with the body
    # axis first; the pelvis swaps the first two, so its trabeculae run across the body axis.
    hu = canc + np.float32(35.0 + 0.15 * spec.cancellous_hu) * tile[idx[1], idx[0], idx[2]]
    w = np.clip((np.float32(spec.cortical_mm + 0.6) + sdf) / np.float32(0.7), 0.0, 1.0)
    hu += w * (np.float32(spec.cortical_hu) - hu)
    return hu


def rasterise_pelvis(
    sacrum: Pose, l5: VertebraSpec, discs_mm: tuple[float, float], scale: float, grid: Grid
) -> Raster | None:
    """Signed distance and HU of the pelvis in its box of the grid; None when outside it.

    ``discs_mm``: heights of the L4/L5 and L5/S1 discs; ``scale``: the case's size factor.
    """
    pose = pelvis_pose(sacrum)
    parts = pelvis_parts(landmarks(pose, l5, *discs_mm, scale), scale)
    return rasterise_parts(pose, parts, l5, grid, lambda sdf, q: pelvis_hu(sdf, q, l5))
