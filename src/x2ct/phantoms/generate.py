"""``generate_phantom``: one synthetic spine CT, its vertebra labels and its ground truth.

Order of work: sample the case, solve the column (Cobb angle), fit the field of view around the
run of complete levels, paint soft tissue, ribs, discs, sacrum and vertebrae (labels with one
26-connected component each), then add correlated noise and the partial-volume blur. Arrays are
built in the model frame (D, H, W) = (I, P, L); the affine maps them to RAS mm.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from x2ct.config.phantoms import PhantomConfig
from x2ct.phantoms.anatomy import LEVELS, level_index
from x2ct.phantoms.case import sample_case
from x2ct.phantoms.discs import rasterise_disc, rasterise_sacrum, sacrum_parts
from x2ct.phantoms.pelvis import rasterise_pelvis
from x2ct.phantoms.ribs import rasterise_rib, rib_paths
from x2ct.phantoms.sdf import Grid, corners, occupancy
from x2ct.phantoms.spec import CaseSpec
from x2ct.phantoms.spine import SACRUM, Column, Pose, solve_column
from x2ct.phantoms.tissue import BONE, DISC, Track, draw_body
from x2ct.phantoms.truth import build_truth
from x2ct.phantoms.vertebra import LAMINA_MM, Facets, Raster, parts, pillar_position, rasterise
from x2ct.volume import Volume

CONNECTIVITY = 26
"""Each vertebra label is one connected component under 26-connectivity (faces, edges, corners)."""


@dataclass
class Phantom:
    """A generated case: CT (HU) and labels as model-frame Volumes, and the ground truth dict.

    ``tissue`` (optional, (D, H, W) uint8) holds the tissue class of each voxel before noise and
    blur (see ``x2ct.phantoms.tissue``: AIR, FAT, MUSCLE, ORGAN, LUNG, GAS, TABLE, DISC, BONE).
    """

    ct: Volume
    labels: Volume
    truth: dict[str, Any]
    tissue: np.ndarray | None = field(default=None, repr=False)


def _facets(spec: CaseSpec, level: str) -> Facets:
    i = level_index(level)
    own_b, own_c = pillar_position(spec.vertebrae[level])

    def joint(upper: str | None, lower: str | None) -> tuple[float, float]:
        if upper is None or lower is None:
            return own_c + 1.0, own_b + 1.0
        bu, cu = pillar_position(spec.vertebrae[upper])
        bl, cl = pillar_position(spec.vertebrae[lower])
        return 0.5 * (cu + cl) + 1.0, 0.5 * (bu + bl) + 1.0

    above = joint(LEVELS[i - 1] if i > 0 else None, level)
    below = joint(level, LEVELS[i + 1] if i + 1 < len(LEVELS) else None)
    return Facets(
        above_lateral=above[0],
        above_posterior=above[1],
        above_thoracic=i <= 11,
        below_lateral=below[0],
        below_posterior=below[1],
        below_thoracic=i + 1 <= 11,
    )


def _bounds(pose: Pose, local_parts) -> np.ndarray:
    return np.vstack([pose.to_p(corners(p.lo, p.hi)) for p in local_parts])


def place(spec: CaseSpec, column: Column) -> tuple[Grid, dict[str, Pose]]:
    """Choose the grid around the run of complete levels and move the poses into it."""
    cfg = spec.config
    sd, sh, sw = spec.spacing
    extents = {
        lv: _bounds(
            column.poses[lv], parts(column.poses[lv], spec.vertebrae[lv], _facets(spec, lv))
        )
        for lv in spec.run
    }
    z_top = min(e[:, 0].min() for e in extents.values())
    z_bottom = max(e[:, 0].max() for e in extents.values())
    top_margin, bottom_margin = spec.margins_mm
    if spec.scan_mm is not None:
        n_slices = int(np.ceil(spec.scan_mm / sd)) + 1
        z_start = z_top - spec.scan_above * max(0.0, spec.scan_mm - (z_bottom - z_top))
    elif cfg.slices is None:
        n_slices = int(np.ceil((z_bottom - z_top + top_margin + bottom_margin) / sd)) + 1
        z_start = z_top - top_margin
    else:
        n_slices = int(cfg.slices)
        z_start = 0.5 * (z_top + z_bottom) - 0.5 * (n_slices - 1) * sd
    anchors = [
        column.poses[lv].to_p(np.array([0.0, column.poses[lv].depth / 2 + 5, 0.0]))
        for lv in spec.run
    ]
    anchor = np.mean(anchors, axis=0)
    n = cfg.matrix
    target_y = 0.5 * (n - 1) * sh + spec.fov_offset_mm[0]
    target_x = 0.5 * (n - 1) * sw + spec.fov_offset_mm[1]
    shift = np.array([-z_start, target_y - anchor[1], target_x - anchor[2]])
    poses = {
        lv: Pose(p.level, p.rotation, p.origin + shift, p.planes, p.depth, p.width)
        for lv, p in column.poses.items()
    }
    return Grid((n_slices, n, n), (sd, sh, sw)), poses


def model_affine(grid: Grid, world_centre: tuple[float, float, float]) -> np.ndarray:
    """Voxel (d, h, w) -> RAS mm for the model frame, the grid centre at ``world_centre``."""
    sd, sh, sw = grid.spacing
    affine = np.array([[0, 0, -sw, 0], [0, -sh, 0, 0], [-sd, 0, 0, 0], [0, 0, 0, 1]], dtype=float)
    centre = (np.array(grid.shape) - 1) / 2.0
    affine[:3, 3] = np.asarray(world_centre) - affine[:3, :3] @ centre
    return affine


def _track(spec: CaseSpec, poses: dict[str, Pose], grid: Grid) -> Track:
    order = sorted(poses.values(), key=lambda p: p.origin[0])
    z = np.array([p.origin[0] for p in order])
    tips = []
    for p in order:
        an = spec.vertebrae["L5" if p.level == SACRUM else p.level].anatomy
        theta = np.radians(an.spinous_angle_deg)
        reach = p.depth / 2 + an.canal_depth + LAMINA_MM + an.spinous_length * np.cos(theta)
        tips.append(p.to_p(np.array([0.0, reach, 0.0]))[1])
    zs = (np.arange(grid.shape[0]) * grid.spacing[0]).astype(np.float32)

    def along(values) -> np.ndarray:
        return np.interp(zs, z, np.asarray(values, dtype=float)).astype(np.float32)

    index = [len(LEVELS) if p.level == SACRUM else level_index(p.level) for p in order]
    return Track(
        z=zs,
        y_body=along([p.origin[1] for p in order]),
        x_body=along([p.origin[2] for p in order]),
        depth=along([p.depth for p in order]),
        width=along([p.width for p in order]),
        y_back=along(tips),
        level_z=(np.array(index, dtype=float), z),
    )


def _paint(
    ct: np.ndarray, raster: Raster, eps: float, keep: np.ndarray | None = None
) -> np.ndarray:
    occ = occupancy(raster.sdf, eps)
    if keep is not None:
        occ *= keep
    view = ct[raster.box]
    view += occ * (raster.hu - view)
    return occ


def _largest_component(mask: np.ndarray) -> tuple[np.ndarray, int]:
    from scipy import ndimage

    lab, n = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    if n <= 1:
        return mask, n
    sizes = np.bincount(lab.ravel())[1:]
    return lab == (int(np.argmax(sizes)) + 1), n


def _overlap(a: Raster, b: Raster) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    lo = [max(x.start, y.start) for x, y in zip(a.box, b.box, strict=True)]
    hi = [min(x.stop, y.stop) for x, y in zip(a.box, b.box, strict=True)]
    if any(h <= lo_ for lo_, h in zip(lo, hi, strict=True)):
        return None
    in_a = tuple(slice(lo_ - x.start, h - x.start) for lo_, h, x in zip(lo, hi, a.box, strict=True))
    in_b = tuple(slice(lo_ - y.start, h - y.start) for lo_, h, y in zip(lo, hi, b.box, strict=True))
    return in_a, in_b


def _draw_vertebrae(ct, labels, tissue, spec: CaseSpec, poses, grid: Grid) -> dict[str, tuple]:
    """Paint the vertebrae (CT and labels); return the box of each drawn level's label."""
    from scipy import ndimage

    boxes: dict[str, tuple] = {}
    prev: tuple[int, Raster] | None = None
    for level in spec.drawn:
        v = spec.vertebrae[level]
        raster = rasterise(poses[level], v, _facets(spec, level), grid)
        if raster is None:
            continue
        mask = raster.sdf < 0
        if prev is not None and (ov := _overlap(raster, prev[1])) is not None:
            mine, theirs = ov
            other = prev[1].sdf[theirs]
            mask[mine] &= ~((other < 0) & (other <= raster.sdf[mine]))
        keep, count = _largest_component(mask)
        view = labels[raster.box]
        if prev is not None and np.any(view[keep] == prev[0]):
            _recheck(labels, prev)
        view[keep] = v.label
        soft = ndimage.binary_dilation(keep, np.ones((3, 3, 3), bool)) if count > 1 else None
        _paint(ct, raster, grid.eps, soft)
        if tissue is not None:
            tissue[raster.box][keep] = BONE
        prev = (v.label, raster)
        boxes[level] = raster.box
    # Levels of a long scan beyond the labelled ones stay bone without a label; drawn with it
    # first so that neighbours share their boundary as between labelled levels.
    for level in set(boxes) - set(spec.labelled_levels):
        view = labels[boxes.pop(level)]
        view[view == spec.vertebrae[level].label] = 0
    return boxes


