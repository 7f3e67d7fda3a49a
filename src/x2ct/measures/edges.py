"""Sub-voxel edges along sampled lines, and robust plane fits.

A line is sampled at a fine step (trilinear CT, nearest-neighbour mask). The mask gives a rough
edge (the last mask sample going outward); the intensity edge is then the half-level crossing
between the brightest sample near it (the blurred cortical shell, or the bone plateau of a
smooth volume) and the darkest sample just outside it (disc, canal or soft tissue). On a blurred
step that crossing is the step itself, whatever the blur, which keeps the edge unbiased on
coarse and smooth volumes as well as on sharp ones.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from x2ct.volume import Volume


class Sampler:
    """Samples a volume (and optionally a mask) at world positions (RAS mm).

    ``voxel_extent(direction)`` is the length (mm) of a voxel along a world direction.
    ``mask_is_surface``: the mask follows the bone surface to within half a voxel (a label
    map); False for a threshold segmentation cut at the discs, whose edges may lie mm away.

    ``ct``: (D, H, W) array with ``affine``; ``mask``: (D, H, W) bool or None; ``floor``: HU
    below which intensities are clipped (None = no clipping).
    """

    def __init__(
        self,
        ct: Volume,
        mask: np.ndarray | None = None,
        floor: float | None = None,
        mask_is_surface: bool = True,
    ) -> None:
        self.array = ct.array
        self.floor = floor
        self.inverse = np.linalg.inv(ct.affine)
        self.mask = None if mask is None else mask.astype(np.uint8)
        self.mask_is_surface = mask_is_surface
        self.spacing = np.asarray(ct.spacing, dtype=float)
        self.axes = ct.affine[:3, :3] / self.spacing

    def voxel_extent(self, direction: np.ndarray) -> float:
        """Extent (mm) of one voxel along the unit world vector ``direction``."""
        return float(np.sum(np.abs(np.asarray(direction) @ self.axes) * self.spacing))

    def _index(self, points: np.ndarray) -> np.ndarray:
        """(3, n) voxel indices of (..., 3) world points."""
        flat = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        # Three multiply-adds per axis, not a matrix product: a (1e6, 3) x (3, 3) product took
        # 0.2-0.6 s with OpenBLAS on a busy 2-core machine (threads waiting on each other) and
        # numpy's einsum loop 4 times longer than this, most of a measurement.
        out = np.empty((3, flat.shape[0]))
        for axis, row in enumerate(self.inverse[:3]):
            index = np.multiply(flat[:, 0], row[0], out=out[axis])
            index += row[1] * flat[:, 1]
            index += row[2] * flat[:, 2]
            index += row[3]
        return out

    def intensity(self, points: np.ndarray) -> np.ndarray:
        """Trilinear CT values at (..., 3) world points; edge values outside the grid."""
        out = ndimage.map_coordinates(
            self.array, self._index(points), order=1, mode="nearest", prefilter=False
        )
        if self.floor is not None:
            np.maximum(out, self.floor, out=out)
        return out.reshape(np.shape(points)[:-1])

    def inside(self, points: np.ndarray) -> np.ndarray:
        """Nearest-neighbour mask values (bool) at (..., 3) world points; False outside."""
        if self.mask is None:
            raise ValueError("this sampler has no mask")
        out = ndimage.map_coordinates(
            self.mask, self._index(points), order=0, mode="constant", cval=0, prefilter=False
        )
        return out.reshape(np.shape(points)[:-1]).astype(bool)


def rough_edges(inside: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) t of the mask samples of each line; NaN for lines without any.

    ``inside``: (n_lines, n_t) bool; ``t``: (n_t,) ascending positions (mm).
    """
    any_in = inside.any(axis=1)
    first = np.argmax(inside, axis=1)
    last = inside.shape[1] - 1 - np.argmax(inside[:, ::-1], axis=1)
    low = np.where(any_in, t[first], np.nan)
    high = np.where(any_in, t[last], np.nan)
    return low, high


