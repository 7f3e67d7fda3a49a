"""Vertebrae without a label map: bone threshold, the column's centre curve, split at the discs.

1. On an isotropic working grid (``work_mm``): smooth, threshold at ``bone_hu``, fill the
   cancellous cores (``bone_mask``: they may be as dark as a disc when osteoporotic, but not
   the canal), and open each slice with a disc of ``core_radius_mm``: vertebral bodies
   survive, ribs, pedicles, processes and laminae do not.
2. The column is the chain of opened blobs, stacked along the superior axis with small
   sideways steps, that holds the most bone (a longest-path search over the blobs).
3. Its centre curve runs through the slice centroids of the chained blobs, smoothed. Along it
   the bone fraction of a cross-section of ``profile_radius_mm`` drops to ~0 in each disc; its
   minima cut the column into vertebrae with planes normal to the curve.
4. Each slab's thresholded bone (full resolution, its largest connected part) is a vertebra.
   The lowest slab is the sacrum, and is dropped, when its bone is much wider than the bodies
   above (the alae). Levels are named V1, V2, ... downwards, or counted up from
   ``MeasureConfig.lowest_level``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.signal import find_peaks

from x2ct.config.measure import MeasureConfig
from x2ct.errors import InputError
from x2ct.volume import Volume

END_MM = 10.0
"""Thickness (mm) of the top and bottom parts of a blob whose centres link it into the chain."""


@dataclass
class ColumnSplit:
    """Result of ``split_column``: a label map on the input grid and its level names."""

    labels: np.ndarray
    """(D, H, W) int32 vertebra ids on the input grid, 0 = background."""
    names: dict[int, str]
    curve: np.ndarray
    """(N, 3) RAS points of the centre curve, superior to inferior, 1 mm apart."""
    naming: str
    notes: list[str] = field(default_factory=list)


def _working_grid(volume: Volume, work_mm: float) -> Volume:
    """The volume resampled to isotropic ``work_mm`` voxels when it is finer (same axes)."""
    spacing = np.asarray(volume.spacing)
    if spacing.min() >= 0.99 * work_mm:
        return volume
    scale = np.maximum(work_mm / spacing, 1.0)
    shape = np.maximum(np.floor((np.array(volume.shape) - 1) / scale).astype(int) + 1, 1)
    source = ndimage.gaussian_filter(volume.array, np.maximum(scale - 1.0, 0.0) / 2.0)
    array = ndimage.affine_transform(source, np.diag(scale), output_shape=tuple(shape), order=1)
    affine = volume.affine.copy()
    affine[:3, :3] = affine[:3, :3] * scale
    return Volume(array, affine, volume.source)


def _fill_slices(bone: np.ndarray, bright: np.ndarray) -> np.ndarray:
    """Add to each axial (D) slice the points of its holes where ``bright`` is True.

    The cortex of a body encloses its cancellous core (150-300 HU); the arch encloses the
    spinal canal (CSF, cord and fat, ~0-70 HU), which must stay empty even where a gap in the
    posterior wall joins both holes, hence a test per point rather than per hole.
    """
    out = bone.copy()
    for d in np.flatnonzero(bone.any(axis=(1, 2))):
        holes = ndimage.binary_fill_holes(bone[d]) & ~bone[d]
        out[d] |= holes & bright[d]
    return out


def bone_mask(volume: Volume, cfg: MeasureConfig) -> np.ndarray:
    """Thresholded bone (D, H, W) bool of a volume (HU) with the bodies' cores filled.

    Cavities closed in 3D are filled (a cortex enclosing a core as dark as a disc, when
    osteoporotic); so are holes of an axial slice brighter than ``hole_hu`` on average (a
    cortex with gaps around a normal core), where the CT smoothed by ``hole_smooth_mm`` is
    above ``hole_hu``. The canal is neither: it is open along the column, and darker.
    """
    sigma = cfg.smooth_mm / np.asarray(volume.spacing)
    smooth = ndimage.gaussian_filter(volume.array, sigma) if cfg.smooth_mm > 0 else volume.array
    bone = smooth > cfg.bone_hu
    # Close gaps of about a voxel in each axial slice: a thin cortex is not always continuous
    # above the threshold once blurred.
    radius = np.maximum(np.round(cfg.close_mm / np.asarray(volume.spacing[1:])), 1).astype(int)
    disc = np.zeros((1, 2 * radius[0] + 1, 2 * radius[1] + 1), dtype=bool)
    yy, xx = np.ogrid[-radius[0] : radius[0] + 1, -radius[1] : radius[1] + 1]
    disc[0] = (yy / radius[0]) ** 2 + (xx / radius[1]) ** 2 <= 1.0
    bone = ndimage.binary_closing(bone, structure=disc)
    bone = ndimage.binary_fill_holes(bone)
    sigma = np.maximum(cfg.hole_smooth_mm / np.asarray(volume.spacing), 0.5)
    return _fill_slices(bone, ndimage.gaussian_filter(volume.array, sigma) > cfg.hole_hu)


def _open_slices(mask: np.ndarray, radius: float, spacing) -> np.ndarray:
    """Opening of each axial (D) slice with a disc of ``radius`` mm (distance transforms).

    In the axial plane a body (~30 x 40 mm) holds the disc, pedicles, laminae, processes and
    ribs do not; slice by slice, the short upper thoracic bodies survive as well.
    """
    out = np.zeros_like(mask)
    sampling = tuple(spacing[1:])
    for d in np.flatnonzero(mask.any(axis=(1, 2))):
        eroded = ndimage.distance_transform_edt(mask[d], sampling=sampling) > radius
        if eroded.any():
            out[d] = ndimage.distance_transform_edt(~eroded, sampling=sampling) <= radius
    return out


def _chain(blobs: list[dict], up: np.ndarray, cfg: MeasureConfig) -> list[int]:
    """Indices (superior to inferior) of the chain of blobs that holds the most bodies.

    Blob j may follow blob i when its top lies below i's bottom (by at most ``max_step_mm``
    minus a body, overlapping by at most ``END_MM``) with a sideways step of at most
    ``max_offset_mm`` between i's bottom and j's top or between their centroids, so that a
    blob holding L5 and the sacrum (joined across the oblique L5/S1 disc, its centroid pulled
    by the alae) still follows L4, and so does a blob joined to a contrast-filled aorta.
    A blob counts with its volume up to ``max_body_mm3``: a column of bodies outweighs one big
    blob of sacrum or other bone.
    """
    order = sorted(range(len(blobs)), key=lambda i: -blobs[i]["centroid"] @ up)
    weight = {i: min(blobs[i]["volume"], cfg.max_body_mm3) for i in order}
    best = {i: (weight[i], [i]) for i in order}
    for k, j in enumerate(order):
        for i in order[:k]:
            step = blobs[i]["bottom"] - blobs[j]["top"]
            along = step @ up
            centres = blobs[i]["centroid"] - blobs[j]["centroid"]
            across = min(
                np.linalg.norm(step - along * up),
                np.linalg.norm(centres - (centres @ up) * up),
            )
            below = centres @ up > 8.0 and -END_MM <= along <= cfg.max_step_mm - 20.0
            if below and across <= cfg.max_offset_mm:
                score = best[i][0] + weight[j]
                if score > best[j][0]:
                    best[j] = (score, [*best[i][1], j])
    return max(best.values(), key=lambda item: item[0])[1]


def _curve(
    work: Volume, members: np.ndarray, up: np.ndarray, n_bodies: int, wide: float
) -> np.ndarray:
    """(N, 3) centre curve, 1 mm steps, superior to inferior, 15 mm beyond each end.

    Slice centroids of the chained bodies, fitted (area-weighted) by polynomials of the
    superior coordinate of degree up to 4, so that one odd slice cannot bend the curve.
    Slices ``wide`` times wider than the median (the sacral alae) are left out.
    """
    d_idx = np.flatnonzero(members.any(axis=(1, 2)))
    centres, weights, widths = [], [], []
    for d in d_idx:
        h, w = np.nonzero(members[d])
        centres.append(work.voxel_to_world(np.array([d, h.mean(), w.mean()])))
        weights.append(h.size)
        widths.append(np.ptp(w))
    areas = np.asarray(weights, dtype=float)
    # Leave out the sacral alae (wide) and slivers at endplates or of processes (small).
    normal = (np.asarray(widths) <= wide * np.median(widths)) & (areas >= 0.5 * np.median(areas))
    centres, areas = np.array(centres)[normal], areas[normal]
    z = centres @ up
    if z.size < 3 or np.ptp(z) < 5.0:
        raise InputError(work.source, "a spine column (vertebral bodies)", "a single thin blob")
    degree = int(min(3, max(1, n_bodies - 2), z.size - 1))
    keep = np.ones(z.size, dtype=bool)
    for _ in range(2):
        coefs = [np.polyfit(z[keep], centres[keep, k], degree, w=areas[keep]) for k in range(3)]
        fit = np.column_stack([np.polyval(c, z) for c in coefs])
        residual = np.linalg.norm(fit - centres, axis=1)
        keep = residual <= max(3.0 * np.median(residual), 2.0)
    # Inside the fitted range the polynomial; beyond it, straight on along the end tangents
    # (straight lines through the last 25 mm of centres).
    zs = np.arange(z.max() + 15.0, z.min() - 15.0, -1.0)
    inner = np.clip(zs, z.min(), z.max())
    points = np.column_stack([np.polyval(c, inner) for c in coefs])
    for end, beyond in ((z.max(), zs > z.max()), (z.min(), zs < z.min())):
        near = keep & (np.abs(z - end) <= 25.0)
        if beyond.any() and near.sum() >= 2 and np.ptp(z[near]) > 1.0:
            slopes = np.array([np.polyfit(z[near], centres[near, k], 1)[0] for k in range(3)])
            points[beyond] += (zs[beyond] - end)[:, None] * slopes
    # The fitted coordinate along ``up`` need not equal zs exactly; re-project onto it.
    points += (zs - points @ up)[:, None] * up[None, :]
    return points


def _profile(work: Volume, filled: np.ndarray, curve: np.ndarray, radius: float) -> np.ndarray:
    """Bone fraction of the cross-section disc around each curve point (0..1)."""
    tangent = np.gradient(curve, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    helper = np.where(np.abs(tangent[:, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])
    e1 = np.cross(tangent, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(tangent, e1)
    rr, th = np.meshgrid(np.linspace(0, radius, 5), np.linspace(0, 2 * np.pi, 12, endpoint=False))
    u, v = (rr * np.cos(th)).ravel(), (rr * np.sin(th)).ravel()
    pts = curve[:, None, :] + u[None, :, None] * e1[:, None, :] + v[None, :, None] * e2[:, None, :]
    inverse = np.linalg.inv(work.affine)
    index = pts.reshape(-1, 3) @ inverse[:3, :3].T + inverse[:3, 3]
    values = ndimage.map_coordinates(filled.astype(np.float32), index.T, order=1, mode="constant")
    return ndimage.gaussian_filter1d(values.reshape(len(curve), -1).mean(axis=1), 1.0)


def up_axis(volume: Volume) -> np.ndarray:
    """Unit RAS vector of the volume's superior direction (minus its D axis)."""
    return -volume.affine[:3, 0] / np.linalg.norm(volume.affine[:3, 0])