def _recheck(labels: np.ndarray, prev: tuple[int, Raster]) -> None:
    """Keep one component of the previous label after the next vertebra took some voxels."""
    label, raster = prev
    view = labels[raster.box]
    mask = view == label
    keep, count = _largest_component(mask)
    if count > 1:
        view[mask & ~keep] = 0


def _kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(np.ceil(2.5 * sigma)))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def _blur_slices(a: np.ndarray, out: np.ndarray, k: np.ndarray) -> np.ndarray:
    """3-tap blur along D with edge replication (contiguous slabs: much faster than correlate1d)."""
    np.multiply(a, k[1], out=out)
    out[1:] += k[0] * a[:-1]
    out[:-1] += k[2] * a[1:]
    out[0] += k[0] * a[0]
    out[-1] += k[2] * a[-1]
    return out


def _noise_and_blur(ct: np.ndarray, spec: CaseSpec, grid: Grid) -> np.ndarray:
    """Add white noise, then blur: correlated CT noise of std ``noise_hu`` plus the in-plane PSF.

    The noise is uniform with unit variance; the blur averages many voxels, so what is left is
    close to Gaussian (and uniform numbers are ~3x cheaper to draw). Along D the occupancy ramps
    give the partial volume of thin slices; slices >= 1.5 mm also get a 3-tap slice profile.
    """
    from scipy import ndimage

    kernels = {
        1: _kernel(spec.blur_mm / grid.spacing[1]),
        2: _kernel(spec.blur_mm / grid.spacing[2]),
    }
    if grid.spacing[0] >= 1.5:
        kernels[0] = np.array([0.12, 0.76, 0.12], dtype=np.float32)
    norm = float(np.prod([np.sqrt((k * k).sum()) for k in kernels.values()]))
    rng = np.random.default_rng(spec.noise_seed)
    noise = rng.random(ct.shape, dtype=np.float32)
    noise -= np.float32(0.5)
    noise *= np.float32(np.sqrt(12.0) * spec.noise_hu / norm)
    ct += noise
    out = noise
    if 0 in kernels:
        ct, out = _blur_slices(ct, out, kernels[0]), ct
    for axis in (1, 2):
        ndimage.correlate1d(ct, kernels[axis], axis=axis, output=out, mode="nearest")
        ct, out = out, ct
    return ct


