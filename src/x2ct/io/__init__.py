"""Reading and writing volumes (NIfTI, DICOM series) and radiographs (PNG/JPEG/TIFF, DICOM).

Public entry points (DECIDED in DESIGN.md): ``read_volume``, ``write_volume``,
``read_radiograph``; both readers return data in x2ct's conventions (model frame (I, P, L) for
volumes, bone bright for radiographs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from x2ct.errors import InputError, MissingFileError
from x2ct.io.radiograph import Radiograph, read_radiograph
from x2ct.volume import Volume

__all__ = ["Radiograph", "Volume", "read_radiograph", "read_volume", "write_volume"]


def read_volume(path: str | Path) -> Volume:
    """Read a NIfTI file (.nii, .nii.gz) or a DICOM series folder as a Volume in the model frame.

    Whatever the stored orientation, the returned ``array`` has axes (D, H, W) = (superior ->
    inferior, anterior -> posterior, right -> left) and ``affine`` maps those indices to RAS mm,
    so ``write_volume`` puts every voxel back at the same world position.

    Raises:
        MissingFileError: nothing at ``path``.
        InputError: corrupt file, not 3D, non-finite voxels, bad spacing or affine, or a DICOM
            folder with several series or missing slices. The message names the file.
    """
    from x2ct.io.nifti import is_nifti, read_nifti

    path = Path(path)
    if not path.exists():
        raise MissingFileError(path, "a NIfTI file or DICOM series folder")
    if path.is_dir():
        from x2ct.io.dicom_series import read_dicom_series

        return read_dicom_series(path)
    if path.stat().st_size == 0:
        raise InputError(path, "a NIfTI or DICOM file", "an empty file (0 bytes)")
    if is_nifti(path):
        return read_nifti(path)
    import SimpleITK as sitk

    from x2ct.io.dicom_series import image_to_volume

    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError:
        raise InputError(
            path, "a NIfTI file (.nii/.nii.gz) or a DICOM series folder", "an unsupported file"
        ) from None
    return image_to_volume(image, path)


def write_volume(volume: Volume, path: str | Path, dtype: np.dtype | type | None = None) -> Path:
    """Write ``volume`` as NIfTI (.nii or .nii.gz) in patient space, atomically.

    ``dtype``: storage type (default float32); integer types round the values.
    """
    from x2ct.io.nifti import is_nifti, write_nifti

    path = Path(path)
    if not is_nifti(path):
        raise InputError(
            path, "an output name ending in .nii or .nii.gz", f"suffix '{path.suffix}'"
        )
    return write_nifti(volume, path, dtype)
