"""Plain radiographs: PNG / JPEG / TIFF (8 or 16 bit, grey or colour) and DICOM CR / DX / DR.

Whatever the source, the result is a single-frame float32 image in which bone is bright, as on a
radiograph read on a light box: DICOM MONOCHROME1 (where bright means *low* values) or an
INVERSE presentation LUT is inverted, and the modality rescale (slope, intercept) is applied
first. The pixel size is that of the detector plane (Imager Pixel Spacing, or Pixel Spacing
times the Estimated Radiographic Magnification Factor when the file gives one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from x2ct.errors import InputError, MissingFileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima", "")


@dataclass(eq=False)
class Radiograph:
    """A 2D radiograph.

    Attributes:
        image: (rows, cols) float32, bone bright; units are those of the source (8/16-bit grey
            levels or DICOM rescaled values), not normalised.
        pixel_spacing_mm: (row spacing, column spacing) in mm when the file states it, else None.
        source: file name.
        metadata: small dict of what the file said (modality, view position, photometric).
    """

    image: np.ndarray
    pixel_spacing_mm: tuple[float, float] | None = None
    source: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def _check_image(image: np.ndarray, path: Path) -> np.ndarray:
    if image.ndim != 2 or min(image.shape) < 2:
        raise InputError(path, "a single 2D image", f"array of shape {image.shape}")
    image = image.astype(np.float32)
    if not np.all(np.isfinite(image)):
        raise InputError(path, "finite pixel values", "NaN or inf pixels")
    return image


def _read_bitmap(path: Path) -> Radiograph:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            frames = getattr(im, "n_frames", 1)
            if frames > 1:
                raise InputError(path, "a single-frame image", f"{frames} frames")
            im.load()
            mode = im.mode
            if mode in ("RGB", "RGBA", "P", "LA", "CMYK", "YCbCr", "1"):
                im = im.convert("L")
            elif mode == "I;16B":
                im = im.convert("I")
            image = np.asarray(im)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise InputError(
            path, "a readable PNG/JPEG/TIFF image", f"an unreadable file ({exc})"
        ) from None
    return Radiograph(_check_image(image, path), None, str(path), {"mode": mode})


def _pair(ds, keyword: str) -> tuple[float, float] | None:
    value = getattr(ds, keyword, None)
    if value is None or len(value) != 2:
        return None
    pair = (float(value[0]), float(value[1]))
    return pair if all(v > 0 for v in pair) else None


def _spacing(ds) -> tuple[tuple[float, float] | None, str]:
    """Pixel size on the detector plane (row, col) mm and where it came from.

    Imager Pixel Spacing (0018,1164) is at the detector: taken as is. Pixel Spacing (0028,0030)
    of a projection radiograph may be calibrated to the patient; with an Estimated Radiographic
    Magnification Factor (0018,1114) it is multiplied back to the detector plane, else it is
    taken as the detector's (as CR systems write it).
    """
    imager = _pair(ds, "ImagerPixelSpacing")
    if imager is not None:
        return imager, "ImagerPixelSpacing"
    pixel = _pair(ds, "PixelSpacing")
    if pixel is None:
        return None, "none"
    factor = getattr(ds, "EstimatedRadiographicMagnificationFactor", None)
    if factor is not None and float(factor) > 0:
        return (pixel[0] * float(factor), pixel[1] * float(factor)), "PixelSpacing x magnification"
    return pixel, "PixelSpacing"


def _patient_orientation(ds) -> str:
    """Patient Orientation (0020,0020) as 'ROWS\\COLUMNS' (e.g. 'L\\F'), or '' when absent."""
    value = getattr(ds, "PatientOrientation", None)
    if value is None or value == "":
        return ""
    parts = [str(v) for v in value] if not isinstance(value, str) else [value]
    return "\\".join(parts)


def _read_dicom(path: Path) -> Radiograph:
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut

    try:
        ds = pydicom.dcmread(str(path))
    except (InvalidDicomError, OSError, EOFError) as exc:
        raise InputError(path, "a readable DICOM file", f"an unreadable file ({exc})") from None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames > 1:
        raise InputError(
            path, "a single-frame radiograph (CR/DX/DR)", f"a multi-frame image ({frames} frames)"
        )
    if "PixelData" not in ds:
        raise InputError(path, "a DICOM image", "no pixel data")
    try:
        stored = ds.pixel_array
    except Exception as exc:  # pydicom raises many types for unsupported or damaged pixel data
        raise InputError(
            path, "decodable DICOM pixel data", f"{type(exc).__name__}: {exc}"
        ) from None
    if stored.ndim == 3 and stored.shape[-1] in (3, 4):
        stored = stored[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    image = _check_image(np.asarray(apply_modality_lut(stored, ds), dtype=np.float64), path)
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    inverse = str(getattr(ds, "PresentationLUTShape", "IDENTITY")).upper() == "INVERSE"
    if (photometric == "MONOCHROME1") != inverse:
        # Low values are bright in MONOCHROME1 (or MONOCHROME2 with an INVERSE presentation
        # LUT; the two together cancel): mirror within the representable range so that the
        # output keeps the file's scale with bone bright.
        bits = int(getattr(ds, "BitsStored", 16) or 16)
        signed = int(getattr(ds, "PixelRepresentation", 0) or 0) == 1
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        bounds = apply_modality_lut(np.array([lo, hi]), ds).astype(np.float64)
        image = (bounds.min() + bounds.max() - image).astype(np.float32)
    spacing, spacing_source = _spacing(ds)
    metadata = {
        "modality": str(getattr(ds, "Modality", "")),
        "view_position": str(getattr(ds, "ViewPosition", "")),
        "patient_orientation": _patient_orientation(ds),
        "photometric": photometric,
        "presentation_lut": "INVERSE" if inverse else "IDENTITY",
        "spacing_source": spacing_source,
    }
    return Radiograph(image, spacing, str(path), metadata)


def read_radiograph(path: str | Path) -> Radiograph:
    """Read one radiograph: PNG/JPEG/TIFF/BMP, or DICOM CR/DX/DR (by content, any suffix).

    Returns a Radiograph with ``image`` (rows, cols) float32 and bone bright. Raises
    MissingFileError for a missing file and InputError (one line) for an empty, unreadable or
    multi-frame file.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "a radiograph file")
    if path.stat().st_size == 0:
        raise InputError(path, "an image file", "an empty file (0 bytes)")
    with path.open("rb") as handle:
        head = handle.read(132)
    if head[128:132] == b"DICM" or path.suffix.lower() in (".dcm", ".dicom", ".ima"):
        return _read_dicom(path)
    return _read_bitmap(path)
