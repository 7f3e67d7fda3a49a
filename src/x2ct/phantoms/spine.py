"""The spinal column: one rigid pose per vertebra, stacked through the discs along a smooth curve.

Frames. Positions are in the patient frame P (mm along inferior, posterior, left; see ``sdf``).
Each vertebra has a local frame (a, b, c) = (its own inferior, posterior, left axes) with the origin
at the centre of its body (mid-depth, between the endplate planes). Its endplates are planes in
that frame (plus a concave bowl drawn in ``vertebra``):

    superior: a = -m_s + g_sb * b + g_sc * c        inferior: a = m_i + g_ib * b + g_ic * c

Sagittal shape comes from a per-joint angle profile (kyphosis T1-T12, lordosis L1-S1, sacral
slope at S1); coronal shape from one or two scoliotic curves; axial rotation peaks at the apex of
each curve. The Cobb angle that results is measured from the final endplate normals and the curve
amplitude is solved so that it equals the requested one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from x2ct.phantoms.anatomy import LEVELS, level_index
from x2ct.phantoms.sdf import rotation_about
from x2ct.phantoms.spec import CaseSpec, VertebraSpec

SACRUM = "S1"
MIN_DISC_EDGE_MM = 3.0
"""Smallest anterior or posterior disc height allowed when the curve wedges a disc."""


@dataclass(frozen=True)
class Pose:
    """Pose and endplate planes of one vertebra (or of the sacrum, level 'S1')."""

    level: str
    rotation: np.ndarray
    """(3, 3): columns = local a (inferior), b (posterior), c (left) axes in the P frame."""
    origin: np.ndarray
    """(3,) body centre in the P frame, mm."""
    planes: tuple[float, float, float, float, float, float]
    """(m_s, g_sb, g_sc, m_i, g_ib, g_ic), see the module docstring."""
    depth: float
    width: float

    def superior_a(self, b: float, c: float) -> float:
        """Local a of the superior endplate plane at (b, c)."""
        m_s, g_sb, g_sc = self.planes[:3]
        return -m_s + g_sb * b + g_sc * c

    def inferior_a(self, b: float, c: float) -> float:
        """Local a of the inferior endplate plane at (b, c)."""
        m_i, g_ib, g_ic = self.planes[3:]
        return m_i + g_ib * b + g_ic * c

    def to_p(self, local: np.ndarray) -> np.ndarray:
        """Local (a, b, c) point(s) (..., 3) -> P frame."""
        return np.asarray(local) @ self.rotation.T + self.origin

    def normal(self, which: str) -> np.ndarray:
        """Unit normal of the 'superior' or 'inferior' endplate plane in P, pointing superiorly."""
        g_b, g_c = (self.planes[1], self.planes[2]) if which == "superior" else self.planes[4:]
        local = np.array([-1.0, g_b, g_c])
        local /= np.linalg.norm(local)
        return self.rotation @ local


def tilts(normal_p: np.ndarray) -> tuple[float, float]:
    """(coronal, sagittal) tilt in degrees of a superior-pointing normal given in the P frame.

    coronal = atan2(n . left, n . superior): positive when the plane descends towards the patient's
    left; sagittal = atan2(n . anterior, n . superior): positive when it descends anteriorly.
    """
    n_sup, n_ant, n_left = -normal_p[0], -normal_p[1], normal_p[2]
    return float(np.degrees(np.arctan2(n_left, n_sup))), float(np.degrees(np.arctan2(n_ant, n_sup)))


def _planes(v: VertebraSpec, coronal_wedge_deg: float) -> tuple[float, ...]:
    """Endplate planes of one vertebra from its heights, depth, fracture and coronal wedge."""
    an = v.anatomy
    ha, hp, depth = an.height_anterior, an.height_posterior, an.depth
    hm = 0.5 * (ha + hp)
    slope = (hp - ha) / (2.0 * depth)
    loss = v.fracture_loss * ha
    tc = np.tan(np.radians(coronal_wedge_deg) / 2.0)
    return (hm / 2 - loss / 2, -slope - loss / depth, -tc, hm / 2, slope, tc)


def _sacrum_planes(l5: VertebraSpec) -> tuple[float, ...]:
    h = 0.9 * l5.anatomy.height_posterior
    return (h / 2, 0.0, 0.0, h / 2, 0.0, 0.0)


def _frame(sagittal: float, coronal: float, axial: float) -> np.ndarray:
    """Rotation whose a axis has the projected tilts (sagittal, coronal) and axial turn (radians).

    The a axis is (1, tan(sagittal), -tan(coronal)) normalised, so that the projected angles of
    the superior normal -a are exactly the requested tilts; positive ``axial`` turns the anterior
    side of the vertebra towards the patient's left.
    """
    a = np.array([1.0, np.tan(sagittal), -np.tan(coronal)])
    a /= np.linalg.norm(a)
    b0 = np.array([0.0, 1.0, 0.0]) - a[1] * a
    b0 /= np.linalg.norm(b0)
    c0 = np.cross(a, b0)
    b = np.cos(axial) * b0 - np.sin(axial) * c0
    return np.column_stack([a, b, np.cross(a, b)])


def _sagittal_mid(spec: CaseSpec, planes: dict[str, tuple[float, ...]]) -> dict[str, float]:
    """Mid-plane sagittal tilt (degrees) of every level T1..S1 from the curve profile.

    Per joint j (below level j) the profile sets the change of mid-plane tilt Delta_j: kyphosis
    spread over T1/T2..T11/T12 (peaking mid-thoracic, negative), 0 at T12/L1, lordosis over
    L1/L2..L5/S1 with 85 % at L4-S1 (recumbent, Yukawa 2019). The discs take what the bodies'
    own wedging does not; a fracture's extra wedge is added on top (local kyphosis).
    """
    thoracic = np.sin(np.pi * (np.arange(11) + 0.5) / 11)
    deltas = [*list(-spec.kyphosis_deg * thoracic / thoracic.sum()), 0.0]
    deltas += list(spec.lordosis_deg * np.array([0.03, 0.05, 0.07, 0.35, 0.50]))
    levels = [*LEVELS, SACRUM]

    def rel(level: str, fractured: bool) -> tuple[float, float]:
        p = planes[level]
        if not fractured and level != SACRUM and spec.vertebrae[level].fracture_loss > 0:
            v = spec.vertebrae[level]
            slope = (v.anatomy.height_posterior - v.anatomy.height_anterior) / (2 * v.anatomy.depth)
            p = (p[0], -slope, p[2], p[3], p[4], p[5])
        return np.degrees(np.arctan(-p[1])), np.degrees(np.arctan(-p[4]))

    sigma = {SACRUM: spec.sacral_slope_deg}
    for j in range(len(LEVELS) - 1, -1, -1):
        upper, lower = levels[j], levels[j + 1]
        # The disc wedge comes from the unfractured shape, so a fracture tilts everything above it.
        disc = rel(upper, False)[1] - rel(lower, False)[0] - deltas[j]
        d = spec.discs[upper]
        half_depth = 0.5 * min(spec.vertebrae[upper].anatomy.depth, 40.0)
        limit = np.degrees(np.arctan(max(d.height - MIN_DISC_EDGE_MM, 0.5) / half_depth))
        disc = float(np.clip(disc, -limit, limit))
        sigma[upper] = sigma[lower] + rel(lower, True)[0] + disc - rel(upper, True)[1]
    return sigma


def _coronal(
    spec: CaseSpec, scale: float
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Mid-plane coronal tilt, coronal wedge and axial rotation (degrees) of every level."""
    kappa = dict.fromkeys([*LEVELS, SACRUM], 0.0)
    wedge = dict.fromkeys(kappa, 0.0)
    axial = dict.fromkeys(kappa, 0.0)
    positions = {lv: float(i) for i, lv in enumerate([*LEVELS, SACRUM])}
    for curve in spec.curves:
        t, u = level_index(curve.top), level_index(curve.bottom)
        sign = 1.0 if curve.convex_left else -1.0
        amp = scale * curve.cobb_deg
        for lv, x in positions.items():
            f = np.clip((x - t) / (u - t), 0.0, 1.0)
            kappa[lv] += sign * amp * 0.5 * (1 - np.cos(np.pi * f))
            inside = 0.0 < f < 1.0
            slope = sign * amp * 0.5 * np.pi * np.sin(np.pi * f) / (u - t) if inside else 0.0
            wedge[lv] += 0.35 * slope
            axial[lv] += sign * spec.rotation_per_cobb * amp * np.sin(np.pi * f)
    return kappa, wedge, axial


