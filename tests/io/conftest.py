"""Writers of small DICOM files for the I/O tests (pydicom)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation


def _base(sop_class: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientID = "TEST"
    ds.StudyInstanceUID = generate_uid()
    return ds


def write_ct_series(
    folder: Path,
    hu: np.ndarray,
    pixel_spacing: tuple[float, float] = (0.8, 0.7),
    slice_step: float = 2.5,
    orientation: tuple[float, ...] = (1, 0, 0, 0, 1, 0),
    origin: tuple[float, float, float] = (-50.0, -40.0, 100.0),
    series_uid: str | None = None,
    skip: tuple[int, ...] = (),
) -> Path:
    """Write ``hu`` (slices, rows, cols) as a CT series in LPS DICOM patient coordinates.

    Slice k sits at origin + k * slice_step * normal, normal = row x column direction cosines.
    Slices listed in ``skip`` are not written (to make a gap).
    """
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    row_dir = np.array(orientation[:3], float)
    col_dir = np.array(orientation[3:], float)
    normal = np.cross(row_dir, col_dir)
    for k, plane in enumerate(hu):
        if k in skip:
            continue
        ds = _base(CTImageStorage)
        ds.Modality = "CT"
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = "1.2.3"
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [float(v) for v in np.array(origin) + k * slice_step * normal]
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.PixelSpacing = [pixel_spacing[0], pixel_spacing[1]]
        ds.SliceThickness = slice_step
        ds.Rows, ds.Columns = plane.shape
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.RescaleSlope = 1
        ds.RescaleIntercept = -1024
        ds.PixelData = (plane + 1024).astype(np.uint16).tobytes()
        ds.save_as(folder / f"slice_{k:03d}.dcm", enforce_file_format=True)
    return folder


def write_radiograph(
    path: Path,
    image: np.ndarray,
    photometric: str = "MONOCHROME2",
    bits: int = 12,
    frames: int = 1,
    slope: float = 1.0,
    intercept: float = 0.0,
    spacing_keyword: str | None = "ImagerPixelSpacing",
    spacing: tuple[float, float] = (0.143, 0.143),
) -> Path:
    """Write a DX radiograph (uint16 stored values) with pydicom."""
    ds = _base(DX_STORAGE)
    ds.Modality = "DX"
    ds.SeriesInstanceUID = generate_uid()
    ds.ViewPosition = "PA"
    ds.Rows, ds.Columns = image.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    if spacing_keyword:
        setattr(ds, spacing_keyword, list(spacing))
    data = np.asarray(image, np.uint16)
    if frames > 1:
        ds.NumberOfFrames = frames
        data = np.stack([data] * frames)
    ds.PixelData = data.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def ct_series_writer():
    """The CT series writer function."""
    return write_ct_series


@pytest.fixture
def radiograph_writer():
    """The DX radiograph writer function."""
    return write_radiograph
