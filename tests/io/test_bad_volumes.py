"""Every bad volume input gives one clear line naming the file, what was expected and found."""

from __future__ import annotations

import gzip

import nibabel as nib
import numpy as np
import pytest

from x2ct.errors import InputError, MissingFileError
from x2ct.io import read_volume, write_volume
from x2ct.volume import Volume


def save(path, array, affine=None):
    nib.save(nib.Nifti1Image(array, np.eye(4) if affine is None else affine), path)
    return path


def assert_one_line(error: Exception, path) -> None:
    message = str(error)
    assert "\n" not in message
    assert str(path) in message
    assert "expected" in message and "found" in message


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError) as info:
        read_volume(tmp_path / "nope.nii.gz")
    assert isinstance(info.value, FileNotFoundError)
    assert_one_line(info.value, tmp_path / "nope.nii.gz")


def test_truncated_gzip(tmp_path):
    good = save(tmp_path / "good.nii.gz", np.zeros((20, 20, 20), np.float32))
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError) as info:
        read_volume(bad)
    assert_one_line(info.value, bad)


def test_corrupt_file(tmp_path):
    bad = tmp_path / "corrupt.nii.gz"
    bad.write_bytes(gzip.compress(b"this is not a nifti header" * 20))
    with pytest.raises(InputError) as info:
        read_volume(bad)
    assert_one_line(info.value, bad)


def test_empty_file(tmp_path):
    bad = tmp_path / "empty.nii.gz"
    bad.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_volume(bad)


def test_2d_image_as_volume(tmp_path):
    path = save(tmp_path / "slice.nii.gz", np.zeros((10, 10), np.float32))
    with pytest.raises(InputError, match="3D") as info:
        read_volume(path)
    assert_one_line(info.value, path)


def test_4d_volume(tmp_path):
    path = save(tmp_path / "series.nii.gz", np.zeros((5, 5, 5, 3), np.float32))
    with pytest.raises(InputError, match="4D") as info:
        read_volume(path)
    assert_one_line(info.value, path)


def test_4d_with_singleton_time_axis_is_accepted(tmp_path):
    path = save(tmp_path / "one.nii.gz", np.ones((5, 6, 7, 1), np.float32))
    assert read_volume(path).shape == (7, 6, 5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_voxels(tmp_path, bad):
    array = np.zeros((5, 5, 5), np.float32)
    array[2, 2, 2] = bad
    path = save(tmp_path / "nan.nii.gz", array)
    with pytest.raises(InputError, match="NaN or inf") as info:
        read_volume(path)
    assert_one_line(info.value, path)


def test_zero_spacing_in_sform(tmp_path):
    image = nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), None)
    image.header.set_sform(np.diag([1.0, 1.0, 0.0, 1.0]), code=1)
    image.header.set_qform(None, code=0)
    path = tmp_path / "zero.nii.gz"
    nib.save(image, path)
    with pytest.raises(InputError) as info:
        read_volume(path)
    assert_one_line(info.value, path)


@pytest.mark.parametrize("pixdim", [(1.0, 1.0, -2.0), (1.0, 0.0, 1.0)])
def test_negative_or_zero_pixdim(tmp_path, pixdim):
    # nibabel "repairs" such headers on load (abs, or 1 for 0); x2ct must refuse them instead.
    image = nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), None)
    image.header["pixdim"][1:4] = pixdim
    image.header.set_qform(None, code=0)
    image.header.set_sform(None, code=0)
    path = tmp_path / "pixdim.nii"
    nib.save(image, path)
    with pytest.raises(InputError, match="spacing") as info:
        read_volume(path)
    assert_one_line(info.value, path)


def test_absurd_spacing(tmp_path):
    path = save(tmp_path / "huge.nii.gz", np.zeros((4, 4, 4), np.float32), np.diag([1.0, 1, 25, 1]))
    with pytest.raises(InputError, match="spacing") as info:
        read_volume(path)
    assert_one_line(info.value, path)


def test_non_invertible_affine(tmp_path):
    affine = np.array([[1.0, 1.0, 0, 0], [1.0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1]])
    path = save(tmp_path / "singular.nii.gz", np.zeros((4, 4, 4), np.float32), affine)
    with pytest.raises(InputError, match="invertible") as info:
        read_volume(path)
    assert_one_line(info.value, path)


def test_volume_validates_in_memory_arrays():
    with pytest.raises(InputError, match="3D"):
        Volume(np.zeros((4, 4)), np.eye(4), "memory")
    with pytest.raises(InputError, match="NaN"):
        Volume(np.full((2, 2, 2), np.nan), np.eye(4), "memory")
    with pytest.raises(InputError, match="spacing"):
        Volume(np.zeros((2, 2, 2)), np.diag([30.0, 1, 1, 1]), "memory")


def test_write_refuses_other_suffix(tmp_path):
    volume = Volume(np.zeros((2, 2, 2)), np.eye(4))
    with pytest.raises(InputError, match=r"\.nii"):
        write_volume(volume, tmp_path / "out.mha")
