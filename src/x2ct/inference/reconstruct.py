"""``x2ct reconstruct``: a frontal and a lateral radiograph -> NIfTI volume, STL bone, figure.

The radiographs go through the same 2D preprocessing (mode, field of view) as the run's
training views. A radiograph with a pixel size (DICOM PixelSpacing / ImagerPixelSpacing, or
``pixel_spacing_mm``) is cropped to the training field of view around its bright spine; one
without is taken to show that field already (as the PNGs that ``x2ct prepare --png`` and
``x2ct drr`` write). Intensities are kept for 8-bit images without a pixel size (x2ct's own
views) and rescaled to the 0.5-99.5 percentiles otherwise.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from x2ct.atomic import write_text
from x2ct.inference.export import (
    bone_mesh,
    model_frame_affine,
    write_labels,
    write_mesh,
    write_prediction,
)
from x2ct.inference.figures import crops_figure, reconstruction_figure
from x2ct.inference.inputs import InputView, prepare_views, recentre_lateral
from x2ct.inference.predictor import Predictor
from x2ct.io import read_radiograph
from x2ct.scaling import hu_to_target, target_to_hu


@dataclass(frozen=True)
class MeasuredFiles:
    """The clinical measures of a reconstruction: summary lines and the files written."""

    summary: list[str]
    paths: dict[str, Path]


@dataclass(frozen=True)
class ReconstructionResult:
    """What ``reconstruct`` wrote and found; None where the option was not asked for.

    Attributes:
        volume: volume.nii.gz (HU, int16). figure: reconstruction.png.
        voxel_mm: edge of the output's isotropic voxels.
        labels: labels.nii.gz (vertebra levels, common ids) for a model with a level head.
        mesh, mesh_watertight: bone.stl (mm) with ``mesh``.
        metrics: the scores against ``truth`` (also in metrics.json).
        measures: the clinical measures with ``measure``.
    """

    volume: Path
    figure: Path
    voxel_mm: float
    labels: Path | None = None
    mesh: Path | None = None
    mesh_watertight: bool | None = None
    metrics: dict[str, float] | None = None
    measures: MeasuredFiles | None = None
    crops: Path | None = None
    """inputs/crops.png: each real radiograph with the field cut from it."""
    turned: tuple[str, ...] = ()
    """One line per radiograph turned to face as the model's view (its file and how)."""


def measure_reconstruction(
    hu: np.ndarray,
    affine: np.ndarray,
    config,
    out_dir: Path,
    *,
    lowest_level: str | None = None,
    labels: np.ndarray | None = None,
) -> MeasuredFiles:
    """Clinical measures of a reconstruction written to ``out_dir``.

    ``labels`` (the model's predicted vertebra labels) separate and name the vertebrae; without
    them the vertebrae are found in the volume and named from ``lowest_level``.

    Raises:
        InputError: when the volume shows no vertebra that can be measured.
    """
    from x2ct.measures import measure_volume
    from x2ct.measures.output import summary_lines, write_measures
    from x2ct.volume import Volume

    settings = dataclasses.replace(config.measure, lowest_level=lowest_level)
    volume = Volume(hu, affine)
    label_volume = None if labels is None else Volume(labels.astype(np.float32), affine)
    measures = measure_volume(volume, label_volume, settings)
    paths = write_measures(volume, measures, out_dir, settings.figure_dpi)
    return MeasuredFiles(summary_lines(measures), {k: Path(v) for k, v in paths.items()})


RECENTRE_PASSES = 2
"""At most this many further reconstructions recentre the lateral field (the second only when
the first moved it far: a network off its training range may place the spine short)."""


def predict_views(
    inputs: tuple[InputView, InputView], predictor: Predictor, *, recentre: bool = True
) -> tuple[tuple[InputView, InputView], np.ndarray, np.ndarray | None]:
    """(the views used, (S, S, S) volume in [0, 1], labels or None) of the network.

    With ``recentre``, each pass moves a lateral field centred on the body onto the spine of
    the last reconstruction (``recentre_lateral``: its vertebra labels, or its bone without a
    level head) and reconstructs again, up to ``RECENTRE_PASSES`` times.
    """
    frontal, lateral = inputs
    ct01, labels = predictor.predict_both(frontal.image, lateral.image)
    for _ in range(RECENTRE_PASSES if recentre else 0):
        if labels is not None:
            spine = labels > 0
        else:
            spine = ct01 >= hu_to_target(predictor.config.evaluate.bone_hu)
        moved = recentre_lateral(lateral, spine, predictor)
        if moved is None:
            break
        lateral = moved
        ct01, labels = predictor.predict_both(frontal.image, lateral.image)
    return (frontal, lateral), ct01, labels


def load_truth(path: Path, size: int) -> np.ndarray:
    """A ground-truth CT on the prediction's grid, in [0, 1]: a prepared case (.h5) or a volume
    covering the same cube (NIfTI / DICOM, resized to size^3)."""
    if path.suffix in (".h5", ".hdf5"):
        from x2ct.data.hdf5 import case_volume

        target = hu_to_target(case_volume(path).array)
    else:
        from x2ct.io import read_volume

        target = hu_to_target(read_volume(path).array)
    tensor = torch.from_numpy(target)[None, None]
    if target.shape != (size,) * 3:
        tensor = F.interpolate(tensor, size=(size,) * 3, mode="trilinear", align_corners=False)
    return tensor[0, 0].numpy()


