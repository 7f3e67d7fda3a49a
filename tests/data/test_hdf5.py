"""The per-case HDF5 schema: round trip, atomicity, bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from x2ct.data.hdf5 import CaseData, case_path, read_case, read_case_list, write_case
from x2ct.errors import InputError, MissingFileError
from x2ct.scaling import hu_to_stored, hu_to_target, stored_to_target, target_to_hu


def make_case(size: int = 8) -> CaseData:
    rng = np.random.default_rng(1)
    hu = rng.uniform(-1000, 2000, (size, size, size)).astype(np.float32)
    return CaseData(
        ct=hu_to_stored(hu),
        xray1=rng.integers(0, 256, (size, size), dtype=np.uint8),
        xray2=rng.integers(0, 256, (size, size), dtype=np.uint8),
        mask=(hu > 500).astype(np.uint8) * 20,
        attrs={
            "spacing_mm": np.array([2.0, 2.0, 2.0]),
            "affine": np.diag([-2.0, -2.0, -2.0, 1.0]),
            "x2ct_version": "0.1.0",
            "drr": {"geometry": "cone", "sdd_mm": 1000.0},
            "source": {"ct": "a.nii.gz", "labels": "a_seg.nii.gz"},
        },
    )


def test_round_trip(tmp_path):
    case = make_case()
    path = write_case(case_path(tmp_path, "case1"), case)
    assert path == tmp_path / "case1" / "ct_xray_data.h5"
    back = read_case(path)
    np.testing.assert_array_equal(back.ct, case.ct)
    np.testing.assert_array_equal(back.xray1, case.xray1)
    np.testing.assert_array_equal(back.mask, case.mask)
    assert back.attrs["drr"] == {"geometry": "cone", "sdd_mm": 1000.0}
    assert back.spacing_mm == (2.0, 2.0, 2.0)
    np.testing.assert_array_equal(back.affine, case.attrs["affine"])
    # X2CT compatibility: plain h5py sees ct, xray1, xray2 as the original code reads them.
    with h5py.File(path, "r") as handle:
        assert {"ct", "xray1", "xray2"} <= set(handle.keys())


def test_missing_dataset_is_named(tmp_path):
    path = tmp_path / "c" / "ct_xray_data.h5"
    path.parent.mkdir()
    with h5py.File(path, "w") as handle:
        handle["ct"] = np.zeros((4, 4, 4), np.float32)
        handle["xray1"] = np.zeros((4, 4), np.uint8)
    with pytest.raises(InputError, match="missing xray2"):
        read_case(path)


def test_corrupt_and_missing_files(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="corrupt"):
        read_case(bad)
    with pytest.raises(MissingFileError):
        read_case(tmp_path / "none.h5")


def test_write_validates_shapes(tmp_path):
    case = make_case()
    case.xray1 = case.xray1.astype(np.float32)
    with pytest.raises(InputError, match="uint8"):
        write_case(tmp_path / "x.h5", case)
    assert not (tmp_path / "x.h5").exists()


def test_case_list(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("a\n\n b \n# comment\nc # trailing\n")
    assert read_case_list(path) == ["a", "b", "c"]


def test_intensity_conventions():
    hu = np.array([-2000.0, -1024.0, 0.0, 1476.0, 3000.0])
    np.testing.assert_allclose(hu_to_stored(hu), [0.0, 0.0, 1024.0, 2500.0, 4024.0])
    np.testing.assert_allclose(stored_to_target(hu_to_stored(hu)), [0, 0, 1024 / 2500, 1, 1])
    np.testing.assert_allclose(
        target_to_hu(hu_to_target(np.array([0.0, 500.0]))), [0.0, 500.0], atol=1e-3
    )
