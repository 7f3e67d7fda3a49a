"""NIfTI reading and writing (nibabel) for Volume."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np

from x2ct.atomic import atomic_path
from x2ct.errors import InputError
from x2ct.io.orientation import reorient
from x2ct.volume import MAX_SPACING_MM, Volume, check_affine

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def is_nifti(path: Path) -> bool:
    """True when the file name ends in .nii or .nii.gz."""
    name = path.name.lower()
    return name.endswith(NIFTI_SUFFIXES)


def _check_header_zooms(path: Path, image: nib.Nifti1Image) -> None:
    """Reject zero, negative or absurd voxel sizes stated in the raw header.

    nibabel silently replaces such pixdim values (abs, or 1 for 0) when it loads a header; when
    the affine comes from pixdim (no sform) that would hide a broken file, so read them raw.
    """
    header = image.header
    if int(header.get("sform_code", 0)) > 0:
        return
    with nib.openers.ImageOpener(str(path)) as handle:
        raw = type(header).from_fileobj(handle, check=False)
    zooms = [float(z) for z in raw["pixdim"][1:4]]
    if not all(0.0 < z <= MAX_SPACING_MM for z in zooms):
        shown = ", ".join(f"{z:g}" for z in zooms)
        raise InputError(path, f"voxel spacing in (0, {MAX_SPACING_MM:g}] mm", f"pixdim ({shown})")


def load_nifti(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(data, affine) of a 3D NIfTI file as stored: voxel order and dtype of the file.

    A 4D file whose extra axes have length 1 is squeezed; any other dimensionality, a corrupt
    file, bad spacing, a singular affine or non-finite voxels raise one-line InputErrors.
    """
    try:
        image = nib.load(str(path))
        data = np.asarray(image.dataobj)
    except (
        OSError,
        EOFError,
        zlib.error,
        gzip.BadGzipFile,
        nib.filebasedimages.ImageFileError,
    ) as exc:
        raise InputError(
            path, "a readable NIfTI file", f"a corrupt or truncated file ({exc})"
        ) from None
    except ValueError as exc:
        raise InputError(
            path, "a readable NIfTI file", f"an invalid header or data ({exc})"
        ) from None
    if isinstance(image, nib.Nifti1Image | nib.Nifti2Image):
        _check_header_zooms(path, image)
    if data.ndim > 3 and all(n == 1 for n in data.shape[3:]):
        data = data.reshape(data.shape[:3])
    if data.ndim != 3:
        raise InputError(path, "a 3D volume", f"{data.ndim}D data of shape {data.shape}")
    affine = check_affine(image.affine, path)
    if np.issubdtype(data.dtype, np.floating) and not np.all(np.isfinite(data)):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise InputError(path, "finite voxel values", f"{bad} NaN or inf voxels")
    return data, affine


def read_nifti(path: Path) -> Volume:
    """Read a 3D NIfTI file into the model frame as a float32 Volume (see ``load_nifti``)."""
    data, affine = load_nifti(path)
    array, affine = reorient(data, affine)
    return Volume(array.astype(np.float32), affine, str(path))


def read_nifti_labels(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ids, affine): a NIfTI label map in the model frame, integer dtype kept (ids >= 0).

    Keeping the stored type (usually uint8 / int16) avoids a float32 copy four times the size
    of the map; a float-valued file must hold whole numbers.
    """
    data, affine = load_nifti(path)
    if not np.issubdtype(data.dtype, np.integer):
        fractional = np.abs(data - np.rint(data)) > 1e-3
        if fractional.any():
            value = float(data[fractional][0])
            raise InputError(
                path, "an integer-valued label map", f"non-integer values such as {value:g}"
            )
        data = np.rint(data).astype(np.int32)
    if data.size and data.min() < 0:
        raise InputError(path, "label ids >= 0", f"negative values such as {int(data.min())}")
    return reorient(data, affine)


def write_nifti(volume: Volume, path: Path, dtype: np.dtype | type | None = None) -> Path:
    """Write a Volume to NIfTI (atomically), in the model-frame voxel order with its affine.

    The affine carries the patient-space position of every voxel, so viewers (3D Slicer, ITK-SNAP)
    show it in the right place. ``dtype`` defaults to float32; pass ``np.int16`` or ``np.uint8``
    for CTs and label maps to save space (values are rounded).
    """
    array = volume.array
    if dtype is not None and np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        array = np.clip(np.rint(array), info.min, info.max).astype(dtype)
    elif dtype is not None:
        array = array.astype(dtype)
    image = nib.Nifti1Image(array, volume.affine)
    image.header.set_xyzt_units("mm")
    image.set_qform(volume.affine, code=1)
    image.set_sform(volume.affine, code=1)
    with atomic_path(path) as tmp:
        nib.save(image, str(tmp))
    return Path(path)
