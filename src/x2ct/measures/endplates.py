"""Endplate planes of one vertebral body from lines sampled along its axis.

Positions are millimetres in the vertebra frame (S, A, L) centred at ``origin`` (see ``body``).
Lines along S on a regular grid over the body's footprint are sampled (trilinear CT,
nearest-neighbour mask); each line gives one edge per endplate (``edges``). Three things bias a
plane fitted to all of them, and all three lie on the inner side of the surface:

- the concave central bowl of the endplate (up to ~2 mm deep over ~70 % of its diameter);
- lines that leave the body through its wall before they reach the endplate: where the wall is
  not parallel to S (a wedged or collapsed body, an oblique frame, the waist) the ring of lines
  just inside the body's outline meets the wall, and their edges lie mm below the endplate;
- the rounded margin of the endplate.

So each endplate is found in three steps: a first robust plane through a band of inner lines
(normalised body radius in ``cfg.first_band``: no wall, no margin, not the centre of the
bowl); the endplate's own footprint, the connected lines
whose edges lie within ``cfg.footprint_tolerance_mm`` of that plane, holes (the bowl) filled;
then a robust plane through the flat rim of that footprint (normalised radius ``cfg.rim``,
measured along rays from the footprint's centre to its own border), refined by the averaged
edge profile (``edges.surface_offset``). A steep (collapsed) endplate thus selects its own rim
instead of the ring of lines inside the body's outline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from x2ct.config.measure import MeasureConfig
from x2ct.measures.edges import (
    Sampler,
    fit_plane,
    intensity_edges,
    rough_edges,
    surface_offset,
)

ANGLE_BINS = 36
"""Angular sectors (10 degrees) in which the footprint's border radius is taken."""


@dataclass
class Endplates:
    """Both endplate planes of a body in its frame: s = c0 + cA a + cL l (mm)."""

    superior: np.ndarray | None
    inferior: np.ndarray | None
    middle_height: float | None
    """Distance (mm) between the concave endplate surfaces at the footprint's centre."""
    notes: list[str] = field(default_factory=list)


def lines_along(origin, frame, a_vals, l_vals, t, axis: int) -> np.ndarray:
    """(n_lines, n_t, 3) world points of lines through (a, l) along frame axis ``axis`` (0 = S,
    1 = A), parametrised by ``t`` (mm)."""
    _s_axis, a_axis, l_axis = frame
    base = origin + np.asarray(a_vals)[:, None] * a_axis + np.asarray(l_vals)[:, None] * l_axis
    return base[:, None, :] + np.asarray(t)[None, :, None] * frame[axis]


def _angle(c1: np.ndarray, c2: np.ndarray) -> float:
    """Angle (degrees) between the planes s = c0 + cA a + cL l of two coefficient vectors."""
    n1 = np.array([1.0, -c1[1], -c1[2]])
    n2 = np.array([1.0, -c2[1], -c2[2]])
    cos = n1 @ n2 / (np.linalg.norm(n1) * np.linalg.norm(n2))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def footprint(near: np.ndarray) -> np.ndarray:
    """The largest 4-connected part of ``near`` ((n_a, n_l) bool), holes filled."""
    filled = ndimage.binary_fill_holes(near)
    parts, count = ndimage.label(filled)
    if count == 0:
        return filled
    sizes = ndimage.sum_labels(filled, parts, index=np.arange(1, count + 1))
    return parts == int(np.argmax(sizes)) + 1


