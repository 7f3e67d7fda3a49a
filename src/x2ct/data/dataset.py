"""Torch Dataset over a prepared data folder (or the original X2CT layout).

A data folder holds ``<case>/ct_xray_data.h5`` per case (``x2ct.data.hdf5``) and the case lists
``train.txt`` / ``test.txt``. The original X2CT data (``ct``, ``xray1``, ``xray2`` and nothing
else) has the same layout and trains as is; its lists may live elsewhere (``list_path``).

Each item is a dict of float32 tensors, in the model frame:
- ``xray1``: (1, S, S) frontal view / 255 (rows D, columns W)
- ``xray2``: (1, S, S) lateral view / 255 (rows D, columns H)
- ``ct``: (1, S, S, S) target clip(ct, 0, 2500) / 2500, axes (D, H, W)
- ``labels`` (with ``labels=True``): (S, S, S) uint8 vertebra labels (common ids, 0 = background;
  all 0 for a case without a mask), resized with nearest-exact
- ``index`` (int) and ``case`` (str)
with S = ``model.input_size``; the views are X x X with X = ``view_size`` (default S). Volumes
and images of another size are resized with (tri)linear interpolation (align_corners=False, so a
factor-2 reduction averages 2^k neighbours).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from x2ct.data.hdf5 import REQUIRED, case_path, open_case, read_case, read_case_list
from x2ct.errors import InputError, MissingFileError
from x2ct.scaling import stored_to_target
from x2ct.xray.perturb import move_volume, random_perturbations_with_geometry

ASPECT_TOLERANCE = 0.02
"""Relative mismatch allowed between an X-ray's aspect ratio and the CT faces it projects."""


@dataclass(frozen=True)
class Augmentation:
    """Random changes applied to a training case (all off = the paper's pipeline).

    Attributes:
        flip: probability of mirroring left-right: the CT along W and xray1 along its columns.
            xray2 (a projection along W) is unchanged, exactly so for parallel beams and to first
            order for cone beams.
        intensity: maximum relative gain and offset added to each X-ray in [0, 1] units.
        views: probability of each perturbation of ``x2ct.xray.perturb`` (gamma, window,
            noise, sharpening, blur, collimation, marker, rotation, magnification) per view,
            at a random strength: what varies between real radiographs.
        move_truth: move the CT and the labels as the views' rotation and magnification imply
            (``x2ct.xray.perturb.move_volume``), so that the target still matches the views;
            False keeps the truth where it was (the network learns to undo the change).
    """

    flip: float = 0.0
    intensity: float = 0.0
    views: float = 0.0
    move_truth: bool = False


def split_cases(root: str | Path, split: str, list_path: str | Path | None = None) -> list[str]:
    """Case names of ``split`` ('train' or 'test') from ``<root>/<split>.txt`` or ``list_path``."""
    path = Path(list_path) if list_path is not None else Path(root) / f"{split}.txt"
    if not path.is_file():
        raise MissingFileError(path, f"the {split} case list {split}.txt (one case name a line)")
    names = read_case_list(path)
    if not names:
        raise InputError(path, f"at least one case name in the {split} list", "an empty list")
    return names


def check_case(path: Path) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Check a case file's datasets and shapes from its metadata (no voxel data is read).

    Returns:
        The shapes of ct (D, H, W), xray1 and xray2.

    Raises:
        MissingFileError / InputError (one line) for a missing or unusable file.
    """
    with open_case(path) as handle:
        shapes = {}
        for name in REQUIRED:
            item = handle[name]
            if not isinstance(item, h5py.Dataset) or item.dtype.kind not in "uif":
                raise InputError(path, f"'{name}' as a numeric dataset", f"{item!r}")
            shapes[name] = tuple(int(n) for n in item.shape)
    ct, xray1, xray2 = shapes["ct"], shapes["xray1"], shapes["xray2"]
    if len(ct) != 3 or min(ct) < 2:
        raise InputError(path, "ct as a (D, H, W) volume with every side >= 2", f"shape {ct}")
    for name, image, faces, labels in (
        ("xray1", xray1, (ct[0], ct[2]), "(D, W)"),
        ("xray2", xray2, (ct[0], ct[1]), "(D, H)"),
    ):
        if len(image) != 2 or min(image) < 2:
            raise InputError(path, f"{name} as a 2D image with every side >= 2", f"shape {image}")
        ratio = (image[0] / image[1]) / (faces[0] / faces[1])
        if abs(ratio - 1.0) > ASPECT_TOLERANCE:
            raise InputError(
                path,
                f"{name} with the aspect ratio of the ct's {labels} face {faces} (it is its "
                "projection; both are resized to the preset's cube)",
                f"shape {image}",
            )
    return ct, xray1, xray2


def labels_on_grid(mask: np.ndarray | None, size: int, shape: tuple[int, ...]) -> torch.Tensor:
    """(D, H, W) vertebra labels -> (size, size, size) uint8 (nearest-exact, pixel centres
    aligned); a missing mask gives zeros."""
    if mask is None:
        return torch.zeros((size,) * 3, dtype=torch.uint8)
    if mask.shape != tuple(shape):
        raise InputError(None, f"a mask of the ct's shape {tuple(shape)}", f"{mask.shape}")
    tensor = torch.from_numpy(np.asarray(mask, dtype=np.uint8))
    if tuple(tensor.shape) != (size,) * 3:
        tensor = F.interpolate(tensor[None, None].float(), size=(size,) * 3, mode="nearest-exact")
        tensor = tensor[0, 0].to(torch.uint8)
    return tensor.contiguous()


def move_target_with_views(
    item: dict[str, Any], frontal: tuple[float, float], lateral: tuple[float, float]
) -> None:
    """Move ``item``'s (1, S, S, S) ct (trilinear) and (S, S, S) labels (nearest) in place as
    the frontal and lateral views' (angle in degrees, zoom) imply."""
    item["ct"] = move_volume(item["ct"][0], frontal, lateral)[None].contiguous()
    if "labels" in item:
        labels = item["labels"].float()
        moved = move_volume(labels, frontal, lateral, mode="nearest")
        item["labels"] = moved.round().to(item["labels"].dtype).contiguous()


