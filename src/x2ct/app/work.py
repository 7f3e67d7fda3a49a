"""One request of the page: check the two uploads, reconstruct in a temporary folder, read back.

Nothing here knows gradio, so the same steps run in tests without a server. The reconstruction is
``x2ct.inference.reconstruct.reconstruct``, called as ``x2ct reconstruct --mesh --measure``
calls it; this module only checks the files first (so that a bad upload gets one clear line) and
loads what the call wrote for display.
"""

from __future__ import annotations

import contextlib
import csv
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from x2ct.errors import InputError

MAX_UPLOAD_MB = 50.0
"""Largest radiograph accepted (a 43 x 43 cm 16-bit DR image is about 20 MB)."""
MAX_PIXELS = 80_000_000
"""Largest image accepted, in pixels (before decoding a compressed file fills the memory)."""
VOLUME_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd", ".npy", ".npz", ".h5")
"""File names of 3D volumes: a CT uploaded where a radiograph belongs."""
VOLUME_MODALITIES = {"CT", "MR", "PT", "NM", "US"}
"""DICOM modalities whose images are slices of a volume, not projection radiographs."""
MEASURE_COLUMNS = {
    "level": "level",
    "height_anterior_mm": "anterior height (mm)",
    "height_middle_mm": "middle height (mm)",
    "height_posterior_mm": "posterior height (mm)",
    "wedge_angle_deg": "wedge (deg)",
    "height_loss": "height loss (%)",
    "genant_grade": "Genant grade",
    "deformity_type": "deformity",
    "notes": "notes",
}
"""measures.csv column -> the page's table header, in the page's order."""


