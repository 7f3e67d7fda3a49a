"""``measure_volume``: clinical measures of the vertebrae of a CT-like volume.

With a label map each label is one vertebra (CTSpine1K / VerSe ids name the levels); without,
the column is found and split by ``segment.split_column``. Each vertebra is then measured on the
CT itself (``body.measure_body``), and the spine's angles and the Genant grades follow.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from x2ct.config.measure import MeasureConfig
from x2ct.errors import InputError
from x2ct.levels import level_name
from x2ct.measures.body import BodyGeometry, measure_body
from x2ct.measures.edges import Sampler
from x2ct.measures.records import Endplate, SpineMeasures, VertebraMeasures
from x2ct.measures.spine import cobb, grade_fractures, sagittal_angle
from x2ct.volume import Volume

GRID_TOLERANCE_MM = 0.01
MIN_VOXELS = 30
"""Labels with fewer voxels are listed but not measured."""

RAS_LEFT = np.array([-1.0, 0.0, 0.0])
RAS_ANTERIOR = np.array([0.0, 1.0, 0.0])
RAS_SUPERIOR = np.array([0.0, 0.0, 1.0])


def tilts(normal: np.ndarray) -> tuple[float, float]:
    """(coronal, sagittal) tilt in degrees, each in [-90, 90], of an endplate's RAS normal (see
    CONVENTIONS). A plane's normal has no sign: one pointing down is turned up first, so that
    a plane fitted with the other orientation (a vertebra of a poor reconstruction) cannot give
    tilts near 180 degrees and Cobb angles above 180."""
    normal = np.asarray(normal, dtype=np.float64)
    if float(normal @ RAS_SUPERIOR) < 0:
        normal = -normal
    up = float(normal @ RAS_SUPERIOR)
    coronal = np.degrees(np.arctan2(float(normal @ RAS_LEFT), up))
    sagittal = np.degrees(np.arctan2(float(normal @ RAS_ANTERIOR), up))
    return float(coronal), float(sagittal)


def check_labels(volume: Volume, labels: Volume) -> np.ndarray:
    """Integer label array on the CT's grid, or InputError naming the label file."""
    if labels.shape != volume.shape:
        raise InputError(
            labels.source,
            f"labels on the volume's grid (shape {volume.shape})",
            f"shape {labels.shape}",
        )
    offset = float(np.abs(labels.affine - volume.affine).max())
    if offset > GRID_TOLERANCE_MM:
        raise InputError(
            labels.source,
            f"labels on the volume's grid (affine within {GRID_TOLERANCE_MM} mm)",
            f"an affine {offset:.3g} mm off",
        )
    ids = np.rint(labels.array)
    if np.abs(labels.array - ids).max(initial=0.0) > 1e-3 or ids.min() < 0:
        raise InputError(labels.source, "a label map of integer ids >= 0", "other values")
    if not (ids > 0).any():
        raise InputError(labels.source, "at least one labelled vertebra", "only background")
    return ids.astype(np.int32)


def _touches_border(index: tuple[np.ndarray, ...], shape: tuple[int, ...]) -> bool:
    return any(
        int(i.min()) == 0 or int(i.max()) == n - 1 for i, n in zip(index, shape, strict=True)
    )


def _record(
    level, label, index, volume, geometry: BodyGeometry | None, complete
) -> VertebraMeasures:
    centroid = volume.voxel_to_world(np.mean(np.column_stack(index), axis=0))
    record = VertebraMeasures(level, label, complete, len(index[0]), tuple(centroid))
    if geometry is None:
        record.notes.append("not measured: no vertebral body could be separated")
        return record
    g = geometry
    record.notes.extend(g.notes)
    if not complete:
        record.notes.append("cut by the volume's border: body measures left out")
        return record
    record.body_centre = tuple(g.centre)
    record.axes = {
        "superior": tuple(g.superior),
        "anterior": tuple(g.anterior),
        "left": tuple(g.left),
    }
    record.body_width_mm = g.width
    record.body_depth_mm = g.a_front - g.a_back
    record.height_anterior_mm = g.wall_height("anterior")
    record.height_posterior_mm = g.wall_height("posterior")
    record.height_middle_mm = g.middle_height
    for which in ("superior", "inferior"):
        n = np.asarray(g.normal(which), dtype=np.float64)
        n = -n if float(n @ RAS_SUPERIOR) < 0 else n  # stored superior-pointing, as documented
        coronal, sagittal = tilts(n)
        setattr(record, f"endplate_{which}", Endplate(tuple(n), coronal, sagittal))
    cs, ci = g.superior_plane, g.inferior_plane
    record.wedge_angle_deg = float(np.degrees(np.arctan(ci[1]) - np.arctan(cs[1])))
    record.coronal_wedge_deg = float(np.degrees(np.arctan(cs[2]) - np.arctan(ci[2])))
    a_mid = 0.5 * (g.a_front + g.a_back)
    for which in ("superior", "inferior"):
        for name, wall in (("anterior", "anterior"), ("posterior", "posterior")):
            record.landmarks[f"{which}_{name}"] = tuple(g.corner(which, wall))
        record.landmarks[f"{which}_middle"] = tuple(
            g.point(g.plane_s(which, a_mid, g.l_mid), a_mid, g.l_mid)
        )
        for name, lat in (("right", g.l_mid - 0.5 * g.width), ("left", g.l_mid + 0.5 * g.width)):
            record.landmarks[f"{which}_{name}"] = tuple(
                g.point(g.plane_s(which, a_mid, lat), a_mid, lat)
            )
    return record


