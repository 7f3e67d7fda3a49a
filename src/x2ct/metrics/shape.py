"""Bone-shape metrics: Dice, HD95 and ASSD (mm) of thresholded bone, globally and per vertebra.

Bone = voxels >= ``bone_hu`` in both the true CT and the prediction (default 200 HU: above
muscle, which reaches about 150 HU, and at the trabecular bone of a young adult's vertebra,
about 226 HU; cortical bone is about +1000 HU). Distances come from MONAI's surface metrics with
the voxel spacing in mm:
- Dice = 2 |P & T| / (|P| + |T|) (``monai.metrics.compute_dice``).
- HD95 = max of the two directed 95th percentiles of the distances between the surface voxels
  of P and T (``compute_hausdorff_distance(percentile=95)``).
- ASSD = mean of all surface distances P -> T and T -> P (``compute_average_surface_distance(
  symmetric=True)``).
Surfaces are the mask voxels removed by one binary erosion (MONAI's edges), so distances are
between voxel centres and carry a discretisation error of up to about one voxel.

Empty masks: no true bone -> all three NaN (nothing to find; such a case or vertebra is not
scored); true bone but no predicted bone -> Dice 0, HD95 and ASSD +inf, counted as "empty".

Per vertebra (with a label map, 0 = background): every voxel within ``margin_mm`` of a labelled
voxel is assigned to its nearest labelled vertebra (Euclidean distance in mm, from
``scipy.ndimage.distance_transform_edt`` with ``return_indices``), and the true and the predicted
bone are each split by that assignment. So predicted bone is scored against the true vertebra
nearest to it; bone farther than ``margin_mm`` from the spine (ribs, pelvis) counts only in the
global numbers. Summary: Dice-vert = mean Dice over scored vertebrae (empty predictions count
0); HD95-vert-mm and ASSD-vert-mm = means over vertebrae with a non-empty prediction;
vert-empty = how many had none.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from x2ct.config.evaluate import EvaluateConfig
from x2ct.errors import InputError
from x2ct.metrics.compat import check_pair

DEFAULT_BONE_HU = EvaluateConfig.bone_hu
DEFAULT_MARGIN_MM = EvaluateConfig.vertebra_margin_mm

SHAPE_KEYS: tuple[str, ...] = ("Dice", "HD95-mm", "ASSD-mm", "empty-prediction", "bone-HU")
"""Scalar keys of ``shape_metrics`` without a label map."""

VERTEBRA_KEYS: tuple[str, ...] = (
    "Dice-vert",
    "HD95-vert-mm",
    "ASSD-vert-mm",
    "vert-count",
    "vert-empty",
)
"""Scalar keys added when a label map is given (plus ``per_vertebra``, a nested dict)."""


def check_spacing(spacing_mm: Sequence[float]) -> list[float]:
    """Return the spacing as three Python floats (MONAI needs floats), or raise InputError."""
    values = [float(s) for s in np.asarray(spacing_mm, dtype=np.float64).ravel()]
    if len(values) != 3 or not all(math.isfinite(s) and s > 0 for s in values):
        raise InputError(
            "shape_metrics", "three positive spacings in mm (D, H, W)", f"{spacing_mm!r}"
        )
    return values


def surface_metrics(
    pred: np.ndarray, truth: np.ndarray, spacing_mm: Sequence[float]
) -> dict[str, float]:
    """Dice, HD95 (mm) and ASSD (mm) of two boolean (D, H, W) masks, with the empty-mask rules.

    Returns:
        {"Dice", "HD95-mm", "ASSD-mm"}: NaN for an empty ``truth``; 0, inf, inf for an empty
        ``pred`` with a non-empty ``truth``.
    """
    spacing = check_spacing(spacing_mm)
    pred = np.asarray(pred, dtype=bool)
    truth = np.asarray(truth, dtype=bool)
    if not truth.any():
        return {"Dice": math.nan, "HD95-mm": math.nan, "ASSD-mm": math.nan}
    if not pred.any():
        return {"Dice": 0.0, "HD95-mm": math.inf, "ASSD-mm": math.inf}
    # Crop to the union's bounding box plus one voxel so that surfaces at the box faces stay
    # surfaces; the metrics do not depend on empty space around the masks.
    nonzero = np.nonzero(pred | truth)
    box = tuple(slice(max(int(idx.min()) - 1, 0), int(idx.max()) + 2) for idx in nonzero)
    import torch
    from monai.metrics import (
        compute_average_surface_distance,
        compute_dice,
        compute_hausdorff_distance,
    )

    p = torch.from_numpy(np.ascontiguousarray(pred[box]))[None, None].float()
    t = torch.from_numpy(np.ascontiguousarray(truth[box]))[None, None].float()
    dice = compute_dice(p, t, include_background=True)
    with warnings.catch_warnings():
        # MONAI 1.6 passes its own deprecated argument to get_mask_edges internally.
        warnings.filterwarnings(
            "ignore", message=".*always_return_as_numpy", category=FutureWarning
        )
        hd95 = compute_hausdorff_distance(
            p, t, include_background=True, percentile=95, spacing=spacing
        )
        assd = compute_average_surface_distance(
            p, t, include_background=True, symmetric=True, spacing=spacing
        )
    return {
        "Dice": float(dice.item()),
        "HD95-mm": float(hd95.item()),
        "ASSD-mm": float(assd.item()),
    }


def vertebra_regions(
    labels: np.ndarray, spacing_mm: Sequence[float], margin_mm: float | None = DEFAULT_MARGIN_MM
) -> np.ndarray:
    """Assign each voxel to its nearest labelled vertebra.

    Args:
        labels: (D, H, W) integer vertebra ids, 0 = background.
        spacing_mm: voxel size (D, H, W) in mm; nearness is Euclidean in mm.
        margin_mm: voxels farther than this from every labelled voxel get 0; None = no limit.

    Returns:
        (D, H, W) int64 map of vertebra ids (labelled voxels keep their own id).
    """
    from scipy.ndimage import distance_transform_edt

    labels = np.asarray(labels)
    spacing = check_spacing(spacing_mm)
    background = labels == 0
    if background.all():
        raise InputError("shape_metrics", "a label map with at least one vertebra", "only zeros")
    if not background.any():
        return labels.astype(np.int64)
    distance, indices = distance_transform_edt(
        background, sampling=spacing, return_distances=True, return_indices=True
    )
    nearest = labels[tuple(indices)].astype(np.int64)
    if margin_mm is not None:
        nearest[distance > margin_mm] = 0
    return nearest


def _check_labels(labels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != shape:
        raise InputError("shape_metrics", f"a label map of shape {shape}", f"shape {labels.shape}")
    integral = np.issubdtype(labels.dtype, np.integer) or (
        np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))
    )
    if not integral:
        raise InputError("shape_metrics", "integer vertebra ids in the label map", "fractions")
    if np.any(labels < 0):
        raise InputError("shape_metrics", "non-negative vertebra ids", "negative values")
    return labels.astype(np.int64)


def _finite_mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def shape_metrics(
    real_hu: np.ndarray,
    fake_hu: np.ndarray,
    spacing_mm: Sequence[float],
    labels: np.ndarray | None = None,
    bone_hu: float = DEFAULT_BONE_HU,
    margin_mm: float | None = DEFAULT_MARGIN_MM,
) -> dict[str, Any]:
    """Bone Dice / HD95 / ASSD of one case, globally and (with ``labels``) per vertebra.

    Args:
        real_hu: (D, H, W) true CT in HU.
        fake_hu: (D, H, W) prediction in HU on the same grid.
        spacing_mm: voxel size in mm along (D, H, W).
        labels: optional (D, H, W) integer vertebra ids on the same grid, 0 = background.
        bone_hu: bone threshold in HU (voxel >= bone_hu is bone), applied to both volumes.
        margin_mm: reach of a vertebra's region beyond its label, in mm (None = unlimited).

    Returns:
        Scalars under SHAPE_KEYS (Dice unitless, distances in mm, empty-prediction 0/1,
        bone-HU the level used); with labels also VERTEBRA_KEYS and ``per_vertebra``:
        {vertebra id: {"Dice", "HD95-mm", "ASSD-mm"}} for every vertebra with true bone.

    Raises:
        InputError: shapes differ, non-finite values, bad spacing, or a bad label map.
    """
    check_pair(real_hu, fake_hu, "shape_metrics")
    spacing = check_spacing(spacing_mm)
    if not math.isfinite(float(bone_hu)):
        raise InputError("shape_metrics", "a finite bone threshold in HU", f"{bone_hu!r}")
    real_bone = np.asarray(real_hu) >= bone_hu
    fake_bone = np.asarray(fake_hu) >= bone_hu
    out: dict[str, Any] = dict(surface_metrics(fake_bone, real_bone, spacing))
    out["empty-prediction"] = float(real_bone.any() and not fake_bone.any())
    out["bone-HU"] = float(bone_hu)
    if labels is None:
        return out

    from scipy.ndimage import find_objects

    regions = vertebra_regions(_check_labels(labels, real_bone.shape), spacing, margin_mm)
    per_vertebra: dict[int, dict[str, float]] = {}
    for index, box in enumerate(find_objects(regions)):
        if box is None:
            continue
        vertebra = index + 1
        cell = regions[box] == vertebra
        truth = real_bone[box] & cell
        if not truth.any():
            continue
        per_vertebra[vertebra] = surface_metrics(fake_bone[box] & cell, truth, spacing)

    scores = list(per_vertebra.values())
    out["Dice-vert"] = _finite_mean([s["Dice"] for s in scores])
    out["HD95-vert-mm"] = _finite_mean([s["HD95-mm"] for s in scores])
    out["ASSD-vert-mm"] = _finite_mean([s["ASSD-mm"] for s in scores])
    out["vert-count"] = float(len(scores))
    out["vert-empty"] = float(
        sum(1 for s in scores if s["Dice"] == 0.0 and math.isinf(s["HD95-mm"]))
    )
    out["per_vertebra"] = per_vertebra
    return out


def level_dice(truth: np.ndarray, predicted: np.ndarray) -> dict[int, float]:
    """Dice of each vertebra level of the truth label map against the predicted label map
    (same grid, common ids): a vertebra given the wrong level scores 0 there."""
    scores = {}
    for level in np.unique(truth):
        if level == 0:
            continue
        true_mask, pred_mask = truth == level, predicted == level
        total = int(true_mask.sum()) + int(pred_mask.sum())
        scores[int(level)] = 2.0 * int((true_mask & pred_mask).sum()) / total
    return scores