@dataclass(frozen=True)
class Column:
    """Poses of the drawn levels (superior to inferior), then the sacrum if drawn."""

    poses: dict[str, Pose]
    disc_planes: dict[str, float]
    """Plane-to-plane centre distance (mm) of each drawn disc, keyed by the upper level."""


def build_column(spec: CaseSpec, scale: float = 1.0) -> Column:
    """Stack the drawn vertebrae (and sacrum) and align the run's chord with the inferior axis.

    ``scale`` multiplies the coronal curve amplitude (used to hit the requested Cobb angle).
    Positions are relative (the first drawn body at the origin before alignment); ``place``
    moves the column into the volume.
    """
    kappa, wedge, axial = _coronal(spec, scale)
    planes = {lv: _planes(spec.vertebrae[lv], wedge[lv]) for lv in LEVELS}
    planes[SACRUM] = _sacrum_planes(spec.vertebrae["L5"])
    sigma = _sagittal_mid(spec, planes)
    order = list(spec.drawn) + ([SACRUM] if spec.sacrum else [])
    poses: dict[str, Pose] = {}
    discs: dict[str, float] = {}
    for i, lv in enumerate(order):
        rot = _frame(np.radians(sigma[lv]), np.radians(kappa[lv]), np.radians(axial[lv]))
        v = spec.vertebrae["L5" if lv == SACRUM else lv].anatomy
        width, depth = (v.width, v.depth) if lv != SACRUM else (0.95 * v.width, 0.95 * v.depth)
        if i == 0:
            origin = np.zeros(3)
        else:
            up = poses[order[i - 1]]
            vs = spec.vertebrae[up.level]
            conc_low = spec.vertebrae[lv].concavity_superior if lv != SACRUM else 0.7
            gap = spec.discs[up.level].height - vs.concavity_inferior - conc_low
            discs[up.level] = gap
            axis = up.rotation[:, 0] + rot[:, 0]
            axis /= np.linalg.norm(axis)
            m_s = planes[lv][0]
            origin = (
                up.to_p(np.array([up.planes[3], 0.0, 0.0]))
                + gap * axis
                - rot @ np.array([-m_s, 0, 0])
            )
        poses[lv] = Pose(lv, rot, origin, planes[lv], depth, width)
    poses = _align(spec, poses)
    return Column(poses, discs)


