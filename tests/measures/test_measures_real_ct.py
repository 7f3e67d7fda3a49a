"""Measures of the repository's real lumbar CT (3 mm voxels) with its TotalSegmentator labels.

The case is a normal adult lumbar spine: no vertebra may be graded as a fracture, the lumbar
lordosis of a supine CT lies in the usual range, and each endplate plane runs along the border
of its vertebra's label (checked on the label map, independently of the intensity edges).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from x2ct.measures import measure_volume

LUMBAR = ("L1", "L2", "L3", "L4", "L5")


@pytest.fixture(scope="module")
def real(real_ct_dir):
    from x2ct.io import read_volume
    from x2ct.prepare.labels import resolve, to_common_ids

    ct = read_volume(real_ct_dir / "ct.nii.gz")
    labels = read_volume(real_ct_dir / "labels.nii.gz")
    ids = resolve("totalseg-v2", "")[1]
    labels = labels.with_array(to_common_ids(labels.array, "totalseg-v2", ids))
    return ct, labels, measure_volume(ct, labels)


def test_every_lumbar_vertebra_is_measured_without_a_fracture(real):
    _, _, measures = real
    by_level = measures.by_level()
    for level in LUMBAR:
        v = by_level[level]
        assert v.complete and v.measured, level
        # Adult lumbar bodies are 22-35 mm high (Bonczar 2024: 24-27 mm on average).
        for height in (v.height_anterior_mm, v.height_middle_mm, v.height_posterior_mm):
            assert 18.0 < height < 36.0, (level, height)
        assert v.genant_grade == 0, (level, v.height_loss, v.deformity_type)
    assert not measures.to_dict()["spine"]["fractures"]


def test_lordosis_of_a_supine_lumbar_spine(real):
    _, _, measures = real
    assert measures.lordosis_levels == ("L1", "L5")
    # Supine L1-L5 lordosis: roughly 20-60 degrees; the coronal angle of a straight spine small.
    assert 20.0 < measures.lordosis_deg < 60.0
    assert measures.cobb_deg < 10.0
    # Lordotic order of the endplates: each lower endplate descends more anteriorly (within a
    # few degrees), from L1's superior to L5's inferior.
    by_level = measures.by_level()
    tilts = [by_level[lv].endplate_superior.sagittal_tilt_deg for lv in LUMBAR]
    assert all(b > a - 5.0 for a, b in itertools.pairwise(tilts))


def test_endplates_lie_on_the_label_borders(real):
    ct, labels, measures = real
    ids = np.rint(labels.array).astype(int)
    step = 3.0  # one voxel
    for level in LUMBAR:
        v = measures.by_level()[level]
        label = v.label
        up = np.asarray(v.axes["superior"])
        for which, outward in (("superior", up), ("inferior", -up)):
            inside = outside = 0
            middle = np.asarray(v.landmarks[f"{which}_middle"])
            for name in ("anterior", "middle", "posterior", "right", "left"):
                # Points of the plane 70 % of the way from its middle to each margin (all
                # landmarks of an endplate lie on its plane), clear of the rounded corners.
                point = middle + 0.7 * (np.asarray(v.landmarks[f"{which}_{name}"]) - middle)
                # Points on the plane, moved 1.5 voxels inwards / outwards along the axis.
                pos = ct.world_to_voxel(np.array([point - 1.5 * step * outward]))[0]
                neg = ct.world_to_voxel(np.array([point + 1.5 * step * outward]))[0]
                inside += _label_at(ids, pos) == label
                outside += _label_at(ids, neg) != label
            assert inside >= 4 and outside >= 4, (level, which, inside, outside)


def _label_at(ids: np.ndarray, index: np.ndarray) -> int:
    k = tuple(
        int(np.clip(round(float(i)), 0, n - 1)) for i, n in zip(index, ids.shape, strict=True)
    )
    return int(ids[k])