def _piece_above(volume: Volume, pieces: list, up: np.ndarray):
    """The second bone piece of a segment when it lies above the largest by more than a
    body's half height (L5 above the sacrum), else None; pieces as voxel index tuples."""
    if len(pieces) < 2:
        return None
    heights = [float(np.mean(volume.voxel_to_world(np.column_stack(p)) @ up)) for p in pieces]
    return pieces[1] if heights[1] - heights[0] > 10.0 else None


def _names(n: int, lowest: str | None, source) -> tuple[dict[int, str], list[int], str]:
    from x2ct.levels import LEVEL_NAMES

    if lowest is None:
        ids = list(range(1, n + 1))
        return {i: f"V{i}" for i in ids}, ids, "relative"
    if lowest not in LEVEL_NAMES:
        raise InputError("lowest_level", f"a level name such as L5 ({LEVEL_NAMES[0]}..)", lowest)
    last = LEVEL_NAMES.index(lowest) + 1
    if last - n + 1 < 1:
        raise InputError(source, f"at most {last} vertebrae above and including {lowest}", f"{n}")
    ids = list(range(last - n + 1, last + 1))
    return {i: LEVEL_NAMES[i - 1] for i in ids}, ids, "anchored"


def split_column(volume: Volume, cfg: MeasureConfig) -> ColumnSplit:
    """Find the spine column in a CT-like volume (HU) and split it into vertebrae.

    Raises InputError (naming the volume) when no bone or no column of bodies is found.
    """
    work = _working_grid(volume, cfg.work_mm)
    filled = bone_mask(work, cfg)
    if not filled.any():
        raise InputError(volume.source, f"bone above {cfg.bone_hu:g} HU", "none")
    core = _open_slices(filled, cfg.core_radius_mm, work.spacing)
    blobs_map, _n = ndimage.label(core)
    voxel_mm3 = float(np.prod(work.spacing))
    up = -work.affine[:3, 0] / np.linalg.norm(work.affine[:3, 0])
    blobs = []
    for k, box in enumerate(ndimage.find_objects(blobs_map), start=1):
        index = np.nonzero(blobs_map[box] == k)
        volume_mm3 = index[0].size * voxel_mm3
        if volume_mm3 < cfg.min_body_mm3:
            continue
        world = work.voxel_to_world(
            np.column_stack([i + s.start for i, s in zip(index, box, strict=True)])
        )
        extent = float(np.ptp(world @ up)) + work.spacing[0]
        if extent > 80.0 and volume_mm3 / extent < 400.0:
            continue  # a long thin tube (a contrast-filled vessel), not a stack of bodies
        left = work.affine[:3, 2] / np.linalg.norm(work.affine[:3, 2])
        height = world @ up
        blobs.append(
            {
                "label": k,
                "volume": volume_mm3,
                "centroid": world.mean(axis=0),
                "width": float(np.ptp(world @ left)),
                "top": world[height >= height.max() - END_MM].mean(axis=0),
                "bottom": world[height <= height.min() + END_MM].mean(axis=0),
            }
        )
    if not blobs:
        raise InputError(volume.source, "vertebral bodies (bone blobs of a spine column)", "none")
    chain = [blobs[i] for i in _chain(blobs, up, cfg)]
    members = np.isin(blobs_map, [b["label"] for b in chain])
    curve = _curve(work, members, up, len(chain), cfg.sacrum_width_ratio)
    full = bone_mask(volume, cfg)
    profile = _profile(volume, full, curve, cfg.profile_radius_mm)
    minima, _ = find_peaks(-profile, distance=cfg.min_pitch_mm, prominence=cfg.min_prominence)
    # A disc empties the cross-section; a slice whose core was not filled only dents it.
    top = float(np.percentile(profile, 90))
    minima = minima[profile[minima] <= 0.5 * top]
    cuts = [0, *minima.tolist(), len(curve) - 1]
    segments = [(a, b) for a, b in itertools.pairwise(cuts) if profile[a : b + 1].max() > 0.5]
    notes = []
    index = np.nonzero(full)
    from scipy.spatial import cKDTree

    tree = cKDTree(curve)
    distance, nearest = tree.query(volume.voxel_to_world(np.column_stack(index)))
    left_axis = volume.affine[:3, 2] / np.linalg.norm(volume.affine[:3, 2])
    # Widths of the opened bone (bodies, and the sacrum with its thick alae; not the thin
    # transverse processes, which make a lumbar vertebra nearly as wide as the sacrum).
    core_world = work.voxel_to_world(np.column_stack(np.nonzero(core)))
    core_distance, core_nearest = tree.query(core_world)
    core_left = core_world @ left_axis
    parts, widths, pieces_of = [], [], []
    for a, b in segments:
        chosen = (nearest >= a) & (nearest < b) & (distance <= 60.0)
        if not chosen.any():
            continue
        points = tuple(i[chosen] for i in index)
        box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in points)
        local = np.zeros(tuple(s.stop - s.start for s in box), dtype=bool)
        local[tuple(i - s.start for i, s in zip(points, box, strict=True))] = True
        pieces, count = ndimage.label(local)
        sizes = ndimage.sum_labels(local, pieces, index=np.arange(1, count + 1))
        order = np.argsort(sizes)[::-1]
        found = [
            tuple(i + s.start for i, s in zip(np.nonzero(pieces == k + 1), box, strict=True))
            for k in order[:2]
            if sizes[k] >= 0.2 * sizes[order[0]]
        ]
        parts.append(found[0])
        pieces_of.append(found)
        in_core = (core_nearest >= a) & (core_nearest < b) & (core_distance <= 60.0)
        widths.append(float(np.ptp(core_left[in_core])) if in_core.sum() > 1 else 0.0)
    if not parts:
        raise InputError(volume.source, "vertebrae along the spine column", "none")
    body_width = float(np.median(widths[:-1])) if len(widths) > 1 else 0.0
    if len(parts) >= 3 and widths[-1] > cfg.sacrum_width_ratio * body_width > 0:
        # The lowest segment holds the sacrum. When no disc minimum was found above it (the
        # L5/S1 disc is oblique to the column), L5 is a second bone piece above the sacrum.
        parts.pop()
        upper = _piece_above(volume, pieces_of[-1], up_axis(volume))
        if upper is not None:
            parts.append(upper)
            notes.append("lowest segment split: the sacrum below L5 left out")
        else:
            notes.append("lowest segment taken as the sacrum (wide alae) and left out")
    names, ids, naming = _names(len(parts), cfg.lowest_level, volume.source)
    labels = np.zeros(volume.shape, dtype=np.int32)
    for part, label in zip(parts, ids, strict=True):
        labels[part] = label
    return ColumnSplit(labels, names, curve, naming, notes)