def radial_position(a: np.ndarray, lat: np.ndarray, inside: np.ndarray, step: float) -> np.ndarray:
    """Normalised radius (n,) of every line in a footprint: 0 at its centroid, 1 at its border.

    ``a``, ``lat``: (n,) line positions (mm); ``inside``: (n,) bool footprint. The border radius
    is the farthest footprint line (plus half a line spacing) in each 10-degree sector around
    the centroid, median-filtered over three sectors; lines off the footprint get theirs too.
    """
    ca, cl = float(a[inside].mean()), float(lat[inside].mean())
    da, dl = a - ca, lat - cl
    distance = np.hypot(da, dl)
    sector = ((np.arctan2(dl, da) + np.pi) / (2 * np.pi) * ANGLE_BINS).astype(int) % ANGLE_BINS
    border = np.zeros(ANGLE_BINS)
    np.maximum.at(border, sector[inside], distance[inside])
    border = np.where(border > 0, border + 0.5 * step, np.nan)
    padded = np.concatenate([border[-1:], border, border[:1]])
    stacked = np.sort(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)
    count = np.isfinite(stacked).sum(axis=0)
    # Median of the finite values of three neighbouring sectors (NaN sorts last).
    median = np.where(
        count == 3, stacked[1], np.where(count == 2, stacked[:2].mean(axis=0), stacked[0])
    )
    border = np.where(np.isfinite(median), median, np.nanmax(border))
    return distance / border[sector]


