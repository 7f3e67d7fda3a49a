"""One vertebra: its own frame, the body apart from the posterior elements, endplates, heights.

All positions are RAS millimetres. The vertebra frame is (S, A, L): its superior axis (the
bisector of the two endplate normals once they are known), anterior axis (from the posterior
elements towards the body, so it follows axial rotation) and left axis L = S x A.

1. Frame from the column tangent and the image's anterior direction.
2. Body: in the mid-sagittal slab the vertebra's bone runs from the anterior body margin back
   to the posterior wall, then the canal leaves a gap before the laminae; everything in front
   of that gap is the body.
3. Endplates (``endplates.fit_endplates``): lines along S over the body footprint; the edges
   on the flat rim of each endplate's own footprint give a robust plane per endplate; central
   lines give the middle height between the concave surfaces.
4. Walls: lines along A in the mid-sagittal plane near each endplate give the anterior and
   posterior walls at both ends; the heights are the walls' corner-to-corner lengths between
   the two planes, whatever the tilt of the frame against them.
Steps 2-4 are repeated with the refined frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from x2ct.config.measure import MeasureConfig
from x2ct.measures.edges import Sampler, intensity_edges, rough_edges
from x2ct.measures.endplates import fit_endplates

ITERATIONS = 3
WALL_LEVELS = (0.65, 0.8)
"""Fractions of the half height (from mid-height towards each endplate) where the walls are
found: near the corners, clear of the blurred endplate cortex."""
MAX_WALL_LEAN = np.tan(np.radians(20.0))
"""Largest lean of a body wall against the vertebra frame (half a fracture wedge, ~10 deg,
plus margin) before its two end positions are averaged."""


@dataclass
class BodyGeometry:
    """Measured geometry of one vertebral body (RAS mm, frame vectors are unit RAS vectors)."""

    centroid: np.ndarray
    superior: np.ndarray
    anterior: np.ndarray
    left: np.ndarray
    centre: np.ndarray
    """Body centre: mid-depth, mid-width, halfway between the two endplate planes."""
    superior_plane: np.ndarray
    """(c0, cA, cL): superior endplate s = c0 + cA a + cL l in the frame centred at ``origin``."""
    inferior_plane: np.ndarray
    origin: np.ndarray
    a_front: float
    a_back: float
    front: tuple[float, float]
    """Anterior wall's a near the superior and near the inferior endplate (mm)."""
    back: tuple[float, float]
    """Posterior wall's a near the superior and near the inferior endplate (mm)."""
    l_mid: float
    width: float
    middle_height: float | None
    notes: list[str] = field(default_factory=list)

    def point(self, s: float, a: float, lat: float) -> np.ndarray:
        """World position of frame coordinates (s, a, lat)."""
        return self.origin + s * self.superior + a * self.anterior + lat * self.left

    def plane_s(self, which: str, a: float, lat: float) -> float:
        """S coordinate of the 'superior' or 'inferior' endplate plane at (a, lat)."""
        c = self.superior_plane if which == "superior" else self.inferior_plane
        return float(c[0] + c[1] * a + c[2] * lat)

    def height(self, a: float) -> float:
        """Distance (mm) between the endplate planes along S at anterior coordinate a."""
        return self.plane_s("superior", a, self.l_mid) - self.plane_s("inferior", a, self.l_mid)

    def corner(self, which: str, wall: str) -> np.ndarray:
        """World position where a wall ('anterior' / 'posterior') meets an endplate plane
        ('superior' / 'inferior') in the mid-sagittal plane."""
        top, bottom = self.front if wall == "anterior" else self.back
        a = top if which == "superior" else bottom
        return self.point(self.plane_s(which, a, self.l_mid), a, self.l_mid)

    def wall_height(self, wall: str) -> float:
        """Corner-to-corner length (mm) of the 'anterior' or 'posterior' wall: along the wall
        itself, whatever the tilt of the frame against it."""
        return float(np.linalg.norm(self.corner("superior", wall) - self.corner("inferior", wall)))

    def normal(self, which: str) -> np.ndarray:
        """Unit normal (RAS) of an endplate plane, pointing superiorly."""
        c = self.superior_plane if which == "superior" else self.inferior_plane
        n = self.superior - c[1] * self.anterior - c[2] * self.left
        return n / np.linalg.norm(n)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _posterior_wall(
    a: np.ndarray, lat: np.ndarray, step: float, cfg: MeasureConfig
) -> float | None:
    """Anterior coordinate of the posterior body wall from the mid-sagittal bone profile.

    ``a``, ``l``: frame coordinates (mm) of the vertebra's mask points, l centred on the body.
    The profile counts points per ``step`` bin from the anterior margin backwards; the wall is
    where it first falls below a fifth of its maximum, at least ``min_body_depth_mm`` behind the
    margin. None when no such gap exists (e.g. a body alone).
    """
    slab = np.abs(lat) <= cfg.midsagittal_half_mm
    if slab.sum() < 10:
        return None
    a_slab = a[slab]
    front = np.percentile(a_slab, 99.5)
    edges = np.arange(front + step, a_slab.min() - step, -step)
    counts = np.array(
        [np.sum((a_slab <= hi) & (a_slab > lo)) for hi, lo in itertools.pairwise(edges)]
    )
    depth = front + step - edges[1:]
    running_max = np.maximum.accumulate(counts)
    low = (counts < 0.2 * running_max) & (depth >= cfg.min_body_depth_mm)
    if not low.any():
        return None
    k = int(np.argmax(low))
    return float(edges[k])


