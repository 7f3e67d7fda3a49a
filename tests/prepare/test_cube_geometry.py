"""Crop boxes, cube affines and resampling keep world positions (analytic checks)."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.prepare.crop import bounding_box, box_center_world, crop, expand_box
from x2ct.prepare.resample import aligned_cube_affine, paper_cube_affine, resample_to_cube
from x2ct.volume import Volume

GRADIENT = np.array([0.7, -1.3, 2.1])  # HU per mm along R, A, S


def ramp_volume(shape=(40, 50, 60), spacing=(2.5, 0.8, 0.9)) -> Volume:
    """A CT whose value is a linear function of the world position (model-frame affine)."""
    affine = np.eye(4)
    # Model frame: D -> inferior (-S), H -> posterior (-A), W -> left (-R).
    affine[:3, :3] = np.column_stack(
        [(0, 0, -spacing[0]), (0, -spacing[1], 0), (-spacing[2], 0, 0)]
    )
    affine[:3, 3] = (30.0, -20.0, 400.0)
    index = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)
    world = index @ affine[:3, :3].T + affine[:3, 3]
    return Volume((world @ GRADIENT).astype(np.float32), affine)


def test_bounding_box_and_margin():
    mask = np.zeros((10, 12, 14), bool)
    mask[2:5, 3:9, 4] = True
    box = bounding_box(mask)
    np.testing.assert_array_equal(box, [[2, 5], [3, 9], [4, 5]])
    grown = expand_box(box, margin_mm=2.0, spacing=(1.0, 0.5, 3.0), shape=mask.shape)
    np.testing.assert_array_equal(grown, [[0, 7], [0, 12], [3, 6]])


def test_crop_keeps_world_positions():
    volume = ramp_volume()
    box = np.array([[5, 20], [10, 30], [7, 50]])
    part = crop(volume, box)
    np.testing.assert_allclose(part.voxel_to_world((0, 0, 0)), volume.voxel_to_world(box[:, 0]))
    np.testing.assert_array_equal(part.array[3, 4, 5], volume.array[8, 14, 12])


def test_aligned_cube_is_centred_isotropic_and_exact_on_a_linear_field():
    volume = ramp_volume()
    center = volume.voxel_to_world((20, 25, 30))
    affine = aligned_cube_affine(volume, center, size=16, voxel_mm=1.5)
    cube = Volume(np.zeros((16, 16, 16)), affine)
    assert cube.spacing == pytest.approx((1.5, 1.5, 1.5))
    np.testing.assert_allclose(cube.center_world(), center, atol=1e-9)
    # Same axis directions as the source (no rotation, no flip).
    np.testing.assert_allclose(
        affine[:3, :3] / 1.5, volume.affine[:3, :3] / np.array(volume.spacing)
    )
    values = resample_to_cube(volume, affine, 16)
    index = np.stack(np.meshgrid(*[np.arange(16)] * 3, indexing="ij"), -1)
    expected = (index @ affine[:3, :3].T + affine[:3, 3]) @ GRADIENT
    # Linear interpolation (and the symmetric anti-aliasing filter) reproduce a linear field.
    np.testing.assert_allclose(values, expected, atol=1e-2)


def test_paper_cube_stretches_the_box():
    volume = ramp_volume()
    box = np.array([[4, 36], [10, 42], [12, 28]])
    affine = paper_cube_affine(volume, box, size=16)
    # Voxel edges of the cube coincide with the box edges: cube index -0.5 and 15.5.
    low = Volume(np.zeros((2, 2, 2)), affine).voxel_to_world(np.full(3, -0.5))
    high = Volume(np.zeros((2, 2, 2)), affine).voxel_to_world(np.full(3, 15.5))
    np.testing.assert_allclose(low, volume.voxel_to_world(box[:, 0] - 0.5), atol=1e-9)
    np.testing.assert_allclose(high, volume.voxel_to_world(box[:, 1] - 0.5), atol=1e-9)
    assert box_center_world(volume, box) == pytest.approx(
        Volume(np.zeros((16, 16, 16)), affine).center_world()
    )


def test_labels_resample_by_nearest_neighbour_and_air_outside():
    volume = ramp_volume()
    labels = np.zeros(volume.shape, np.float32)
    labels[10:30, 10:40, 10:50] = 20
    labels[20:30, 10:40, 10:50] = 21
    label_volume = volume.with_array(labels)
    center = volume.voxel_to_world((20, 25, 30))
    affine = aligned_cube_affine(volume, center, size=24, voxel_mm=3.0)
    out = resample_to_cube(label_volume, affine, 24, labels=True)
    assert set(np.unique(out)) == {0.0, 20.0, 21.0}
    # A cube reaching beyond the CT is filled with air there.
    far = aligned_cube_affine(volume, center + np.array([0, 0, 200.0]), size=8, voxel_mm=3.0)
    assert np.all(resample_to_cube(volume, far, 8) == -1024.0)


def test_cube_moves_within_its_slack_to_stay_inside_the_scan():
    from x2ct.prepare.case import cube_center_index

    ct = Volume(np.zeros((100, 50, 50)), np.eye(4))
    box = np.array([[10, 30], [20, 30], [20, 30]])
    needed = np.array([40.0, 30.0, 30.0])
    center = cube_center_index(ct, box, needed, field_mm=80.0)
    # Along D the cube (80 voxels) slides down until it starts at the scan's first voxel edge;
    # the spine box [10, 30) plus margins stays inside it.
    assert center[0] == pytest.approx(39.5)
    assert center[0] - 40 <= 10 and center[0] + 40 >= 30
    # Along H and W the 50-voxel scan is shorter than the cube: the cube keeps containing it.
    assert center[1] == pytest.approx(24.5) and center[2] == pytest.approx(24.5)
    # No slack (the spine needs the whole field): the cube stays centred on the spine.
    tight = cube_center_index(ct, box, np.array([80.0, 80.0, 80.0]), field_mm=80.0)
    np.testing.assert_allclose(tight, [19.5, 24.5, 24.5])


def test_center_jitter_moves_the_cube_reproducibly_within_the_slack():
    from x2ct.prepare.case import jitter_center

    ct = Volume(np.zeros((200, 200, 200)), np.diag([2.0, 1.0, 1.0, 1.0]))
    box = np.array([[80, 100], [90, 110], [90, 110]])  # 40 x 20 x 20 mm
    needed = np.array([60.0, 40.0, 40.0])
    start = np.array([89.5, 99.5, 99.5])
    moves = np.array(
        [jitter_center(start, ct, box, needed, 100.0, 15.0, seed) - start for seed in range(200)]
    )
    moves_mm = moves * np.array([2.0, 1.0, 1.0])
    # Uniform within +-15 mm on every axis (the slack, 20-30 mm, does not bind) ...
    assert np.abs(moves_mm).max() <= 15.0 + 1e-9
    assert np.abs(moves_mm).max(axis=0).min() > 13.0
    assert np.abs(moves_mm.mean(axis=0)).max() < 2.0
    # ... fixed by the seed, and different between seeds.
    again = jitter_center(start, ct, box, needed, 100.0, 15.0, 7)
    np.testing.assert_array_equal(again, start + moves[7])
    # A jitter larger than the slack stops where the spine box and margins touch the cube's edge.
    wide = np.array(
        [jitter_center(start, ct, box, needed, 100.0, 500.0, seed) for seed in range(50)]
    )
    slack_mm = (100.0 - needed) / 2.0
    centre = (box[:, 0] + box[:, 1] - 1) / 2.0
    reach_mm = np.abs(wide - centre) * np.array([2.0, 1.0, 1.0])
    assert np.all(reach_mm <= slack_mm + 1e-9)
    assert np.allclose(reach_mm.max(axis=0), slack_mm)