def intensity_edges(
    profiles: np.ndarray,
    t: np.ndarray,
    rough: np.ndarray,
    outward: int,
    window: float,
    reach: float | None = None,
) -> np.ndarray:
    """Half-level crossing per line near its rough edge; NaN where none is found.

    Args:
        profiles: (n_lines, n_t) intensities sampled at ``t`` (ascending, mm).
        rough: (n_lines,) rough edge position (mm) of each line.
        outward: +1 if the outside lies towards larger t, -1 towards smaller t.
        window: half-width (mm) of the search around the rough edge.
        reach: how far (mm) beyond the rough edge the peak may lie; ``window / 2`` when None.
            A mask edge is within half a voxel of the surface and the cortex lies inside it, so
            half a voxel (plus a sample) keeps the next bone across a thin disc out of reach.

    The peak is the outermost strong local maximum in [rough - window, rough + reach]
    (outward coordinate), the outer floor the darkest sample within ``window`` beyond it; the crossing of (peak + floor) / 2 is the first
    sample outward of the peak below that level, interpolated linearly. A peak at the outer end
    of its zone with a brighter sample just beyond is rejected (NaN): it is not this bone's.
    """
    reach = 0.5 * window if reach is None else min(reach, 0.5 * window)
    if outward < 0:
        profiles, t = profiles[:, ::-1], t[::-1]
    rel = (t[None, :] - rough[:, None]) * outward
    peak_zone = (rel >= -window) & (rel <= reach)
    masked = np.where(peak_zone, profiles, -np.inf)
    # The peak is the outermost local maximum of the zone that reaches a quarter of its contrast above
    # the darkest sample outside: a brighter spot deeper inside (a bone island, the sclerotic
    # band under a collapse) is not the surface.
    top = masked.max(axis=1)
    outside = (rel > 0) & (rel <= window)
    dark = np.where(outside, profiles, np.inf).min(axis=1)
    dark = np.where(np.isfinite(dark), dark, profiles.min(axis=1))
    strong = masked >= (dark + 0.25 * (top - dark))[:, None]
    left = np.concatenate([np.full((len(masked), 1), -np.inf), masked[:, :-1]], axis=1)
    right = np.concatenate([masked[:, 1:], np.full((len(masked), 1), -np.inf)], axis=1)
    candidate = strong & (masked >= left) & (masked >= right) & peak_zone
    last = masked.shape[1] - 1 - np.argmax(candidate[:, ::-1], axis=1)
    jp = np.where(candidate.any(axis=1), last, np.argmax(masked, axis=1))
    peak = masked[np.arange(len(jp)), jp]
    rel_peak = rel[np.arange(len(jp)), jp]
    # A maximum at the outer end of the zone with brighter samples beyond it is no edge of this
    # bone: the next bone across a thin, blurred disc is rising there.
    next_out = profiles[np.arange(len(jp)), np.minimum(jp + 1, profiles.shape[1] - 1)]
    rising = (rel_peak > reach - 2.0 * abs(t[1] - t[0])) & (next_out > peak)
    beyond = rel - rel_peak[:, None]
    floor_zone = (beyond > 0) & (beyond <= window)
    floor = np.where(floor_zone, profiles, np.inf).min(axis=1)
    level = 0.5 * (peak + floor)
    below = floor_zone & (profiles < level[:, None])
    found = below.any(axis=1) & np.isfinite(peak) & np.isfinite(floor) & (peak > floor) & ~rising
    j = np.argmax(below, axis=1)
    j = np.where(found, j, 1)
    rows = np.arange(len(j))
    i_in = np.maximum(j - 1, 0)
    v_in, v_out = profiles[rows, i_in], profiles[rows, j]
    frac = np.clip((v_in - level) / np.where(v_in > v_out, v_in - v_out, 1.0), 0.0, 1.0)
    edge = t[i_in] + frac * (t[j] - t[i_in])
    return np.where(found, edge, np.nan)


def fit_plane(
    u: np.ndarray, v: np.ndarray, z: np.ndarray, mad_limit: float, floor: float = 0.3
) -> tuple[np.ndarray, np.ndarray] | None:
    """Robust least-squares plane z = c0 + c1 u + c2 v; returns (coefficients, kept mask).

    Points whose residual exceeds ``mad_limit`` scaled MADs (at least ``floor`` mm) are
    dropped and the plane refitted, twice. Least squares, not a high-breakdown fit: edges of a
    plane sampled on coarse slices form steps of up to a slice, and only an average over the
    steps finds its tilt; a median-based fit, or a rejection threshold below the step, locks
    onto one step (give ``floor`` about a step). None with fewer than 6 points.
    """
    finite = np.isfinite(z)
    if finite.sum() < 6:
        return None
    design = np.column_stack([np.ones_like(u), u, v])
    coef = np.linalg.lstsq(design[finite], z[finite], rcond=None)[0]
    keep = finite
    for _ in range(2):
        residual = np.abs(np.where(finite, z, np.inf) - design @ coef)
        scale = 1.4826 * float(np.median(residual[finite]))
        new = finite & (residual <= max(mad_limit * scale, floor))
        if new.sum() < 6:
            break
        keep = new
        coef = np.linalg.lstsq(design[keep], z[keep], rcond=None)[0]
    return coef, keep


