"""The pelvis of the phantoms (phantoms.pelvis) and the field below the run (margin_below_mm)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from phantom_cases import SMALL

from x2ct.errors import InputError
from x2ct.phantoms import generate_phantom
from x2ct.phantoms.case import sample_case
from x2ct.phantoms.pelvis import landmarks, pelvis_pose
from x2ct.phantoms.spine import SACRUM, solve_column

LUMBAR = replace(SMALL, last_level="L5")
PELVIS = replace(LUMBAR, pelvis=True)


def test_the_options_change_no_other_draw_of_a_case():
    for seed in range(4):
        plain = sample_case(seed, LUMBAR)
        other = sample_case(seed, replace(PELVIS, margin_below_mm=(90.0, 140.0)))
        assert other.pelvis and not plain.pelvis
        assert other.run == plain.run and other.spacing == plain.spacing
        assert other.margins_mm[0] == plain.margins_mm[0]
        assert other.world_centre_mm == plain.world_centre_mm
        assert other.body == plain.body
        # the bottom margin is the same draw mapped from 4-25 mm onto 90-140 mm
        fraction = (plain.margins_mm[1] - 4.0) / 21.0
        assert other.margins_mm[1] == pytest.approx(90.0 + 50.0 * fraction, abs=1e-9)


def test_no_pelvis_without_a_sacrum():
    spec = sample_case(3, replace(SMALL, pelvis=True, last_level="T12"))
    assert not spec.sacrum and not spec.pelvis


def test_bad_margin_range_is_refused():
    with pytest.raises(InputError, match="margin_below_mm"):
        sample_case(0, replace(SMALL, margin_below_mm=(30.0, 10.0)))


def test_landmarks_follow_the_published_distances():
    spec = sample_case(5, PELVIS)
    column = solve_column(spec)
    pose = pelvis_pose(column.poses[SACRUM])
    l5, scale = spec.vertebrae["L5"], spec.size_factor
    disc_l4, disc_l5 = spec.discs["L4"].height, spec.discs["L5"].height
    marks = landmarks(pose, l5, disc_l4, disc_l5, scale)
    # the frame is orthonormal, right-handed (a x b = c) and keeps the sacrum's left axis
    assert np.allclose(pose.rotation.T @ pose.rotation, np.eye(3), atol=1e-12)
    assert np.allclose(np.cross(pose.rotation[:, 0], pose.rotation[:, 1]), pose.rotation[:, 2])
    assert np.allclose(pose.rotation[:, 2], column.poses[SACRUM].rotation[:, 2])
    assert 2 * marks["hip"][2] == pytest.approx(160.0 * scale)
    assert 2 * marks["asis"][2] == pytest.approx(227.0 * scale)
    # the crest top at the L4/L5 disc: above S1 by the L5/S1 disc, L5 and half the L4/L5 disc
    s1_top = -pose.planes[0]
    rise = disc_l5 + l5.anatomy.height_posterior + 0.5 * disc_l4
    assert marks["crest_top"][0] == pytest.approx(s1_top - rise)
    # superior to inferior: crest, ASIS, hip centre, ischium
    order = [marks[k][0] for k in ("crest_top", "asis", "hip", "ischium")]
    assert order == sorted(order)


def test_pelvis_is_unlabelled_bone_on_both_sides_of_the_sacrum():
    seed = 2
    plain = generate_phantom(seed, LUMBAR)
    pelvis = generate_phantom(seed, PELVIS)
    assert np.array_equal(plain.labels.array, pelvis.labels.array)
    added = (pelvis.ct.array > 250) & (plain.ct.array < 100)
    assert added.sum() > 2000
    assert not pelvis.labels.array[added].any()
    # the added bone lies on both sides of the spine, more than 40 mm from it
    columns = np.nonzero(added)[2]
    spine = np.nonzero(pelvis.labels.array)[2].mean()
    spacing_w = abs(pelvis.ct.affine[0, 2])
    left = (spine - columns) * spacing_w > 40.0
    right = (columns - spine) * spacing_w > 40.0
    assert left.sum() > 0.3 * right.sum() and right.sum() > 0.3 * left.sum()
    # the pelvis starts below the top of L4 (the crest lies at the L4/L5 disc)
    l4_top = np.nonzero((pelvis.labels.array == 23).any(axis=(1, 2)))[0].min()
    assert np.nonzero(added.any(axis=(1, 2)))[0].min() > l4_top


def test_margin_below_extends_the_scan_under_the_run():
    near = generate_phantom(1, LUMBAR)
    far = generate_phantom(1, replace(LUMBAR, margin_below_mm=(100.0, 100.0)))
    rows_near = near.ct.array.shape[0] - np.nonzero(near.labels.array.any(axis=(1, 2)))[0].max()
    rows_far = far.ct.array.shape[0] - np.nonzero(far.labels.array.any(axis=(1, 2)))[0].max()
    d_mm = abs(far.ct.affine[2, 0])  # slice spacing: D runs along the inferior axis
    assert (rows_far - rows_near) * d_mm > 60.0
