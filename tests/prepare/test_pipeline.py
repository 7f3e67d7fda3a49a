"""prepare end to end on small synthetic cases: outputs, split, manifest, resumability."""

from __future__ import annotations

import json

import numpy as np
import pytest
from prepare_cases import small_config
from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.data.hdf5 import case_path, read_case, read_case_list
from x2ct.errors import InputError
from x2ct.prepare.pipeline import prepare_dataset
from x2ct.scaling import HU_OFFSET


def test_prepares_every_case_with_the_schema(small_dataset, tmp_path):
    out = tmp_path / "out"
    report = prepare_dataset(small_dataset, out, small_config(), png=True)
    assert report.layout == "ctspine1k" and sorted(report.done) == [f"case{i}" for i in range(5)]
    assert not report.failures
    case = read_case(case_path(out, "case0"))
    assert case.ct.shape == (32, 32, 32) and case.ct.dtype == np.float32
    assert case.xray1.shape == case.xray2.shape == (32, 32) and case.xray1.dtype == np.uint8
    assert case.ct.min() >= 0.0  # HU + 1024 clipped at 0
    assert 700 + HU_OFFSET - 50 < case.ct.max() < 700 + HU_OFFSET + 50
    assert set(np.unique(case.mask)) == {0, 22, 23, 24}
    assert case.spacing_mm == pytest.approx((4.0, 4.0, 4.0))
    assert case.attrs["drr"]["geometry"] == "cone" and case.attrs["xray"]["mode"] == "aligned"
    assert (out / "case0" / "xray1_frontal.png").is_file()
    # The vertebrae keep their order: L3 (22) above L5 (24), i.e. at smaller D.
    d_of = {v: np.argwhere(case.mask == v)[:, 0].mean() for v in (22, 23, 24)}
    assert d_of[22] < d_of[23] < d_of[24]
    train, test = read_case_list(out / "train.txt"), read_case_list(out / "test.txt")
    assert len(train) == 4 and len(test) == 1 and not set(train) & set(test)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["layout"] == "ctspine1k" and manifest["failures"] == []
    assert {c["name"] for c in manifest["cases"]} == set(train) | set(test)


def test_cube_affine_places_the_cube_on_the_spine(small_dataset, tmp_path):
    from x2ct.io import read_volume

    out = tmp_path / "out"
    prepare_dataset(small_dataset, out, small_config())
    case = read_case(case_path(out, "case1"))
    labels = read_volume(small_dataset / "labels" / "case1_seg.nii.gz")
    # World centre of the labelled voxels, from the source and from the cube: within a voxel.
    source_world = labels.voxel_to_world(np.argwhere(labels.array > 0)).mean(axis=0)
    cube_index = np.argwhere(case.mask > 0)
    cube_world = cube_index @ case.affine[:3, :3].T + case.affine[:3, 3]
    assert np.abs(cube_world.mean(axis=0) - source_world).max() < 4.0


def test_resumes_and_redoes_missing_cases(small_dataset, tmp_path):
    out = tmp_path / "out"
    prepare_dataset(small_dataset, out, small_config())
    case_path(out, "case2").unlink()
    (out / "case3" / ".ct_xray_data.h5.tmp-crashed.h5").write_bytes(b"half")
    report = prepare_dataset(small_dataset, out, small_config())
    assert report.done == ["case2"]
    assert sorted(report.skipped) == ["case0", "case1", "case3", "case4"]


def test_other_settings_in_the_same_folder_are_refused(small_dataset, tmp_path):
    out = tmp_path / "out"
    prepare_dataset(small_dataset, out, small_config())
    with pytest.raises(InputError, match=r"prepare\.mode"):
        prepare_dataset(small_dataset, out, small_config("prepare.mode=paper", "xray.mode=paper"))
    report = prepare_dataset(
        small_dataset, out, small_config("prepare.mode=paper", "xray.mode=paper"), overwrite=True
    )
    assert len(report.done) == 5


def test_paper_mode_and_parallel_geometry(small_dataset, tmp_path):
    config = small_config("prepare.mode=paper", "xray.mode=paper", "drr.geometry=parallel")
    report = prepare_dataset(small_dataset, tmp_path / "paper", config)
    assert not report.failures
    case = read_case(case_path(tmp_path / "paper", "case0"))
    # The box is stretched: voxels are not isotropic any more.
    assert case.spacing_mm[0] != pytest.approx(case.spacing_mm[1])
    assert case.xray1.max() >= 240  # min-max normalised, then resized (linear)


