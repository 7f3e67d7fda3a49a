"""Preparing one case: CT + vertebra labels -> cube, two radiographs, HDF5.

Steps (section 2.2 of the seed paper, with its geometric bugs fixed):
1. read CT and labels in the model frame; check that they share one grid;
2. select the spine labels; crop box = their bounding box plus a margin (affine shifted);
3. optional masking of everything away from the spine;
4. resample to the cube (``aligned`` or ``paper``), labels by nearest neighbour;
5. render the frontal and lateral DRRs and preprocess them as radiographs;
6. write ``<out>/<case>/ct_xray_data.h5`` (and PNGs on request).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

import x2ct
from x2ct.config import ProjectConfig
from x2ct.config.prepare import PrepareConfig
from x2ct.config.schema import to_dict
from x2ct.data.hdf5 import CaseData, case_path, write_case
from x2ct.errors import InputError, MissingFileError
from x2ct.io import read_volume
from x2ct.prepare.crop import bounding_box, box_extent_mm, crop, expand_box
from x2ct.prepare.labels import check_integer_labels, common_id_table
from x2ct.prepare.layout import CaseSource
from x2ct.prepare.resample import aligned_cube_affine, paper_cube_affine, resample_to_cube
from x2ct.scaling import hu_to_stored
from x2ct.volume import Volume


@dataclass(frozen=True)
class SpineSelection:
    """Resolved ``--spine-labels``: preset name (or 'custom') and the selected ids."""

    preset: str
    ids: tuple[int, ...]


def read_label_ids(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ids, affine): a label map in the model frame as non-negative integers (any format)."""
    from x2ct.io.nifti import is_nifti, read_nifti_labels

    if is_nifti(path):
        return read_nifti_labels(path)
    volume = read_volume(path)
    check_integer_labels(volume.array, str(path))
    return np.rint(volume.array).astype(np.int32), volume.affine


def load_pair(source: CaseSource, config: ProjectConfig) -> tuple[Volume, Volume]:
    """Read the CT and its labels and make sure they share a grid (or resample the labels).

    The labels come back as a Volume whose array keeps an integer type (ids >= 0).
    """
    if source.ct is None:
        raise MissingFileError(
            source.labels or source.name, f"the CT of case {source.name} (labels found)"
        )
    if source.labels is None:
        raise MissingFileError(source.ct, f"the label file of case {source.name} (CT found)")
    ct = read_volume(source.ct)
    if not Path(source.labels).exists():
        raise MissingFileError(source.labels, "a label map")
    ids, label_affine = read_label_ids(Path(source.labels))
    labels = _LabelIds(ids, label_affine, str(source.labels))
    same_shape = labels.shape == ct.shape
    offset = float(np.abs(labels.affine - ct.affine).max()) if same_shape else np.inf
    if same_shape and offset <= config.prepare.grid_tolerance_mm:
        return ct, labels
    if not config.prepare.resample_labels:
        found = f"shape {labels.shape}" if not same_shape else f"an affine {offset:.3g} mm off"
        raise InputError(
            source.labels,
            f"the CT's grid (shape {ct.shape}, affine within {config.prepare.grid_tolerance_mm} mm;"
            " or set `prepare.resample_labels`)",
            found,
        )
    mapping = np.linalg.inv(labels.affine) @ ct.affine
    resampled = ndimage.affine_transform(
        labels.array, mapping[:3, :3], mapping[:3, 3], ct.shape, order=0, mode="constant", cval=0
    )
    return ct, _LabelIds(resampled, ct.affine, labels.source)


class _LabelIds:
    """A label map with integer ids: the parts of a Volume that prepare needs (no float copy)."""

    def __init__(self, array: np.ndarray, affine: np.ndarray, source: str | None) -> None:
        self.array, self.affine, self.source = array, np.asarray(affine, dtype=np.float64), source

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.array.shape)

    def with_array(self, array: np.ndarray) -> Volume:
        """A float32 Volume on this grid (for resampling a selected part)."""
        return Volume(array, self.affine, self.source)


def mask_far_from_spine(ct: Volume, spine: np.ndarray, dilation_mm: float, hu: float) -> Volume:
    """Set voxels farther than ``dilation_mm`` from the spine mask to ``hu``."""
    region = expand_box(bounding_box(spine), dilation_mm + max(ct.spacing), ct.spacing, ct.shape)
    slices = tuple(slice(int(a), int(b)) for a, b in region)
    distance = ndimage.distance_transform_edt(~spine[slices], sampling=ct.spacing)
    keep = np.zeros(ct.shape, dtype=bool)
    keep[slices] = distance <= dilation_mm
    return ct.with_array(np.where(keep, ct.array, np.float32(hu)))