def _frame(superior: np.ndarray, anterior: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = _unit(superior)
    a = _unit(anterior - (anterior @ s) * s)
    return s, a, np.cross(s, a)


def _margin(
    sampler: Sampler,
    origin,
    frame,
    a_rough: float,
    l_mid: float,
    planes: tuple[np.ndarray, np.ndarray],
    outward: int,
    cfg,
    spacing,
) -> tuple[float, float]:
    """Anterior (outward=+1) or posterior (-1) body wall along A: (a near the superior
    endplate, a near the inferior one), each the median edge of lines at 65 % and 80 % of the
    half height there (between the planes at ``a_rough``) and 2 mm to either side of
    ``l_mid``. Measured at both ends, the wall's tilt in the frame is known (a wedged body's
    frame is tilted against its walls) and its concave waist is avoided."""
    window = max(cfg.edge_search_mm, 1.5 * spacing)
    t = np.arange(a_rough - 3 * window, a_rough + 3 * window, cfg.sample_step_mm)
    s_axis, a_axis, l_axis = frame
    top = planes[0][0] + planes[0][1] * a_rough + planes[0][2] * l_mid
    bottom = planes[1][0] + planes[1][1] * a_rough + planes[1][2] * l_mid
    mid, half = 0.5 * (top + bottom), 0.5 * (top - bottom)
    reach = 0.5 * sampler.voxel_extent(a_axis) + cfg.sample_step_mm
    if not sampler.mask_is_surface:
        reach = 0.5 * window
    ends = []
    for side in (+1, -1):
        s_vals = mid + side * np.asarray(WALL_LEVELS) * half
        ls = l_mid + np.array([-2.0, 0.0, 2.0])
        S, L = (x.ravel() for x in np.meshgrid(s_vals, ls, indexing="ij"))
        base = origin + S[:, None] * s_axis + L[:, None] * l_axis
        pts = base[:, None, :] + t[None, :, None] * a_axis
        low, high = rough_edges(sampler.inside(pts), t)
        rough = np.where(outward > 0, high, low)
        rough = np.where(np.isfinite(rough), rough, a_rough)
        edges = intensity_edges(sampler.intensity(pts), t, rough, outward, window, reach)
        edges = edges[np.isfinite(edges)]
        ends.append(float(np.median(edges)) if edges.size else a_rough)
    # A wall leans at most by about half a wedge against the frame; more is a wrong edge at
    # one end (a rounded corner, a neighbour's margin), and the mean of both is safer.
    if abs(ends[0] - ends[1]) > max(MAX_WALL_LEAN * (top - bottom), 2.0):
        mean = 0.5 * (ends[0] + ends[1])
        return mean, mean
    return ends[0], ends[1]


def measure_body(
    sampler: Sampler,
    points: np.ndarray,
    superior0: np.ndarray,
    anterior0: np.ndarray,
    spacing: float,
    cfg: MeasureConfig,
) -> BodyGeometry | None:
    """Measure one vertebra from its mask points (N, 3 RAS mm) and the CT behind ``sampler``.

    ``sampler.mask`` must be this vertebra's mask. ``superior0`` / ``anterior0``: initial axes
    (the column tangent, the image's anterior direction). ``spacing``: largest voxel size (mm).
    Returns None when no body can be separated (too few points).
    """
    centroid = points.mean(axis=0)
    frame = _frame(superior0, anterior0)
    notes: list[str] = []
    geometry = None
    step = max(spacing, 0.5)
    for _ in range(ITERATIONS):
        rel = points - centroid
        s, a, lat = (rel @ axis for axis in frame)
        front_pts = a >= np.percentile(a, 70)
        l_centre = float(np.median(lat[front_pts]))
        wall = _posterior_wall(a, lat - l_centre, step, cfg)
        if wall is None:
            wall = float(a.min())
            notes = ["posterior wall: no canal gap found, whole vertebra taken as body"]
        else:
            notes = []
        body = a >= wall
        if body.sum() < 20:
            return None
        behind = a < wall - 2.0
        if behind.sum() >= 20:
            anterior = _unit(points[body].mean(axis=0) - points[behind].mean(axis=0))
        else:
            anterior = frame[1]
        sb, ab, lb = s[body], a[body], lat[body]
        half_voxel = 0.5 * spacing
        a_front = float(np.percentile(ab, 99.8)) + half_voxel
        # Width from the front half only: pedicles and processes join the body behind it.
        front_half = ab >= 0.5 * (a_front + wall)
        l_lo = float(lb[front_half].min()) - half_voxel
        l_hi = float(lb[front_half].max()) + half_voxel
        a_c, l_c = 0.5 * (a_front + wall), 0.5 * (l_lo + l_hi)
        fa = (a_c, 0.5 * (a_front - wall))
        fl = (l_c, 0.5 * (l_hi - l_lo), float(sb.min()), float(sb.max()))
        plates = fit_endplates(sampler, centroid, frame, fa, fl, cfg, spacing)
        sup, inf, middle, more = (
            plates.superior,
            plates.inferior,
            plates.middle_height,
            plates.notes,
        )
        if sup is None or inf is None:
            return None
        mid_s = 0.5 * (
            (sup[0] + sup[1] * a_c + sup[2] * l_c) + (inf[0] + inf[1] * a_c + inf[2] * l_c)
        )
        front = _margin(sampler, centroid, frame, a_front, l_c, (sup, inf), +1, cfg, spacing)
        back = _margin(sampler, centroid, frame, wall, l_c, (sup, inf), -1, cfg, spacing)
        a_front, a_back = float(np.mean(front)), float(np.mean(back))
        geometry = BodyGeometry(
            centroid=centroid,
            superior=frame[0],
            anterior=frame[1],
            left=frame[2],
            centre=centroid
            + mid_s * frame[0]
            + 0.5 * (a_front + a_back) * frame[1]
            + l_c * frame[2],
            superior_plane=np.asarray(sup),
            inferior_plane=np.asarray(inf),
            origin=centroid,
            a_front=a_front,
            a_back=a_back,
            front=front,
            back=back,
            l_mid=l_c,
            width=l_hi - l_lo,
            middle_height=middle,
            notes=notes + more,
        )
        bisector = geometry.normal("superior") + geometry.normal("inferior")
        frame = _frame(bisector, anterior)
    return geometry
