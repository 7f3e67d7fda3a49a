"""Orientation handling: any stored orientation reads into the same model-frame array."""

from __future__ import annotations

import itertools

import nibabel as nib
import numpy as np
import pytest

from x2ct.io import read_volume, write_volume

# World grid (RAS mm): distinct counts and spacings per axis so that any axis mix-up shows.
COUNTS = (7, 6, 5)  # along x, y, z
STEPS = (1.0, 1.5, 2.5)  # mm
STARTS = (-10.0, 20.0, 100.0)  # mm, world position of the first grid point on each axis


def world_grid_values() -> np.ndarray:
    """Values on the world grid indexed [ix, iy, iz] (x, y, z increasing); all distinct."""
    rng = np.random.default_rng(0)
    return rng.permutation(np.prod(COUNTS)).reshape(COUNTS).astype(np.float32)


def stored_layout(perm: tuple[int, int, int], flips: tuple[bool, bool, bool]):
    """Array and affine storing the world grid with stored axis a = world axis perm[a].

    ``flips[a]`` stores axis a in decreasing world order. The affine is built by hand from
    the grid definition, independently of nibabel's orientation helpers.
    """
    values = world_grid_values()
    array = np.transpose(values, perm)
    affine = np.eye(4)
    for axis, world in enumerate(perm):
        step = STEPS[world]
        start = STARTS[world]
        if flips[axis]:
            array = np.flip(array, axis)
            start = STARTS[world] + step * (COUNTS[world] - 1)
            step = -step
        affine[:3, axis] = 0.0
        affine[world, axis] = step
        affine[world, 3] = start
    return np.ascontiguousarray(array), affine


def expected_model_frame() -> np.ndarray:
    """The world grid in the model frame: D = z decreasing, H = y decreasing, W = x decreasing."""
    values = world_grid_values()  # [x, y, z]
    model = np.transpose(values, (2, 1, 0))  # [z, y, x]
    return model[::-1, ::-1, ::-1]


LAYOUTS = {
    "RAS": ((0, 1, 2), (False, False, False)),
    "LPS": ((0, 1, 2), (True, True, False)),
    "permuted (y, z, x)": ((1, 2, 0), (False, False, False)),
    "flipped (x, z-flip, y)": ((0, 2, 1), (False, True, False)),
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_orientation_reads_to_the_same_model_frame_array(tmp_path, name):
    array, affine = stored_layout(*LAYOUTS[name])
    path = tmp_path / "volume.nii.gz"
    nib.save(nib.Nifti1Image(array, affine), path)
    volume = read_volume(path)
    np.testing.assert_array_equal(volume.array, expected_model_frame())
    assert volume.spacing == pytest.approx((STEPS[2], STEPS[1], STEPS[0]))
    assert nib.aff2axcodes(volume.affine) == ("I", "P", "L")


def voxel_world_positions(image: nib.Nifti1Image) -> dict[float, np.ndarray]:
    """World position (mm) of every voxel, keyed by its (unique) value."""
    data = np.asarray(image.dataobj)
    index = np.stack(np.meshgrid(*[np.arange(n) for n in data.shape], indexing="ij"), -1)
    world = index.reshape(-1, 3) @ image.affine[:3, :3].T + image.affine[:3, 3]
    return dict(zip(data.reshape(-1).tolist(), world, strict=True))


@pytest.mark.parametrize("name", LAYOUTS)
def test_write_read_round_trip_keeps_world_positions(tmp_path, name):
    array, affine = stored_layout(*LAYOUTS[name])
    source = tmp_path / "in.nii.gz"
    nib.save(nib.Nifti1Image(array, affine), source)
    written = write_volume(read_volume(source), tmp_path / "out.nii.gz")
    before = voxel_world_positions(nib.load(source))
    after = voxel_world_positions(nib.load(written))
    assert before.keys() == after.keys()
    worst = max(np.abs(before[v] - after[v]).max() for v in before)
    assert worst < 1e-4


def test_all_48_axis_orders_agree(tmp_path):
    reference = expected_model_frame()
    for perm in itertools.permutations(range(3)):
        for flips in itertools.product((False, True), repeat=3):
            array, affine = stored_layout(perm, flips)
            path = tmp_path / "v.nii"
            nib.save(nib.Nifti1Image(array, affine), path)
            np.testing.assert_array_equal(read_volume(path).array, reference)


def test_oblique_affine_keeps_world_positions(tmp_path):
    # A gantry-tilted / rotated acquisition: the nearest model-frame axes are used, no resampling.
    angle = np.deg2rad(12.0)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([0.8, 0.8, 2.0])
    affine[:3, 3] = (5.0, -3.0, 40.0)
    array = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    path = tmp_path / "oblique.nii.gz"
    nib.save(nib.Nifti1Image(array, affine), path)
    volume = read_volume(path)
    before = voxel_world_positions(nib.load(path))
    index = np.argwhere(volume.array == 17.0)[0]
    np.testing.assert_allclose(volume.voxel_to_world(index), before[17.0], atol=1e-4)