def measure_labelled(
    volume: Volume,
    ids: np.ndarray,
    names: dict[int, str],
    config: MeasureConfig,
    from_labels: bool = True,
) -> list[VertebraMeasures]:
    """Measure every label of ``ids`` ((D, H, W) int) on ``volume``; superior to inferior.

    ``from_labels``: ``ids`` is a label map that follows the bone surface (not a threshold
    segmentation split at the discs), so its edges may bound the search for intensity edges.
    """
    objects = ndimage.find_objects(ids)
    present = [k + 1 for k, box in enumerate(objects) if box is not None]
    index = {}
    for label in present:
        box = objects[label - 1]
        local = np.nonzero(ids[box] == label)
        index[label] = tuple(i + s.start for i, s in zip(local, box, strict=True))
    centroids = {
        k: volume.voxel_to_world(np.mean(np.column_stack(v), axis=0)) for k, v in index.items()
    }
    order = sorted(present, key=lambda k: -centroids[k] @ RAS_SUPERIOR)
    directions = volume.affine[:3, :3] / np.asarray(volume.spacing)
    image_superior, image_anterior = -directions[:, 0], -directions[:, 1]
    spacing = float(max(volume.spacing))
    out = []
    for k, label in enumerate(order):
        points = volume.voxel_to_world(np.column_stack(index[label]))
        complete = not _touches_border(index[label], volume.shape)
        if len(points) < MIN_VOXELS:
            record = VertebraMeasures(
                names[label], label, False, len(points), tuple(centroids[label])
            )
            record.notes.append(f"not measured: only {len(points)} voxels")
            out.append(record)
            continue
        above = centroids[order[k - 1]] if k > 0 else None
        below = centroids[order[k + 1]] if k + 1 < len(order) else None
        if above is not None and below is not None:
            tangent = above - below
        elif above is not None:
            tangent = above - centroids[label]
        elif below is not None:
            tangent = centroids[label] - below
        else:
            tangent = image_superior
        if tangent @ image_superior <= 0 or np.linalg.norm(tangent) < 1e-6:
            tangent = image_superior
        sampler = Sampler(volume, ids == label, config.floor_hu, from_labels)
        geometry = measure_body(sampler, points, tangent, image_anterior, spacing, config)
        out.append(_record(names[label], label, index[label], volume, geometry, complete))
    return out


def measure_volume(
    volume: Volume, labels: Volume | None = None, config: MeasureConfig | None = None
) -> SpineMeasures:
    """Clinical measures of the vertebrae in a CT-like volume (HU).

    Args:
        volume: CT or reconstruction in the model frame, (D, H, W) HU.
        labels: optional vertebra label map on the same grid, CTSpine1K / VerSe ids (C1-C7 =
            1-7, T1-T12 = 8-19, L1-L5 = 20-24); other ids are measured as 'id<k>'.
        config: ``MeasureConfig``; default settings when None.

    Returns:
        ``SpineMeasures``: per-vertebra records (superior to inferior) and the spine's angles.

    Raises:
        InputError: labels on another grid or not integer; no bone or no column found.
    """
    config = config or MeasureConfig()
    curve: list = []
    notes: list[str] = []
    if labels is not None:
        ids = check_labels(volume, labels)
        names = {int(k): level_name(int(k)) for k in np.unique(ids) if k > 0}
        naming = "labels"
    else:
        from x2ct.measures.segment import split_column

        split = split_column(volume, config)
        ids, names, curve, naming = split.labels, split.names, split.curve, split.naming
        notes.extend(split.notes)
    vertebrae = measure_labelled(volume, ids, names, config, labels is not None)
    grade_fractures(vertebrae, config.genant_neighbours)
    result = SpineMeasures(
        vertebrae=vertebrae,
        level_naming=naming,
        source=volume.source,
        shape=volume.shape,
        spacing_mm=volume.spacing,
        centre_curve=[tuple(p) for p in curve],
        notes=notes,
    )
    result.cobb_deg, result.cobb_upper_end, result.cobb_lower_end = cobb(vertebrae)
    result.lordosis_deg, result.lordosis_levels = sagittal_angle(vertebrae, "L")
    kyphosis, result.kyphosis_levels = sagittal_angle(vertebrae, "T")
    result.kyphosis_deg = None if kyphosis is None else -kyphosis
    result.sagittal_deg, result.sagittal_levels = sagittal_angle(vertebrae, None)
    return result