def reconstruct(
    frontal: str | Path,
    lateral: str | Path,
    out_dir: str | Path,
    *,
    run_dir: str | Path | None = None,
    model: str | Path | None = None,
    checkpoint: str | int = "best",
    mesh: bool = False,
    level: float | None = None,
    truth: str | Path | None = None,
    intensity: str | None = None,
    pixel_spacing_mm: float | None = None,
    device: str = "cpu",
    measure: bool = False,
    lowest_level: str | None = None,
    centers: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
    side_mm: float | None = None,
    orientations: tuple[str | None, str | None] = (None, None),
    recentre: bool = True,
) -> ReconstructionResult:
    """Reconstruct a volume from two radiographs; returns what was written.

    The network is the run's (``run_dir`` + ``checkpoint``) or, with ``run_dir`` None, the
    shipped or exported ``model`` ('default' when None too). A network with a level head also
    writes ``labels.nii.gz`` (vertebra labels, common ids) and measures with those labels.

    Writes ``volume.nii.gz`` (HU, int16; isotropic voxels of the training cube, centred at the
    origin of patient space), ``inputs/`` (the preprocessed views), ``reconstruction.png``, and
    with ``mesh`` ``bone.stl`` (mm); with ``truth`` also ``metrics.json``; with ``measure`` the
    clinical measures of the reconstruction in ``measures/`` (vertebrae found without labels,
    named from ``lowest_level`` when given, e.g. 'L5'). A real radiograph (with a pixel
    spacing) is cut to the model's field around its spine (``x2ct.inference.inputs``;
    ``centers`` (row, col) per view and ``side_mm`` on the detector override the search), and
    ``inputs/crops.png`` shows the cuts. With ``recentre``, a lateral field centred on the body
    is moved onto the spine that a first reconstruction shows (``predict_views``).

    Raises:
        InputError: for a bad radiograph or model; with ``measure``, when the reconstruction
            shows no vertebra to measure (raised last: the volume and figure are written).
    """
    from PIL import Image

    from x2ct.atomic import atomic_path

    out_dir = Path(out_dir)
    if run_dir is not None:
        predictor = Predictor.from_run(run_dir, checkpoint, device)
        label = f"{Path(run_dir).name} ({checkpoint})"
    else:
        predictor = Predictor.from_model(model or "default", device)
        label = predictor.source
    inputs = prepare_views(
        read_radiograph(frontal),
        read_radiograph(lateral),
        predictor,
        intensity=intensity,
        pixel_spacing_mm=pixel_spacing_mm,
        centers=centers,
        side_mm=side_mm,
        orientations=orientations,
    )
    inputs, ct01, labels = predict_views(inputs, predictor, recentre=recentre)
    views = [view.image for view in inputs]
    voxel = predictor.voxel_mm or 1.0
    affine = model_frame_affine(predictor.size, voxel)
    volume_path = write_prediction(ct01, affine, out_dir / "volume.nii.gz")
    labels_path = None
    if labels is not None:
        labels_path = write_labels(labels, affine, out_dir / "labels.nii.gz")
    for name, image in zip(("xray1_frontal.png", "xray2_lateral.png"), views, strict=True):
        with atomic_path(out_dir / "inputs" / name) as tmp:
            Image.fromarray(image).save(tmp, format="PNG")
    crops = None
    if any(view.crop is not None for view in inputs):
        crops = Path(crops_figure(out_dir / "inputs" / "crops.png", inputs))
    level = predictor.config.evaluate.bone_hu if level is None else level
    hu = target_to_hu(ct01)
    mesh_path, watertight = None, None
    if mesh:
        surface = bone_mesh(hu, affine, level)
        mesh_path, watertight = (
            write_mesh(surface, out_dir / "bone.stl"),
            bool(surface.is_watertight),
        )
    truth_hu, scores = None, None
    if truth is not None:
        from x2ct import metrics

        truth01 = load_truth(Path(truth), predictor.size)
        truth_hu = target_to_hu(truth01)
        spacing = (voxel,) * 3
        scores = {
            **metrics.table1(truth01, ct01),
            **metrics.corrected(truth_hu, hu),
            **metrics.shape_metrics(truth_hu, hu, spacing, bone_hu=level),
        }
        write_text(out_dir / "metrics.json", json.dumps(scores, indent=1, default=float) + "\n")
    title = f"{Path(frontal).name} + {Path(lateral).name} -> {label}"
    figure = reconstruction_figure(
        out_dir / "reconstruction.png", views[0], views[1], hu, voxel, truth_hu, level, title
    )
    measured = None
    if measure:
        measured = measure_reconstruction(
            hu,
            affine,
            predictor.config,
            out_dir / "measures",
            lowest_level=lowest_level,
            labels=labels,
        )
    return ReconstructionResult(
        volume=Path(volume_path),
        figure=Path(figure),
        voxel_mm=voxel,
        labels=None if labels_path is None else Path(labels_path),
        mesh=None if mesh_path is None else Path(mesh_path),
        mesh_watertight=watertight,
        metrics=scores,
        measures=measured,
        crops=crops,
        turned=tuple(f"{view.source}: {view.turned}" for view in inputs if view.turned),
    )
