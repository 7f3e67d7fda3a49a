"""Column geometry: tilt conventions, frames, planes and the Cobb angle against closed forms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from x2ct.phantoms import PhantomConfig
from x2ct.phantoms.case import sample_case
from x2ct.phantoms.spine import Pose, _frame, cobb, solve_column, tilts


def test_tilt_signs_follow_the_documented_convention():
    # P frame = (inferior, posterior, left). A normal leaning 10 deg to the left and up.
    t = np.radians(10.0)
    coronal, sagittal = tilts(np.array([-np.cos(t), 0.0, np.sin(t)]))
    assert coronal == pytest.approx(10.0) and sagittal == pytest.approx(0.0)
    # Leaning anteriorly (towards -posterior).
    coronal, sagittal = tilts(np.array([-np.cos(t), -np.sin(t), 0.0]))
    assert coronal == pytest.approx(0.0) and sagittal == pytest.approx(10.0)


@pytest.mark.parametrize("sag, cor, axial", [(0, 0, 0), (20, -7, 0), (-12, 15, 25), (35, 30, -10)])
def test_frame_is_a_rotation_with_the_requested_projected_tilts(sag, cor, axial):
    rot = _frame(np.radians(sag), np.radians(cor), np.radians(axial))
    assert np.allclose(rot.T @ rot, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    coronal, sagittal = tilts(-rot[:, 0])
    assert coronal == pytest.approx(cor, abs=1e-9)
    assert sagittal == pytest.approx(sag, abs=1e-9)
    # Positive axial rotation turns the anterior direction (-b) towards the patient's left (+c).
    anterior = -rot[:, 1]
    assert np.sign(anterior[2]) == np.sign(axial) or axial == 0


def test_cobb_of_a_hand_made_column():
    def pose(level, coronal_deg):
        rot = _frame(0.0, np.radians(coronal_deg), 0.0)
        return Pose(level, rot, np.zeros(3), (10, 0, 0, 10, 0, 0), 30.0, 40.0)

    poses = {
        "L1": pose("L1", -8.0),
        "L2": pose("L2", 3.0),
        "L3": pose("L3", 14.0),
        "L4": pose("L4", 5.0),
    }
    angle, upper, lower = cobb(poses, ("L1", "L2", "L3", "L4"))
    assert angle == pytest.approx(22.0)
    assert (upper, lower) == ("L1", "L3")


def test_planes_give_the_anatomical_heights():
    spec = sample_case(3, PhantomConfig(fracture_probability=0.0, scoliosis_probability=0.0))
    column = solve_column(spec)
    for level in spec.run:
        p, v = column.poses[level], spec.vertebrae[level].anatomy
        half = p.depth / 2
        assert p.inferior_a(-half, 0) - p.superior_a(-half, 0) == pytest.approx(v.height_anterior)
        assert p.inferior_a(half, 0) - p.superior_a(half, 0) == pytest.approx(v.height_posterior)


@pytest.mark.parametrize("cobb_deg", [12.0, 30.0, 45.0])
def test_solved_column_has_the_requested_cobb(cobb_deg):
    config = PhantomConfig(cobb_deg=cobb_deg, levels=(7, 7), last_level="L5")
    for seed in range(4):
        spec = sample_case(seed, config)
        column = solve_column(spec)
        assert cobb(column.poses, spec.run)[0] == pytest.approx(cobb_deg, abs=0.05)


def test_fracture_lowers_only_the_anterior_height():
    config = PhantomConfig(fracture_probability=1.0, scoliosis_probability=0.0)
    spec = sample_case(11, config)
    fractured = [lv for lv in spec.run if spec.vertebrae[lv].fracture_loss > 0]
    assert fractured
    level = fractured[0]
    v = spec.vertebrae[level]
    intact = dataclasses.replace(
        spec, vertebrae={**spec.vertebrae, level: dataclasses.replace(v, fracture_loss=0.0)}
    )
    broken_pose = solve_column(spec).poses[level]
    intact_pose = solve_column(intact).poses[level]
    half = broken_pose.depth / 2
    ha = broken_pose.inferior_a(-half, 0) - broken_pose.superior_a(-half, 0)
    hp = broken_pose.inferior_a(half, 0) - broken_pose.superior_a(half, 0)
    assert ha == pytest.approx(v.anatomy.height_anterior * (1 - v.fracture_loss))
    assert hp == pytest.approx(intact_pose.inferior_a(half, 0) - intact_pose.superior_a(half, 0))
