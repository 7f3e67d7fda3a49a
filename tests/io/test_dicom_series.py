"""DICOM CT series: spacing, orientation and bad folders."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.io import read_volume


def asymmetric_hu(slices: int = 6, rows: int = 10, cols: int = 12) -> np.ndarray:
    hu = np.full((slices, rows, cols), -1000.0)
    hu[0, 1, 2] = 1000.0  # first slice (lowest z: inferior), row 1 (anterior), col 2 (right)
    return hu


def test_series_reads_with_spacing_and_orientation(tmp_path, ct_series_writer):
    hu = asymmetric_hu()
    folder = ct_series_writer(tmp_path / "ct", hu, pixel_spacing=(0.8, 0.7), slice_step=2.5)
    volume = read_volume(folder)
    # Model frame (D, H, W): D = slices (z), H = rows (y), W = columns (x).
    assert volume.shape == (6, 10, 12)
    assert volume.spacing == pytest.approx((2.5, 0.8, 0.7))
    assert nib.aff2axcodes(volume.affine) == ("I", "P", "L")
    # DICOM LPS: rows run towards posterior (+y), columns towards patient left (+x), slices
    # towards superior (+z). The bright voxel is in the most inferior slice, the anterior row 1
    # and the right column 2; in the model frame it is at the largest D, H = 1, W = 2.
    d, h, w = np.argwhere(volume.array > 500)[0]
    assert (d, h, w) == (5, 1, 2)
    # Its world position: LPS (x, y, z) = origin + (col * 0.7, row * 0.8, 0) -> RAS flips x, y.
    expected_ras = np.array([-(-50.0 + 2 * 0.7), -(-40.0 + 1 * 0.8), 100.0])
    np.testing.assert_allclose(volume.voxel_to_world((d, h, w)), expected_ras, atol=1e-4)
    assert volume.array.min() == pytest.approx(-1000.0)


def test_series_orientation_does_not_depend_on_file_order(tmp_path, ct_series_writer):
    hu = asymmetric_hu()
    # The same anatomy acquired head-first with slices stored superior -> inferior.
    flipped = ct_series_writer(
        tmp_path / "down", hu[::-1], slice_step=-2.5, origin=(-50.0, -40.0, 112.5)
    )
    up = ct_series_writer(tmp_path / "up", hu)
    np.testing.assert_array_equal(read_volume(flipped).array, read_volume(up).array)


def test_mixed_series_is_refused(tmp_path, ct_series_writer):
    folder = tmp_path / "mixed"
    ct_series_writer(folder / "a", asymmetric_hu())
    ct_series_writer(folder / "b", asymmetric_hu(4))
    for file in (folder / "b").iterdir():
        file.rename(folder / "a" / f"b_{file.name}")
    with pytest.raises(InputError, match="one DICOM series") as info:
        read_volume(folder / "a")
    assert "2 series" in str(info.value)


def test_missing_slice_is_refused(tmp_path, ct_series_writer):
    folder = ct_series_writer(tmp_path / "gap", asymmetric_hu(8), skip=(4,))
    with pytest.raises(InputError, match="gap") as info:
        read_volume(folder)
    assert str(folder) in str(info.value)
    assert "\n" not in str(info.value)


def test_folder_without_dicom(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="no DICOM series"):
        read_volume(tmp_path)
