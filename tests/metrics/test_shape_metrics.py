"""Bone-shape metrics: spheres with analytic overlap and distances, per-vertebra assignment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.metrics import shape_metrics, surface_metrics

SPACING = (1.0, 0.7, 0.5)


def sphere(shape: tuple[int, ...], spacing: tuple[float, ...], centre: np.ndarray, radius: float):
    """Boolean mask of the voxels whose centre (index * spacing, mm) lies in the ball."""
    grids = np.meshgrid(
        *[np.arange(n) * s for n, s in zip(shape, spacing, strict=True)], indexing="ij"
    )
    return sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True)) <= radius**2


def sphere_pair_truth(R: float, t: float) -> tuple[float, float, float]:
    """Dice, HD95 and ASSD of two balls of radius R whose centres are t apart (continuous).

    Surface points of one ball, at angle theta to the offset, are |sqrt(R^2 + t^2 - 2Rt cos) - R|
    from the other ball's surface; cos(theta) is uniform over the sphere's area.
    """
    u = np.linspace(-1.0, 1.0, 400001)
    d = np.abs(np.sqrt(R * R + t * t - 2 * R * t * u) - R)
    lens = math.pi * (4 * R + t) * (2 * R - t) ** 2 / 12
    return lens / (4 / 3 * math.pi * R**3), float(np.quantile(d, 0.95)), float(d.mean())


@pytest.mark.parametrize(("axis", "offset_mm"), [(0, 4.0), (2, 6.0)])
def test_offset_spheres_match_analytic_values(axis: int, offset_mm: float) -> None:
    R = 10.0
    extent = 2 * R + offset_mm + 6
    shape = tuple(int(extent / s) + 1 for s in SPACING)
    centre = np.full(3, extent / 2 - offset_mm / 2)
    moved = centre.copy()
    moved[axis] += offset_mm
    truth = sphere(shape, SPACING, centre, R)
    pred = sphere(shape, SPACING, moved, R)
    dice, hd95, assd = sphere_pair_truth(R, offset_mm)
    result = surface_metrics(pred, truth, SPACING)
    assert result["Dice"] == pytest.approx(dice, abs=0.02)
    # Surfaces are voxel centres: allow about one fine voxel of discretisation error.
    assert result["HD95-mm"] == pytest.approx(hd95, abs=0.6)
    assert result["ASSD-mm"] == pytest.approx(assd, abs=0.6)


def test_identical_masks() -> None:
    shape = (20, 30, 40)
    mask = sphere(shape, SPACING, np.array([10.0, 10.0, 10.0]), 6.0)
    hu = np.where(mask, 700.0, 0.0)
    result = shape_metrics(hu, hu.copy(), SPACING)
    assert result["Dice"] == 1.0
    assert result["HD95-mm"] == 0.0 and result["ASSD-mm"] == 0.0
    assert result["empty-prediction"] == 0.0 and result["bone-HU"] == 200.0


def test_threshold_decides_what_is_bone() -> None:
    real = np.zeros((10, 10, 10))
    real[2:8, 2:8, 2:8] = 500.0
    real[0, 0, 0] = 200.0  # exactly at the level: bone
    fake = real.copy()
    fake[2:5, 2:8, 2:8] = 150.0  # half the block falls below 200 HU but above 100 HU
    fake[0, 0, 0] = 199.0
    assert shape_metrics(real, fake, (1, 1, 1))["Dice"] == pytest.approx(2 * 108 / (217 + 108))
    assert shape_metrics(real, fake, (1, 1, 1), bone_hu=100.0)["Dice"] == 1.0


def test_empty_prediction_and_empty_truth() -> None:
    real = np.zeros((10, 10, 10))
    real[3:6, 3:6, 3:6] = 800.0
    empty = shape_metrics(real, np.zeros_like(real), (1, 1, 1))
    assert empty["Dice"] == 0.0 and math.isinf(empty["HD95-mm"]) and math.isinf(empty["ASSD-mm"])
    assert empty["empty-prediction"] == 1.0
    no_truth = shape_metrics(np.zeros_like(real), real, (1, 1, 1))
    assert all(math.isnan(no_truth[k]) for k in ("Dice", "HD95-mm", "ASSD-mm"))
    assert no_truth["empty-prediction"] == 0.0


def two_vertebrae() -> tuple[np.ndarray, np.ndarray]:
    """Labels 1 (d 2..9) and 2 (d 16..23) in a 30 x 12 x 12 grid; bone = labelled voxels."""
    labels = np.zeros((30, 12, 12), dtype=np.int16)
    labels[2:10, 3:9, 3:9] = 1
    labels[16:24, 3:9, 3:9] = 2
    return labels, np.where(labels > 0, 600.0, -100.0)


def test_predicted_bone_goes_to_the_nearest_vertebra() -> None:
    spacing = (2.0, 1.0, 1.0)
    labels, real = two_vertebrae()
    fake = np.full_like(real, -100.0)
    fake[2:10, 3:9, 3:9] = 600.0  # vertebra 1 exact
    # Vertebra 2 moved 2 voxels (4 mm) up into the disc: d 14, 15 are 4-6 mm from vertebra 2 and
    # 10-12 mm from vertebra 1, so they belong to vertebra 2.
    fake[14:22, 3:9, 3:9] = 600.0
    result = shape_metrics(real, fake, spacing, labels=labels)
    per = result["per_vertebra"]
    assert sorted(per) == [1, 2]
    assert per[1] == {"Dice": 1.0, "HD95-mm": 0.0, "ASSD-mm": 0.0}
    assert per[2]["Dice"] == pytest.approx(2 * 6 / (8 + 8))
    truth2 = labels == 2
    pred2 = np.zeros_like(truth2)
    pred2[14:22, 3:9, 3:9] = True
    expected = surface_metrics(pred2, truth2, spacing)
    assert per[2]["HD95-mm"] == pytest.approx(expected["HD95-mm"])
    assert 0 < per[2]["HD95-mm"] <= 4.0 + 1e-6
    assert result["Dice-vert"] == pytest.approx((1.0 + 0.75) / 2)
    assert result["HD95-vert-mm"] == pytest.approx(per[2]["HD95-mm"] / 2)
    assert result["vert-count"] == 2 and result["vert-empty"] == 0


def test_margin_limits_the_vertebra_region() -> None:
    spacing = (2.0, 1.0, 1.0)
    labels, real = two_vertebrae()
    fake = real.copy()
    fake[27:29, 0:2, 0:2] = 600.0  # a blob 8+ mm below vertebra 2, off the spine
    near = shape_metrics(real, fake, spacing, labels=labels, margin_mm=4.0)
    assert near["per_vertebra"][2]["Dice"] == 1.0
    assert near["Dice"] < 1.0  # still counted globally
    unlimited = shape_metrics(real, fake, spacing, labels=labels, margin_mm=None)
    assert unlimited["per_vertebra"][2]["Dice"] == pytest.approx(2 * 288 / (288 + 288 + 8))


def test_missing_vertebra_is_counted_empty() -> None:
    spacing = (2.0, 1.0, 1.0)
    labels, real = two_vertebrae()
    fake = real.copy()
    fake[16:24] = -100.0  # vertebra 2 not reconstructed at all
    result = shape_metrics(real, fake, spacing, labels=labels)
    assert result["per_vertebra"][2]["Dice"] == 0.0
    assert math.isinf(result["per_vertebra"][2]["HD95-mm"])
    assert result["Dice-vert"] == pytest.approx(0.5)
    assert result["HD95-vert-mm"] == 0.0  # mean over vertebrae with a prediction only
    assert result["vert-empty"] == 1 and result["vert-count"] == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"spacing_mm": (1.0, 1.0)},
        {"spacing_mm": (1.0, 0.0, 1.0)},
        {"labels": np.zeros((30, 12, 12))},
        {"labels": np.full((30, 12, 11), 1)},
        {"labels": np.full((30, 12, 12), 0.5)},
    ],
)
def test_bad_arguments(kwargs: dict) -> None:
    _, real = two_vertebrae()
    arguments = {"spacing_mm": (1.0, 1.0, 1.0), **kwargs}
    with pytest.raises(InputError):
        shape_metrics(real, real, **arguments)


def reference_distances(pred: np.ndarray, truth: np.ndarray, spacing: tuple[float, ...]):
    """HD95 and ASSD from their definitions: erosion edges, KD-tree distances in mm."""
    from scipy.ndimage import binary_erosion
    from scipy.spatial import cKDTree

    def edge_points(mask: np.ndarray) -> np.ndarray:
        edges = mask & ~binary_erosion(mask)
        return np.argwhere(edges) * np.asarray(spacing)

    p, t = edge_points(pred), edge_points(truth)
    p_to_t = cKDTree(t).query(p)[0]
    t_to_p = cKDTree(p).query(t)[0]
    hd95 = max(np.quantile(p_to_t, 0.95), np.quantile(t_to_p, 0.95))
    return hd95, np.concatenate([p_to_t, t_to_p]).mean()


def test_asymmetric_pair_matches_the_definitions() -> None:
    # Prediction = the true ball plus a far box: the distances differ by direction.
    shape = (24, 30, 40)
    truth = sphere(shape, SPACING, np.array([8.0, 8.0, 8.0]), 6.0)
    pred = truth.copy()
    pred[18:22, 20:26, 30:38] = True
    hd95, assd = reference_distances(pred, truth, SPACING)
    result = surface_metrics(pred, truth, SPACING)
    assert result["HD95-mm"] == pytest.approx(hd95, rel=1e-5)
    assert result["ASSD-mm"] == pytest.approx(assd, rel=1e-5)
    assert result["Dice"] == pytest.approx(2 * truth.sum() / (truth.sum() + pred.sum()))


def test_nearest_vertebra_is_nearest_in_mm() -> None:
    from x2ct.metrics.shape import vertebra_regions

    labels = np.zeros((6, 1, 6), dtype=np.int32)
    labels[0, 0, 3] = 1
    labels[3, 0, 0] = 2
    # Voxel (2, 0, 3): 2 voxels from label 1 and sqrt(10) from label 2, but with 2 mm rows it is
    # 4 mm from label 1 and sqrt(13) = 3.6 mm from label 2.
    assert vertebra_regions(labels, (1.0, 1.0, 1.0), None)[2, 0, 3] == 1
    assert vertebra_regions(labels, (2.0, 1.0, 1.0), None)[2, 0, 3] == 2
    assert vertebra_regions(labels, (2.0, 1.0, 1.0), 3.0)[2, 0, 3] == 0