def cube_geometry(
    ct: Volume,
    spine_box: np.ndarray,
    crop_box: np.ndarray,
    prep: PrepareConfig,
    name: str,
    *,
    jitter_seed: int = 0,
):
    """(cube affine, field of view in mm) for the configured mode; checks that the spine fits.

    With ``prep.center_jitter_mm`` the aligned cube moves by a random offset drawn from
    ``jitter_seed`` (see ``jitter_center``)."""
    if prep.mode == "paper":
        return paper_cube_affine(ct, crop_box, prep.size), None
    field_mm = prep.field_mm
    needed = box_extent_mm(spine_box, ct.spacing) + 2 * prep.margin_mm
    if needed.max() > field_mm:
        axis = "DHW"[int(np.argmax(needed))]
        wanted = np.ceil(needed.max() / 8.0) * 8.0
        raise InputError(
            name,
            f"a spine box (with {prep.margin_mm:g} mm margins) within the {field_mm:g} mm cube"
            f" ({prep.size} voxels of {field_mm / prep.size:.3g} mm)",
            f"{needed.max():.0f} mm along {axis}; use `prepare.field_mm` {wanted:g} (or a smaller `prepare.margin_mm`)",
        )
    index = cube_center_index(ct, spine_box, needed, field_mm)
    if prep.center_jitter_mm > 0:
        index = jitter_center(
            index, ct, spine_box, needed, field_mm, prep.center_jitter_mm, jitter_seed
        )
    center = ct.voxel_to_world(index)
    return aligned_cube_affine(ct, center, prep.size, field_mm / prep.size), field_mm


def cube_center_index(
    ct: Volume, spine_box: np.ndarray, needed_mm: np.ndarray, field_mm: float
) -> np.ndarray:
    """Voxel position (d, h, w) of the cube centre: the spine box centre, moved within the slack
    the cube leaves around the spine so that the cube covers as much of the scan as it can.

    Air outside the scan shows as black bands in the views; moving the cube (never so far that
    the spine box and its margins leave it) avoids them wherever the scan allows.
    """
    spacing = np.asarray(ct.spacing)
    box_center = (spine_box[:, 0] + spine_box[:, 1] - 1) / 2.0
    half_field = field_mm / 2.0 / spacing  # in voxels along each axis
    slack = np.maximum(field_mm - needed_mm, 0.0) / 2.0 / spacing
    scan_low, scan_high = np.full(3, -0.5), np.asarray(ct.shape) - 0.5
    # Centres for which the cube lies inside the scan (or, if the scan is shorter than the
    # cube, contains it): any of them maximises the overlap.
    inside_low = np.minimum(scan_low + half_field, scan_high - half_field)
    inside_high = np.maximum(scan_low + half_field, scan_high - half_field)
    best = np.clip(box_center, inside_low, inside_high)
    return np.clip(best, box_center - slack, box_center + slack)


def jitter_center(
    index: np.ndarray,
    ct: Volume,
    spine_box: np.ndarray,
    needed_mm: np.ndarray,
    field_mm: float,
    jitter_mm: float,
    seed: int,
) -> np.ndarray:
    """Cube centre (d, h, w voxels of ``ct``) moved by a uniform offset of up to ``jitter_mm``
    per axis, then clipped to the slack that keeps the spine box and its margins inside."""
    spacing = np.asarray(ct.spacing)
    box_center = (spine_box[:, 0] + spine_box[:, 1] - 1) / 2.0
    slack = np.maximum(field_mm - needed_mm, 0.0) / 2.0 / spacing
    offset_mm = np.random.default_rng([seed, 1]).uniform(-jitter_mm, jitter_mm, size=3)
    return np.clip(index + offset_mm / spacing, box_center - slack, box_center + slack)


@dataclass(frozen=True)
class SpinePlacement:
    """Where the labelled spine is in a CT and where the cube and the views go.

    Attributes:
        common_ids: (D, H, W) labels in the common numbering (0 = not spine), the CT's grid.
        spine_box, crop_box: (3, 2) voxel index boxes of the spine and of the spine + margins.
        cube_affine: (4, 4) voxel -> RAS mm of the output cube.
        field_mm: the aligned cube's edge in mm; None in paper mode.
        center_world: RAS mm of the cube centre (the DRR isocentre in aligned mode).
    """

    common_ids: np.ndarray
    spine_box: np.ndarray
    crop_box: np.ndarray
    cube_affine: np.ndarray
    field_mm: float | None
    center_world: np.ndarray