def generate_phantom(
    seed: int, config: PhantomConfig | None = None, *, tissue_map: bool = False
) -> Phantom:
    """Generate the phantom of case ``seed``: CT in HU, vertebra labels and the truth dict.

    Args:
        seed: case seed (int >= 0); the same (seed, config) always gives the same phantom.
        config: drawing ranges (default ``PhantomConfig()``).
        tissue_map: also return the tissue class map (for tests and studies).

    Returns:
        ``Phantom`` with ``ct`` (HU) and ``labels`` (CTSpine1K ids) as model-frame Volumes of
        shape (D, H, W) = (slices, matrix, matrix), and ``truth`` (see docs/phantoms.md).
    """
    return generate_from_spec(sample_case(seed, config), tissue_map=tissue_map)


def generate_from_spec(spec: CaseSpec, *, tissue_map: bool = False) -> Phantom:
    """Generate the phantom of an explicit ``CaseSpec`` (see ``generate_phantom``)."""
    column = solve_column(spec)
    grid, poses = place(spec, column)
    ct = np.empty(grid.shape, dtype=np.float32)
    labels = np.zeros(grid.shape, dtype=np.uint8)
    tissue = np.zeros(grid.shape, dtype=np.uint8) if tissue_map else None
    track = _track(spec, poses, grid)
    cage = draw_body(ct, grid, spec, track, np.random.default_rng(spec.tissue_seed), tissue)
    if spec.config.ribs:
        for level in spec.drawn:
            if not level.startswith("T"):
                continue
            v = spec.vertebrae[level]
            for path in rib_paths(poses[level], spec, cage, grid):
                for raster in rasterise_rib(path, grid, 0.8 * v.cortical_hu, v.cancellous_hu + 50):
                    _paint(ct, raster, grid.eps)
    order = list(spec.drawn) + ([SACRUM] if spec.sacrum else [])
    for upper, lower in itertools.pairwise(order):
        low_conc = 0.7 if lower == SACRUM else spec.vertebrae[lower].concavity_superior
        raster = rasterise_disc(
            poses[upper], poses[lower], spec.vertebrae[upper], low_conc, spec.discs[upper], grid
        )
        if raster is not None:
            occ = _paint(ct, raster, grid.eps)
            if tissue is not None:
                tissue[raster.box][occ > 0.5] = DISC
    if spec.pelvis:
        discs_mm = (spec.discs["L4"].height, spec.discs["L5"].height)
        raster = rasterise_pelvis(
            poses[SACRUM], spec.vertebrae["L5"], discs_mm, spec.size_factor, grid
        )
        if raster is not None:
            occ = _paint(ct, raster, grid.eps)
            if tissue is not None:
                tissue[raster.box][occ > 0.5] = BONE
    if spec.sacrum:
        raster = rasterise_sacrum(poses[SACRUM], spec.vertebrae["L5"], grid)
        if raster is not None:
            occ = _paint(ct, raster, grid.eps)
            if tissue is not None:
                tissue[raster.box][occ > 0.5] = BONE
    boxes = _draw_vertebrae(ct, labels, tissue, spec, poses, grid)
    ct = _noise_and_blur(ct, spec, grid)
    affine = model_affine(grid, spec.world_centre_mm)
    truth = build_truth(spec, poses, labels, boxes, affine, grid)
    name = f"phantom seed {spec.seed}"
    return Phantom(Volume(ct, affine, name), Volume(labels, affine, name), truth, tissue)


__all__ = ["CONNECTIVITY", "Phantom", "generate_phantom", "model_affine", "place", "sacrum_parts"]
