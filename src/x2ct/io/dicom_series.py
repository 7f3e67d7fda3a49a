"""DICOM CT series (a folder of single-frame slices) read with SimpleITK/GDCM.

Before reading pixels the folder is checked: exactly one series, one orientation and matrix size,
and evenly spaced slice positions (a missing slice would silently stretch anatomy otherwise).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from x2ct.errors import InputError
from x2ct.io.orientation import reorient
from x2ct.volume import Volume, check_affine

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
GAP_TOLERANCE = 0.1
"""A slice step that differs from the median step by more than this fraction is a gap."""

sitk.ProcessObject_SetGlobalWarningDisplay(False)


def _header(path: str) -> sitk.ImageFileReader:
    reader = sitk.ImageFileReader()
    reader.SetFileName(path)
    reader.LoadPrivateTagsOff()
    reader.ReadImageInformation()
    return reader


def _tag_floats(reader: sitk.ImageFileReader, tag: str, path: str, folder: Path) -> np.ndarray:
    if not reader.HasMetaDataKey(tag):
        raise InputError(folder, f"DICOM tag {tag} in every slice", f"none in {Path(path).name}")
    return np.array([float(v) for v in reader.GetMetaData(tag).split("\\")])


def check_series(folder: Path, files: list[str]) -> None:
    """Raise InputError when the slices of one series are inconsistent or have gaps."""
    orientations, positions, sizes = [], [], set()
    for name in files:
        reader = _header(name)
        orientations.append(_tag_floats(reader, "0020|0037", name, folder))
        positions.append(_tag_floats(reader, "0020|0032", name, folder))
        sizes.add(tuple(reader.GetSize()[:2]))
    if len(sizes) > 1:
        raise InputError(folder, "one matrix size in the series", f"sizes {sorted(sizes)}")
    orientation = orientations[0]
    if any(np.abs(o - orientation).max() > 1e-3 for o in orientations):
        raise InputError(folder, "one slice orientation in the series", "several orientations")
    normal = np.cross(orientation[:3], orientation[3:])
    depth = np.sort(np.array(positions) @ normal)
    if len(depth) < 2:
        return
    steps = np.diff(depth)
    if np.any(steps < 1e-3):
        raise InputError(folder, "one slice per position", "duplicate slice positions")
    step = float(np.median(steps))
    worst = int(np.argmax(np.abs(steps - step)))
    if abs(steps[worst] - step) > GAP_TOLERANCE * step + 1e-3:
        missing = round(steps[worst] / step) - 1
        raise InputError(
            folder,
            f"evenly spaced slices (step {step:.3g} mm)",
            f"a gap of {steps[worst]:.3g} mm after slice {worst + 1} of {len(depth)}"
            f" (about {max(missing, 1)} missing)",
        )


def image_to_volume(image: sitk.Image, source: Path) -> Volume:
    """Convert a 3D SimpleITK image (LPS geometry) into a model-frame Volume."""
    if image.GetDimension() != 3 or min(image.GetSize()) < 1:
        raise InputError(source, "a 3D volume", f"a {image.GetDimension()}D image")
    array = sitk.GetArrayFromImage(image)  # (z, y, x)
    if array.ndim == 4:
        raise InputError(source, "a single-channel volume", f"{array.shape[-1]} channels")
    array = np.transpose(array, (2, 1, 0))  # (x, y, z), the order of the ITK index
    direction = np.array(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    affine_lps = np.eye(4)
    affine_lps[:3, :3] = direction * np.array(image.GetSpacing())
    affine_lps[:3, 3] = image.GetOrigin()
    affine = check_affine(LPS_TO_RAS @ affine_lps, source)
    array, affine = reorient(array, affine)
    return Volume(array.astype(np.float32), affine, str(source))


def read_dicom_series(folder: Path) -> Volume:
    """Read the single DICOM series in ``folder`` into the model frame (HU via rescale tags)."""
    series = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder))
    if not series:
        raise InputError(folder, "a folder with a DICOM series or a NIfTI file", "no DICOM series")
    if len(series) > 1:
        counts = [
            f"{uid[-12:]} ({len(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), uid))} files)"
            for uid in series
        ]
        raise InputError(folder, "one DICOM series", f"{len(series)} series: {', '.join(counts)}")
    files = list(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), series[0]))
    if len(files) < 2:
        raise InputError(folder, "a 3D series (several slices)", f"{len(files)} slice")
    check_series(folder, files)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    try:
        image = reader.Execute()
    except RuntimeError as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise InputError(folder, "readable DICOM slices", message) from None
    return image_to_volume(image, folder)