@dataclass
class _Lines:
    """Lines along S over the body: positions (n,) of each line, samples and mask edges."""

    a: np.ndarray
    lat: np.ndarray
    grid: np.ndarray
    """(n_a, n_l) bool: which cells of the regular line grid are sampled (the n lines)."""
    r_body: np.ndarray
    t: np.ndarray
    profiles: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _one_endplate(
    lines: _Lines, outward: int, sampler: Sampler, cfg: MeasureConfig, spacing: float, step_s
):
    """Plane, edges (n,), footprint radius (n,) and note of one endplate (outward +1 / -1).

    Returns None when no footprint or plane is found.
    """
    step = cfg.line_step_mm
    a, lat, t, profiles = lines.a, lines.lat, lines.t, lines.profiles
    rough = lines.high if outward > 0 else lines.low
    window = max(cfg.edge_search_mm, 1.5 * spacing)
    # A mask that follows the surface holds the cortex within half a voxel of its edge.
    reach = 0.5 * step_s + cfg.sample_step_mm if sampler.mask_is_surface else 0.5 * window
    z = intensity_edges(profiles, t, np.nan_to_num(rough), outward, window, reach)
    z = np.where(np.isfinite(rough), z, np.nan)
    if sampler.mask_is_surface:
        # The intensity edge keeps a steady distance from the mask's edge; a line whose edge
        # strays from it caught something else (the next bone across a thin or tilted disc).
        offset = outward * (z - rough)
        common = float(np.nanmedian(offset)) if np.isfinite(offset).any() else 0.0
        z = np.where(np.abs(offset - common) <= reach + 1.0, z, np.nan)
    # First plane: a band of inner lines, away from the walls and margins and from the centre
    # of the endplate, whose bowl (or a deeper, off-centre depression) may dip. Edges of a
    # plane on coarse slices form steps of a voxel (``step_s``), which the fits must keep.
    inner = (lines.r_body >= cfg.first_band[0]) & (lines.r_body <= cfg.first_band[1])
    first = fit_plane(a[inner], lat[inner], z[inner], cfg.outlier_mad, step_s)
    if first is None:
        return None
    c = first[0]
    near = np.zeros(lines.grid.shape, dtype=bool)
    residual = np.abs(np.nan_to_num(z - (c[0] + c[1] * a + c[2] * lat), nan=np.inf))
    near[lines.grid] = residual <= max(cfg.footprint_tolerance_mm, spacing)
    inside_map = footprint(near)
    inside = inside_map[lines.grid]
    if inside.sum() < 12:
        return None
    # Distance (mm) of each line from the footprint's border: lines close to the wall see its
    # blurred cortex, which pulls their edges inwards.
    clearance = ndimage.distance_transform_edt(inside_map)[lines.grid] * step - 0.5 * step
    radius = radial_position(a, lat, inside, step)
    band = inside & (radius >= cfg.rim[0]) & (radius <= cfg.rim[1])
    rim = band & (clearance >= max(cfg.wall_clearance_mm, 0.75 * spacing))
    if rim.sum() < max(12, band.sum() // 4):
        rim = band
    fit = fit_plane(a[rim], lat[rim], z[rim], cfg.outlier_mad, step_s)
    if fit is None:
        return None
    coef, kept = fit
    predicted = np.where(kept, coef[0] + coef[1] * a[rim] + coef[2] * lat[rim], np.nan)
    depth = max(4.0, 2.0 * spacing)
    off = surface_offset(profiles[rim], t, predicted, outward, window, cfg.cortex_mm, depth)
    plane = coef + np.array([outward * off, 0.0, 0.0])
    note = None
    # The mask's own plane over the same rim: steps of a voxel, but no neighbour bone. When
    # the intensity plane turns away from it, the intensity edges caught something else (two
    # cortices merged across a thin disc on coarse slices): the mask's plane is used.
    mask_fit = fit_plane(a[rim], lat[rim], rough[rim], cfg.outlier_mad, 2 * step_s)
    if (
        sampler.mask_is_surface
        and mask_fit is not None
        and _angle(coef, mask_fit[0]) > cfg.mask_plane_tolerance_deg
    ):
        plane = mask_fit[0]
        note = f"{'superior' if outward > 0 else 'inferior'} endplate from the mask's edges"
    return plane, z, np.where(inside, radius, np.inf), note


def fit_endplates(
    sampler: Sampler,
    origin: np.ndarray,
    frame: tuple[np.ndarray, np.ndarray, np.ndarray],
    fa: tuple[float, float],
    fl: tuple[float, float, float, float],
    cfg: MeasureConfig,
    spacing: float,
) -> Endplates:
    """Fit both endplate planes of the body whose mask is ``sampler.mask``.

    ``fa`` = (a centre, a half-depth), ``fl`` = (l centre, l half-width, s min, s max) of the
    body in the frame centred at ``origin`` (mm); ``spacing``: largest voxel size (mm).
    """
    a_c, a_half = fa
    l_c, l_half, s_lo, s_hi = fl
    step = cfg.line_step_mm
    ag = np.arange(a_c - a_half - step, a_c + a_half + step + 1e-6, step)
    lg = np.arange(l_c - l_half - step, l_c + l_half + step + 1e-6, step)
    grid_a, grid_l = np.meshgrid(ag, lg, indexing="ij")
    r_grid = np.hypot((grid_a - a_c) / a_half, (grid_l - l_c) / l_half)
    grid = r_grid <= 1.0 + step / min(a_half, l_half)
    window = max(cfg.edge_search_mm, 1.5 * spacing)
    t = np.arange(s_lo - window - 2.0, s_hi + window + 2.0, cfg.sample_step_mm)
    pts = lines_along(origin, frame, grid_a[grid], grid_l[grid], t, 0)
    low, high = rough_edges(sampler.inside(pts), t)
    lines = _Lines(
        grid_a[grid], grid_l[grid], grid, r_grid[grid], t, sampler.intensity(pts), low, high
    )
    step_s = sampler.voxel_extent(frame[0])
    notes: list[str] = []
    found = {}
    for outward in (+1, -1):
        result = _one_endplate(lines, outward, sampler, cfg, spacing, step_s)
        if result is not None:
            found[outward] = result
            if result[3]:
                notes.append(result[3])
    middle = None
    if len(found) == 2:
        # Middle height between the concave surfaces, on the lines nearest to the centre of
        # both footprints.
        r_both = np.maximum(found[+1][2], found[-1][2])
        central = r_both <= cfg.centre_radius
        if central.sum() < 9:
            central = r_both <= np.sort(r_both)[min(8, r_both.size - 1)]
        depth = max(4.0, 2.0 * spacing)
        surface = {}
        for outward in (+1, -1):
            zc = found[outward][1][central]
            off = surface_offset(
                lines.profiles[central], t, zc, outward, window, cfg.cortex_mm, depth
            )
            surface[outward] = zc + outward * off
        h = surface[+1] - surface[-1]
        h = h[np.isfinite(h)]
        middle = float(np.median(h)) if h.size >= 3 else None
    if middle is None:
        notes.append("middle height: no central line crossed both endplates")
    plane = {k: found[k][0] if k in found else None for k in (+1, -1)}
    return Endplates(plane[+1], plane[-1], middle, notes)