def test_workers_give_the_same_files(small_dataset, tmp_path):
    prepare_dataset(small_dataset, tmp_path / "one", small_config(), workers=1)
    prepare_dataset(small_dataset, tmp_path / "two", small_config(), workers=2)
    for name in ("case0", "case4"):
        a, b = (
            read_case(case_path(tmp_path / "one", name)),
            read_case(case_path(tmp_path / "two", name)),
        )
        np.testing.assert_array_equal(a.ct, b.ct)
        np.testing.assert_array_equal(a.xray1, b.xray1)


def test_cli_prepare_and_drr(small_dataset, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["prepare", str(small_dataset), str(out), "--size", "32", "--field-mm", "128"]
    result = runner.invoke(app, [*args, "--set", "xray.size=32"])
    assert result.exit_code == 0, result.output
    assert "prepared 5" in result.output
    result = runner.invoke(
        app,
        [
            "drr",
            str(small_dataset / "volumes" / "case0.nii.gz"),
            "--labels",
            str(small_dataset / "labels" / "case0_seg.nii.gz"),
            "--out",
            str(tmp_path / "drr"),
            "--set",
            "prepare.size=32",
            "--set",
            "prepare.field_mm=128",
            "--set",
            "xray.size=32",
            "--spine-labels",
            "ctspine1k",
        ],
    )
    assert result.exit_code == 0, result.output
    from PIL import Image

    png = np.asarray(Image.open(tmp_path / "drr" / "case0_xray1_frontal.png"))
    np.testing.assert_array_equal(png, read_case(case_path(out, "case0")).xray1)


def test_cli_drr_renders_the_noisy_processed_views_prepare_writes(small_dataset, tmp_path):
    poly = ["drr.physics=poly", "drr.display=processed", "drr.detector_kerma_ugy=2.5"]
    report = prepare_dataset(small_dataset, tmp_path / "data", small_config(*poly))
    assert not report.failures
    sets = [x for item in (*poly, "prepare.size=32", "prepare.field_mm=128", "xray.size=32")
            for x in ("--set", item)]  # fmt: skip
    result = CliRunner().invoke(
        app,
        ["drr", str(small_dataset / "volumes" / "case0.nii.gz"), "--labels",
         str(small_dataset / "labels" / "case0_seg.nii.gz"), "--out", str(tmp_path / "drr"),
         "--spine-labels", "ctspine1k", *sets],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    from PIL import Image

    png = np.asarray(Image.open(tmp_path / "drr" / "case0_xray1_frontal.png"))
    np.testing.assert_array_equal(png, read_case(case_path(tmp_path / "data", "case0")).xray1)


def test_polyenergetic_processed_views_with_noise_are_reproducible(small_dataset, tmp_path):
    """drr.physics poly with quantum noise and the DR display: the same case gives the same
    views when prepared again, and different cases get different noise."""
    settings = (
        "drr.physics=poly", "drr.display=processed", "drr.detector_kerma_ugy=2.5",
        "drr.scatter_to_primary=0.3", "drr.detector_blur_mm=0.5",
    )  # fmt: skip
    first = prepare_dataset(small_dataset, tmp_path / "a", small_config(*settings))
    prepare_dataset(small_dataset, tmp_path / "b", small_config(*settings))
    assert not first.failures
    a0, b0 = (read_case(case_path(tmp_path / d, "case0")) for d in ("a", "b"))
    np.testing.assert_array_equal(a0.xray1, b0.xray1)
    np.testing.assert_array_equal(a0.xray2, b0.xray2)
    assert a0.attrs["drr"]["physics"] == "poly" and a0.attrs["drr"]["display"] == "processed"
    assert a0.xray1.max() > 200 and a0.xray1.min() < 30  # the chain spans the grey range
    mono = prepare_dataset(small_dataset, tmp_path / "mono", small_config())
    assert not mono.failures
    plain = read_case(case_path(tmp_path / "mono", "case0"))
    assert not np.array_equal(plain.xray1, a0.xray1)