class CaseDataset(Dataset):
    """Cases of one split, resized to an S^3 cube; see the module docstring for the items.

    An item is requested by ``index`` or by ``(index, epoch)``; the epoch (with the seed and the
    index) seeds the augmentation, so augmented samples are a pure function of where they occur
    in training, independent of worker processes and exactly repeatable on resume.
    """

    def __init__(
        self,
        root: str | Path,
        cases: list[str],
        size: int,
        augmentation: Augmentation | None = None,
        seed: int = 0,
        cache: bool = False,
        check: bool = True,
        labels: bool = False,
        view_size: int | None = None,
    ) -> None:
        """Index ``cases`` under ``root``; with ``check`` every file is validated now (metadata)."""
        if size < 2:
            raise InputError("model.input_size", "at least 2", str(size))
        self.root = Path(root)
        self.cases = list(cases)
        self.paths = [case_path(self.root, name) for name in self.cases]
        self.size = size
        self.view_size = view_size or size
        self.labels = labels
        self.augmentation = augmentation or Augmentation()
        self.seed = seed
        self.cache: dict[int, dict[str, torch.Tensor]] | None = {} if cache else None
        if check:
            for path in self.paths:
                check_case(path)

    @classmethod
    def from_folder(
        cls,
        root: str | Path,
        split: str,
        size: int,
        list_path: str | Path | None = None,
        max_cases: int | None = None,
        **kwargs: Any,
    ) -> CaseDataset:
        """The cases of ``<root>/<split>.txt`` (or ``list_path``), at most ``max_cases`` of them."""
        root = Path(root)
        if not root.is_dir():
            raise MissingFileError(root, "a data folder (case folders + train.txt / test.txt)")
        names = split_cases(root, split, list_path)
        if max_cases is not None:
            names = names[:max_cases]
        return cls(root, names, size, **kwargs)

    def __len__(self) -> int:
        return len(self.cases)

    def _load(self, index: int) -> dict[str, torch.Tensor]:
        if self.cache is not None and index in self.cache:
            return self.cache[index]
        data = read_case(self.paths[index], load_mask=self.labels)
        size, view = self.size, self.view_size
        ct = torch.from_numpy(stored_to_target(data.ct))[None, None]
        if tuple(ct.shape[2:]) != (size, size, size):
            ct = F.interpolate(ct, size=(size,) * 3, mode="trilinear", align_corners=False)
        images = []
        for image in (data.xray1, data.xray2):
            x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)[None, None]
            if tuple(x.shape[2:]) != (view, view):
                x = F.interpolate(x, size=(view, view), mode="bilinear", align_corners=False)
            images.append(x[0].contiguous())
        item = {"ct": ct[0].contiguous(), "xray1": images[0], "xray2": images[1]}
        if self.labels:
            item["labels"] = labels_on_grid(data.mask, size, data.ct.shape)
        if self.cache is not None:
            self.cache[index] = item
        return item

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        index, epoch = (key, 0) if isinstance(key, int) else (int(key[0]), int(key[1]))
        item = dict(self._load(index))
        aug = self.augmentation
        if aug.flip > 0 or aug.intensity > 0 or aug.views > 0:
            rng = np.random.default_rng([self.seed, epoch, index])
            if rng.random() < aug.flip:
                item["ct"] = item["ct"].flip(-1)
                item["xray1"] = item["xray1"].flip(-1)
                if "labels" in item:
                    item["labels"] = item["labels"].flip(-1)
            if aug.intensity > 0:
                for name in ("xray1", "xray2"):
                    gain, offset = (float(v) for v in rng.uniform(-1, 1, size=2) * aug.intensity)
                    item[name] = (item[name] * (1.0 + gain) + offset).clamp(0.0, 1.0)
            if aug.views > 0:
                geometry = []
                for name in ("xray1", "xray2"):
                    image, placed = random_perturbations_with_geometry(
                        item[name][0], aug.views, rng
                    )
                    item[name] = image[None]
                    geometry.append(placed)
                if aug.move_truth and geometry != [(0.0, 1.0), (0.0, 1.0)]:
                    move_target_with_views(item, *geometry)
        item["index"] = index
        item["case"] = self.cases[index]
        return item
