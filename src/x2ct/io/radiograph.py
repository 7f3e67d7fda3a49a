"""Plain radiographs: PNG / JPEG / TIFF (8 or 16 bit, grey or colour) and DICOM CR / DX / DR.

Whatever the source, the result is a single-frame float32 image in which bone is bright, as on a
radiograph read on a light box: DICOM MONOCHROME1 (where bright means *low* values) is inverted,
and the modality rescale (slope, intercept) is applied first.
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


def _spacing(ds) -> tuple[float, float] | None:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = getattr(ds, keyword, None)
        if value is not None and len(value) == 2:
            spacing = (float(value[0]), float(value[1]))
            if all(s > 0 for s in spacing):
                return spacing
    return None


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
    if photometric == "MONOCHROME1":
        # Low values are bright in MONOCHROME1: mirror within the representable range so that
        # the output keeps the file's scale with bone bright.
        bits = int(getattr(ds, "BitsStored", 16) or 16)
        signed = int(getattr(ds, "PixelRepresentation", 0) or 0) == 1
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        bounds = apply_modality_lut(np.array([lo, hi]), ds).astype(np.float64)
        image = (bounds.min() + bounds.max() - image).astype(np.float32)
    metadata = {
        "modality": str(getattr(ds, "Modality", "")),
        "view_position": str(getattr(ds, "ViewPosition", "")),
        "photometric": photometric,
    }
    return Radiograph(image, _spacing(ds), str(path), metadata)


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