@dataclass(frozen=True)
class Outcome:
    """What one reconstruction gave, loaded for display.

    Attributes:
        hu: (D, H, W) float32 CT in HU; axes superior->inferior, anterior->posterior,
            right->left (the model frame), voxels of ``voxel_mm`` mm.
        labels: (D, H, W) int16 vertebra levels (common ids, 0 background) or None.
        truth_hu: the example's truth on the same grid (HU) or None.
        affine: (4, 4) voxel -> RAS mm of ``hu``.
        files: downloads (volume, labels, STL, measures CSV, metrics), in the request folder.
        figure: reconstruction.png; measures_figure: measures/measures.png or None.
        measures: rows of the measures table (header -> text), one per vertebra.
        summary: the measures' summary lines (Cobb, lordosis, fractures).
        metrics: scores against the truth (metrics.json) or None.
        notes: warnings for the page (a step that could not be done, and why).
        seconds: wall time of the reconstruction call(s).
    """

    hu: np.ndarray
    labels: np.ndarray | None
    truth_hu: np.ndarray | None
    affine: np.ndarray
    voxel_mm: float
    mesh: Path | None
    files: list[Path]
    figure: Path
    measures_figure: Path | None = None
    measures: list[dict[str, str]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    metrics: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextlib.contextmanager
def request_folder(root: str | Path | None = None) -> Iterator[Path]:
    """A new temporary folder for one request (under ``root`` if given), removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="request-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def short(message: str, paths: list[Path | str | None]) -> str:
    """``message`` with each upload's full (temporary) path replaced by its file name."""
    for path in paths:
        if path is not None:
            message = message.replace(str(path), Path(path).name)
    return message


def _nifti_shape(path: Path) -> str:
    try:
        import nibabel as nib

        return "shape " + " x ".join(str(n) for n in nib.load(str(path)).shape)
    except Exception:  # only decorates the message: an unreadable header says less
        return "a volume file"


def check_radiograph(path: str | Path | None, role: str):
    """Read one upload as a radiograph, or raise InputError with one clear line.

    ``role`` names the view ('frontal', 'lateral'). Returns the ``x2ct.io.Radiograph``.
    Rejected: no file, an empty or too large file, a 3D volume (by name, or a DICOM slice of a
    CT / MR), an image of more than ``MAX_PIXELS`` pixels, and anything the reader cannot read.
    """
    from PIL import Image

    from x2ct.io import read_radiograph

    if path is None or str(path) == "":
        raise InputError(
            f"{role} view", "a radiograph file (or an example pair)", "no file: add both views"
        )
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(f"{role} view", "an uploaded file", "nothing (the upload was lost)")
    size_mb = path.stat().st_size / 1e6
    if size_mb > MAX_UPLOAD_MB:
        raise InputError(name, f"a radiograph of at most {MAX_UPLOAD_MB:g} MB", f"{size_mb:.0f} MB")
    if name.lower().endswith(VOLUME_SUFFIXES):
        found = _nifti_shape(path) if ".nii" in name.lower() else "a volume file"
        raise InputError(
            name,
            f"a 2D {role} radiograph (PNG, JPEG, TIFF or DICOM)",
            f"a 3D volume ({found}); x2ct drr renders radiographs from a CT",
        )
    try:
        with Image.open(path) as image:
            pixels = image.size[0] * image.size[1]
    except Exception:  # not a bitmap: DICOM or junk, which the reader judges below
        pixels = 0
    if pixels > MAX_PIXELS:
        raise InputError(name, f"at most {MAX_PIXELS / 1e6:.0f} megapixels", f"{pixels / 1e6:.0f}")
    try:
        radiograph = read_radiograph(path)
    except (InputError, FileNotFoundError):
        raise
    except Exception as exc:  # any decoder failure is a bad file, never a server error
        raise InputError(
            name, "a readable PNG, JPEG, TIFF or DICOM radiograph", type(exc).__name__
        ) from None
    modality = radiograph.metadata.get("modality", "").upper()
    if modality in VOLUME_MODALITIES:
        raise InputError(
            name,
            "a projection radiograph (DICOM CR, DX or DR)",
            f"a {modality} slice, part of a 3D volume",
        )
    return radiograph


def reconstruct_request(
    frontal: str | Path,
    lateral: str | Path,
    folder: Path,
    *,
    model: str = "default",
    truth: str | Path | None = None,
) -> Outcome:
    """Reconstruct a checked pair into ``folder`` and load the result (see ``Outcome``).

    Calls ``reconstruct(..., mesh=True, measure=True)``. When that stops after writing the
    volume (no bone surface, or nothing that can be measured), the volume is still shown: the
    call is repeated without the step that failed and the reason becomes a note.
    """
    from x2ct.inference.reconstruct import load_truth, reconstruct
    from x2ct.io import read_volume
    from x2ct.scaling import target_to_hu

    out = folder / "out"
    notes: list[str] = []
    started = time.perf_counter()
    options = {"model": model, "truth": truth}
    try:
        result = reconstruct(frontal, lateral, out, mesh=True, measure=True, **options)
    except InputError as exc:
        if not (out / "volume.nii.gz").is_file():
            raise  # the radiographs or the model, not a later step
        notes.append(f"shown without surface or measures: {exc}")
        result = reconstruct(frontal, lateral, out, mesh=False, measure=False, **options)
    seconds = time.perf_counter() - started
    volume = read_volume(result.volume)
    labels = None
    if result.labels is not None:
        labels = np.rint(read_volume(result.labels).array).astype(np.int16)
    truth_hu = None
    if truth is not None:
        truth_hu = target_to_hu(load_truth(Path(truth), volume.array.shape[0]))
    files = [result.volume, result.labels, result.mesh]
    measures, summary, measures_figure = [], [], None
    if result.measures is not None:
        summary = list(result.measures.summary)
        table = result.measures.paths.get("csv")
        measures = read_measures(table) if table is not None else []
        files.append(table)
        measures_figure = result.measures.paths.get("figure")
    if result.metrics is not None:
        files.append(out / "metrics.json")
    if result.mesh_watertight is False:
        notes.append("the bone surface is not watertight")
    return Outcome(
        hu=volume.array.astype(np.float32),
        labels=labels,
        truth_hu=truth_hu,
        affine=volume.affine,
        voxel_mm=result.voxel_mm,
        mesh=result.mesh,
        files=[Path(f) for f in files if f is not None and Path(f).is_file()],
        figure=result.figure,
        measures_figure=measures_figure,
        measures=measures,
        summary=summary,
        metrics=result.metrics,
        notes=notes,
        seconds=seconds,
    )


def read_measures(path: str | Path) -> list[dict[str, str]]:
    """Rows of measures.csv with the page's columns (``MEASURE_COLUMNS``), numbers rounded."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            row = {}
            for key, header in MEASURE_COLUMNS.items():
                value = record.get(key, "")
                if key == "height_loss" and value:
                    value = f"{100 * float(value):.0f}"
                elif key == "genant_grade" and value:
                    value = f"{float(value):.0f}"
                elif key.endswith(("_mm", "_deg")) and value:
                    value = f"{float(value):.1f}"
                row[header] = value
            rows.append(row)
    return rows
