"""One HDF5 file per case, X2CT-compatible plus extras (DECIDED in DESIGN.md).

``<out>/<case>/ct_xray_data.h5``:
- ``ct``: (D, H, W) float32, HU + 1024 clipped at 0 (the original code's convention)
- ``xray1``, ``xray2``: (S, S) uint8, preprocessed frontal / lateral radiographs
- ``mask`` (optional): (D, H, W) uint8 vertebra labels on the same grid, 0 = background
- attributes: ``spacing_mm`` (3,), ``affine`` (4, 4) of the cube in patient space (RAS mm),
  ``crop_box`` (3, 2) voxel bounds in the source CT, ``x2ct_version``, and JSON-encoded
  ``source``, ``prepare``, ``drr``, ``xray`` (settings and provenance).
Files are written atomically, so an existing file is always complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from x2ct.atomic import atomic_path
from x2ct.errors import InputError, MissingFileError
from x2ct.scaling import HU_OFFSET
from x2ct.volume import Volume

CASE_FILE = "ct_xray_data.h5"
REQUIRED = ("ct", "xray1", "xray2")
JSON_ATTRS = ("source", "prepare", "drr", "xray")


@dataclass(eq=False)
class CaseData:
    """The content of one case file.

    Attributes:
        ct: (D, H, W) float32, HU + 1024 clipped at 0.
        xray1: (S, S) uint8 frontal view (rows D, columns W, patient right on the left).
        xray2: (S, S) uint8 lateral view (rows D, columns H, anterior on the left).
        mask: (D, H, W) uint8 vertebra labels or None.
        attrs: attributes (numbers, arrays, and dicts for the JSON ones).
    """

    ct: np.ndarray
    xray1: np.ndarray
    xray2: np.ndarray
    mask: np.ndarray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def spacing_mm(self) -> tuple[float, float, float] | None:
        """Voxel size (D, H, W) in mm when the file records it."""
        value = self.attrs.get("spacing_mm")
        return None if value is None else tuple(float(v) for v in value)

    @property
    def affine(self) -> np.ndarray | None:
        """(4, 4) voxel -> RAS mm of the cube, when recorded."""
        value = self.attrs.get("affine")
        return None if value is None else np.asarray(value, dtype=np.float64)


def case_path(root: str | Path, case: str) -> Path:
    """Path of a case's HDF5 file under a prepared data folder."""
    return Path(root) / case / CASE_FILE


def write_case(path: str | Path, data: CaseData) -> Path:
    """Write a case file atomically (gzip-compressed datasets)."""
    if data.ct.ndim != 3:
        raise InputError(path, "ct of shape (D, H, W)", f"shape {data.ct.shape}")
    for name in ("xray1", "xray2"):
        image = getattr(data, name)
        if image.ndim != 2 or image.dtype != np.uint8:
            raise InputError(path, f"{name} as a 2D uint8 image", f"{image.dtype} {image.shape}")
    if data.mask is not None and data.mask.shape != data.ct.shape:
        raise InputError(path, f"mask of the ct shape {data.ct.shape}", f"{data.mask.shape}")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        handle.create_dataset("ct", data=data.ct.astype(np.float32), **options)
        handle.create_dataset("xray1", data=data.xray1, **options)
        handle.create_dataset("xray2", data=data.xray2, **options)
        if data.mask is not None:
            handle.create_dataset("mask", data=data.mask.astype(np.uint8), **options)
        for key, value in data.attrs.items():
            if value is None:
                continue
            handle.attrs[key] = json.dumps(value) if key in JSON_ATTRS else value
    return Path(path)


def _decode(key: str, value: Any) -> Any:
    if key in JSON_ATTRS and isinstance(value, str | bytes):
        return json.loads(value)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def open_case(path: Path) -> h5py.File:
    """Open a case file for reading after checking that it exists and holds ct, xray1, xray2.

    Raises MissingFileError or InputError (one line, naming the file); use as a context manager.
    """
    if not path.is_file():
        raise MissingFileError(path, f"a case file {CASE_FILE}")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(path, "a readable HDF5 file", f"a corrupt file ({exc})") from None
    missing = [name for name in REQUIRED if name not in handle]
    if missing:
        found = ", ".join(sorted(handle.keys())) or "no datasets"
        handle.close()
        raise InputError(
            path, f"datasets {', '.join(REQUIRED)}", f"{found} (missing {', '.join(missing)})"
        )
    return handle


def read_case(path: str | Path, load_mask: bool = True, load_ct: bool = True) -> CaseData:
    """Read a case file; raises one-line errors for a missing/corrupt file or missing datasets."""
    path = Path(path)
    with open_case(path) as handle:
        ct = handle["ct"][()].astype(np.float32) if load_ct else np.empty((0, 0, 0), np.float32)
        xray1, xray2 = handle["xray1"][()], handle["xray2"][()]
        mask = handle["mask"][()] if load_mask and "mask" in handle else None
        attrs = {key: _decode(key, value) for key, value in handle.attrs.items()}
    for name, image in (("xray1", xray1), ("xray2", xray2)):
        if image.ndim != 2:
            raise InputError(path, f"{name} as a 2D image", f"shape {image.shape}")
    if load_ct and ct.ndim != 3:
        raise InputError(path, "ct as a 3D volume", f"shape {ct.shape}")
    return CaseData(ct, np.asarray(xray1), np.asarray(xray2), mask, attrs)


def read_case_list(path: str | Path) -> list[str]:
    """Case names from train.txt / test.txt (one per line; blank lines and # comments ignored)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "a case list (train.txt / test.txt)")
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def case_volume(path: str | Path, *, labels: bool = False) -> Volume:
    """A prepared case as a Volume on its cube: the CT in HU, or with ``labels`` its vertebra
    mask (common ids, float32), with the cube's affine (voxel -> RAS mm).

    Raises InputError when the file has no affine (or, with ``labels``, no mask).
    """
    case = read_case(path, load_mask=labels)
    if case.affine is None:
        raise InputError(path, "an HDF5 cube with an 'affine' attribute", "none")
    if labels:
        if case.mask is None:
            raise InputError(path, "an HDF5 cube with a 'mask' dataset", "none")
        return Volume(case.mask.astype(np.float32), case.affine, str(path))
    return Volume(case.ct - HU_OFFSET, case.affine, str(path))