def _align(spec: CaseSpec, poses: dict[str, Pose]) -> dict[str, Pose]:
    """Rotate the column so the run's chord is vertical, then apply the patient's pose."""
    chord = poses[spec.run[-1]].origin - poses[spec.run[0]].origin
    if len(spec.run) == 1:
        chord = poses[spec.run[0]].rotation[:, 0]
    chord = chord / np.linalg.norm(chord)
    target = np.array([1.0, 0.0, 0.0])
    axis = np.cross(chord, target)
    s, c = np.linalg.norm(axis), float(chord @ target)
    if s < 1e-12:
        align = np.eye(3)
    else:
        k = axis / s
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        align = np.eye(3) + s * kx + (1 - c) * kx @ kx
    roll, pitch, yaw = np.radians(spec.patient_pose_deg)
    g = rotation_about(0, roll) @ rotation_about(2, pitch) @ rotation_about(1, yaw) @ align
    return {
        lv: Pose(p.level, g @ p.rotation, g @ p.origin, p.planes, p.depth, p.width)
        for lv, p in poses.items()
    }


def cobb(poses: dict[str, Pose], levels: tuple[str, ...]) -> tuple[float, str | None, str | None]:
    """Coronal Cobb angle over ``levels``: the largest |tilt(sup of upper) - tilt(inf of lower)|.

    Returns (angle in degrees, upper end level, lower end level); (0, None, None) for < 2 levels.
    """
    sup = [tilts(poses[lv].normal("superior"))[0] for lv in levels]
    inf = [tilts(poses[lv].normal("inferior"))[0] for lv in levels]
    best, ends = 0.0, (None, None)
    for i in range(len(levels)):
        for j in range(i + 1, len(levels)):
            angle = abs(sup[i] - inf[j])
            if angle > best:
                best, ends = angle, (levels[i], levels[j])
    return best, ends[0], ends[1]


def solve_column(spec: CaseSpec) -> Column:
    """Build the column with the coronal amplitude that gives the requested Cobb angle (< 0.05 deg)."""
    if spec.cobb_requested_deg <= 0 or not spec.curves:
        return build_column(spec)
    target = spec.cobb_requested_deg
    s0, s1 = 1.0, 1.05
    f0 = cobb(build_column(spec, s0).poses, spec.run)[0] - target
    column = build_column(spec, s1)
    f1 = cobb(column.poses, spec.run)[0] - target
    for _ in range(8):
        if abs(f1) < 0.01 or f1 == f0:
            break
        s0, s1, f0 = s1, s1 - f1 * (s1 - s0) / (f1 - f0), f1
        column = build_column(spec, s1)
        f1 = cobb(column.poses, spec.run)[0] - target
    return column