def _surface_from_moments(
    x: np.ndarray, y: np.ndarray, x_in: float, layer_mm: float
) -> float | None:
    """Surface position of a blurred 'bone | outside' profile with a thin bright cortex.

    ``x``: ascending outward positions from ``x_in`` (inside the bone plateau) to the floor
    outside; ``y`` the averaged profile. Model: plateau B for x < e, floor F outside, plus a
    layer of excess mass m (HU mm) centred at e - layer_mm / 2. Any symmetric blur keeps the
    zeroth and first moments of (y - F), which gives two equations for e and m:
        M0 = (B - F)(e - x_in) + m,   M1 = (B - F)(e^2 - x_in^2) / 2 + m (e - layer_mm / 2).
    """
    floor = float(y[-1])
    bone = float(y[0])
    excess = y - floor
    m0 = float(np.trapezoid(excess, x))
    m1 = float(np.trapezoid(x * excess, x))
    beta = bone - floor
    half_t = 0.5 * layer_mm
    a = -0.5 * beta
    b = beta * half_t + beta * x_in + m0
    c = -(0.5 * beta * x_in**2 + beta * x_in * half_t + m0 * half_t + m1)
    if abs(a) < 1e-9:
        roots = [-c / b] if abs(b) > 1e-9 else []
    else:
        disc = b * b - 4 * a * c
        roots = [] if disc < 0 else [(-b + sq) / (2 * a) for sq in (np.sqrt(disc), -np.sqrt(disc))]
    roots = [r for r in roots if x_in < r < x[-1]]
    if roots:
        e = min(roots, key=abs)
        if m0 - beta * (e - x_in) >= 0:
            return float(e)
    # No bright layer (a smooth volume): the area of the step alone gives the edge.
    return float(x_in + m0 / beta) if beta > 1e-6 else None


def surface_offset(
    profiles: np.ndarray,
    t: np.ndarray,
    plane: np.ndarray,
    outward: int,
    window: float,
    layer_mm: float,
    depth: float,
) -> float:
    """Offset (mm, outward) from the half-level edges to the bone surface, from all lines at once.

    Profiles are aligned on the plane of the half-level edges (``plane``: (n_lines,) positions
    it predicts, NaN to skip a line) and averaged, which removes noise and texture. The
    half-level crossing of a thin bright cortex blurred wider than itself lies outside the
    surface; the moments of the average (``_surface_from_moments``, from ``depth`` mm inside
    to the darkest point outside) locate the surface whatever the blur. 0 when they cannot.
    """
    step = float(abs(t[1] - t[0]))
    grid = np.arange(-depth - 1.0, window + 2.0 + 1e-9, step)
    rows = []
    for line, centre in zip(profiles, plane, strict=True):
        if np.isfinite(centre):
            x = (t - centre) * outward
            order = np.argsort(x)
            rows.append(np.interp(grid, x[order], line[order], left=np.nan, right=np.nan))
    if len(rows) < 6:
        return 0.0
    rows = np.array(rows)
    enough = np.isfinite(rows).sum(axis=0) >= max(3, len(rows) // 2)
    mean = np.full(grid.shape, np.nan)
    mean[enough] = np.nanmean(rows[:, enough], axis=0)
    near = (grid >= -window) & (grid <= 0.5 * window) & enough
    if not near.any():
        return 0.0
    j_peak = int(np.argmax(np.where(near, mean, -np.inf)))
    beyond = (grid > grid[j_peak]) & (grid <= grid[j_peak] + window) & enough
    if not beyond.any():
        return 0.0
    j_floor = int(np.argmin(np.where(beyond, mean, np.inf)))
    use = (grid >= -depth) & (grid <= grid[j_floor]) & enough
    if use.sum() < 8 or not use[np.searchsorted(grid, -depth)]:
        return 0.0
    surface = _surface_from_moments(grid[use], mean[use], float(grid[use][0]), layer_mm)
    if surface is None:
        return 0.0
    # The bone surface lies outside the brightest point near the edge; a thick bright band
    # under it (sclerotic trabeculae under a collapsed endplate) would otherwise draw the
    # moment estimate inwards.
    return float(max(surface, grid[j_peak]))
