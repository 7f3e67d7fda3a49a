"""prepare on the real lumbar CT (TotalSegmentator v2 labels, RAS, 3 mm)."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.config import ProjectConfig, apply_overrides
from x2ct.data.hdf5 import case_path, read_case
from x2ct.prepare.pipeline import prepare_dataset


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def antisymmetric(image: np.ndarray) -> np.ndarray:
    """The left-right antisymmetric part (image minus its mirror): what a mirror flips."""
    return image - image[:, ::-1]


@pytest.fixture(scope="module")
def real_parallel(real_ct_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("real")
    config = apply_overrides(
        ProjectConfig(),
        ["drr.geometry=parallel", "prepare.size=64", "prepare.field_mm=256", "xray.size=64"],
    )
    report = prepare_dataset(real_ct_dir, out, config)
    assert report.layout == "totalseg" and not report.failures, report.failures
    return read_case(case_path(out, report.done[0]))


def test_real_ct_prepares_clean_with_the_lumbar_levels(real_parallel):
    # TotalSegmentator v2 L1..L5 become the common ids 20..24; T12 (19) and T11 (18) are cut.
    present = set(np.unique(real_parallel.mask)) - {0}
    assert {20, 21, 22, 23, 24} <= present
    assert present <= {18, 19, 20, 21, 22, 23, 24}
    d_of = {v: np.argwhere(real_parallel.mask == v)[:, 0].mean() for v in range(20, 25)}
    assert list(d_of.values()) == sorted(d_of.values())  # L1 above ... L5 below


def test_views_have_the_orientation_of_the_cube(real_parallel):
    hu = real_parallel.ct - 1024.0
    density = np.clip(hu, -1000, 2000) + 1000  # attenuation-like, >= 0
    frontal = density.mean(axis=1)  # rows D, columns W
    lateral = density.mean(axis=2)  # rows D, columns H
    x1 = real_parallel.xray1.astype(float)
    x2 = real_parallel.xray2.astype(float)
    assert pearson(x1, frontal) >= 0.9
    assert pearson(x2, lateral) >= 0.9
    assert pearson(x1, frontal) > pearson(x1, frontal[:, ::-1])
    assert pearson(x2, lateral) > pearson(x2, lateral[:, ::-1])
    # A body is nearly symmetric left-right, so compare what a mirror would flip: the
    # antisymmetric parts correlate positively (a mirrored view would give the negative).
    assert pearson(antisymmetric(x1), antisymmetric(frontal)) >= 0.6
    assert pearson(antisymmetric(x2), antisymmetric(lateral)) >= 0.6


def test_lateral_view_shows_lordosis_with_anterior_on_the_left(real_parallel):
    # Lumbar lordosis: the middle of the lumbar column (L3) lies more anterior (smaller H) than
    # the line through L1 and L5. Anterior is on the left of the lateral view (column = H).
    mask = real_parallel.mask
    h_of = {v: np.argwhere(mask == v)[:, 1].mean() for v in (20, 22, 24)}
    assert h_of[22] < (h_of[20] + h_of[24]) / 2
    # The body (soft tissue anterior to the spine) is on the left: more attenuation left of the
    # spine than right of it in the lateral view, at the level of L3.
    row = int(np.argwhere(mask == 22)[:, 0].mean())
    spine_col = int(h_of[22])
    lateral = real_parallel.xray2.astype(float)
    assert lateral[row, : spine_col - 8].mean() > lateral[row, spine_col + 12 :].mean()