def place_spine(
    ct: Volume,
    labels: Volume,
    spine: SpineSelection,
    prep: PrepareConfig,
    source: CaseSource,
    *,
    jitter_seed: int = 0,
) -> SpinePlacement:
    """Find the selected spine labels in ``labels`` and place the cube around them
    (``jitter_seed``: the case's draw of ``prep.center_jitter_mm``).

    Raises InputError naming the label file when it holds no selected label, or the CT when the
    spine does not fit the aligned cube.
    """
    table = common_id_table(spine.preset, spine.ids, int(labels.array.max(initial=0)))
    common_ids = table[labels.array]
    spine_mask = common_ids > 0
    if not spine_mask.any():
        present = np.unique(labels.array).astype(int).tolist()
        raise InputError(
            source.labels,
            f"voxels with spine labels ({spine.preset}: {_ids_text(spine.ids)})",
            f"none (label ids present: {_ids_text(tuple(v for v in present if v))})",
        )
    spine_box = bounding_box(spine_mask)
    crop_box = expand_box(spine_box, prep.margin_mm, ct.spacing, ct.shape)
    cube_affine, field_mm = cube_geometry(
        ct, spine_box, crop_box, prep, str(source.ct), jitter_seed=jitter_seed
    )
    center = cube_affine[:3, :3] @ np.full(3, (prep.size - 1) / 2.0) + cube_affine[:3, 3]
    return SpinePlacement(common_ids, spine_box, crop_box, cube_affine, field_mm, center)


def prepare_case(
    source: CaseSource,
    out_dir: Path,
    config: ProjectConfig,
    spine: SpineSelection,
    write_png: bool = False,
) -> dict[str, Any]:
    """Prepare one case and write its HDF5; returns a summary dict for the manifest.

    Raises InputError / MissingFileError (one line, naming the file) for a bad case.
    """
    from x2ct.prepare.views import noise_seed, render_views

    started = time.perf_counter()
    clock = _StageClock()
    prep = config.prepare
    ct, labels = load_pair(source, config)
    clock.lap("read")
    seed = noise_seed(prep.seed, source.name)
    placed = place_spine(ct, labels, spine, prep, source, jitter_seed=seed)
    common_ids, spine_mask = placed.common_ids, placed.common_ids > 0
    spine_box, crop_box = placed.spine_box, placed.crop_box
    cube_affine, field_mm, center = placed.cube_affine, placed.field_mm, placed.center_world
    if prep.mask_outside_hu is not None:
        ct = mask_far_from_spine(ct, spine_mask, prep.mask_dilation_mm, prep.mask_outside_hu)
    clock.lap("crop")
    cube_hu = resample_to_cube(ct, cube_affine, prep.size)
    common = _LabelIds(common_ids, labels.affine, labels.source)
    cube_labels = resample_to_cube(common, cube_affine, prep.size, labels=True).astype(np.uint8)
    drr_source = crop(ct, crop_box) if prep.mode == "paper" else ct
    clock.lap("resample")
    try:
        xray1, xray2, drr_info = render_views(drr_source, center, field_mm, config, seed=seed)
    except InputError as exc:
        if exc.source is not None:
            raise
        raise InputError(source.ct, exc.expected, f"{exc.found} in its DRR") from None
    attrs = {
        "spacing_mm": np.array(Volume(cube_hu, cube_affine).spacing),
        "affine": cube_affine,
        "crop_box": crop_box,
        "spine_box": spine_box,
        "x2ct_version": x2ct.__version__,
        "source": {
            "ct": str(source.ct),
            "labels": str(source.labels),
            "case": source.name,
            "group": source.group,
            "truth": str(source.truth) if source.truth else None,
            "spine_labels": {"preset": spine.preset, "ids": list(spine.ids)},
        },
        "prepare": to_dict(prep),
        "drr": {**to_dict(config.drr), **drr_info},
        "xray": to_dict(config.xray),
    }
    clock.lap("drr")
    path = write_case(
        case_path(out_dir, source.name),
        CaseData(hu_to_stored(cube_hu), xray1, xray2, cube_labels, attrs),
    )
    if write_png:
        _write_pngs(path.parent, xray1, xray2)
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "stage_seconds": clock.lap("write"),
        "source_shape": list(ct.shape),
        "source_spacing_mm": [round(s, 4) for s in ct.spacing],
        "spine_extent_mm": [round(float(v), 1) for v in box_extent_mm(spine_box, ct.spacing)],
        "vertebrae": sorted(int(v) for v in np.unique(cube_labels) if v),
    }


class _StageClock:
    """Seconds spent per stage of a case (for the manifest and the speed benchmark)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, name: str) -> dict[str, float]:
        now = time.perf_counter()
        self.stages[name] = round(now - self.last, 3)
        self.last = now
        return self.stages


def _ids_text(ids: tuple[int, ...]) -> str:
    """Compact id list: (1, 2, 3, 7) -> '1-3,7'."""
    if not ids:
        return "none"
    runs: list[tuple[int, int]] = []
    first = last = ids[0]
    for value in ids[1:]:
        if value != last + 1:
            runs.append((first, last))
            first = value
        last = value
    runs.append((first, last))
    return ",".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)


def _write_pngs(folder: Path, xray1: np.ndarray, xray2: np.ndarray) -> None:
    from PIL import Image

    from x2ct.atomic import atomic_path

    for name, image in (("xray1_frontal.png", xray1), ("xray2_lateral.png", xray2)):
        with atomic_path(folder / name) as tmp:
            Image.fromarray(image).save(tmp, format="PNG")
