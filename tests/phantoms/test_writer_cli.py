"""Writing phantom sets: layout, scanner orientation on disk, model frame on reading, CLI."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from phantom_cases import SMALL
from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.io import read_volume
from x2ct.phantoms import generate_phantom, write_phantoms
from x2ct.phantoms.writer import case_seed

TINY = {
    "matrix": 64,
    "inplane_spacing_mm": [2.0, 2.0],
    "slice_spacing_mm": [2.5, 2.5],
    "levels": [3, 3],
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("phantoms")
    names = write_phantoms(out, n=2, seed=7, config=SMALL, workers=1, preview=True)
    return out, names


def test_layout_and_manifest(written):
    out, names = written
    assert names == ["phantom_0000", "phantom_0001"]
    for name in names:
        for path in (
            f"volumes/{name}.nii.gz",
            f"labels/{name}_seg.nii.gz",
            f"truth/{name}.json",
            f"preview/{name}.png",
        ):
            assert (out / path).is_file(), path
        assert (out / "preview" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cases"] == names and manifest["failures"] == {}
    assert not list(out.rglob(".*tmp-*")), "no temporary file may be left behind"


def test_files_are_stored_in_scanner_order_and_read_back_in_the_model_frame(written):
    out, names = written
    for name in names:
        stored = nib.load(out / "volumes" / f"{name}.nii.gz")
        assert nib.aff2axcodes(stored.affine) == ("L", "P", "S")
        assert stored.get_data_dtype() == np.int16
        assert nib.load(out / "labels" / f"{name}_seg.nii.gz").get_data_dtype() == np.uint8
        ct = read_volume(out / "volumes" / f"{name}.nii.gz")
        labels = read_volume(out / "labels" / f"{name}_seg.nii.gz")
        assert nib.aff2axcodes(ct.affine) == ("I", "P", "L")
        truth = json.loads((out / "truth" / f"{name}.json").read_text())
        assert np.allclose(ct.affine, truth["volume"]["affine_model_frame"], atol=1e-4)
        # The same case regenerated alone from the seed in its truth file.
        again = generate_phantom(truth["seed"], SMALL)
        assert np.array_equal(labels.array, again.labels.array)
        assert np.array_equal(ct.array, np.rint(again.ct.array))
        # Anatomy in the model frame: each body centre (truth, RAS) falls inside its label, and
        # the posterior elements reach far behind it (larger H); superior levels come first.
        inverse = np.linalg.inv(labels.affine)
        for v in truth["vertebrae"]:
            if not v["complete"]:
                continue
            d, h, w = np.rint(inverse[:3, :3] @ v["body_centre"] + inverse[:3, 3]).astype(int)
            assert labels.array[d, h, w] == v["label"]
            behind = np.nonzero(labels.array == v["label"])[1].max() - h
            assert behind * labels.spacing[1] > v["body_depth_mm"] / 2 + 20
        rows = [
            np.nonzero(labels.array == v["label"])[0].mean()
            for v in truth["vertebrae"]
            if v["voxels"]
        ]
        assert rows == sorted(rows)
        # The truth centroids are where the labels are.
        for v in truth["vertebrae"]:
            if v["voxels"]:
                idx = np.argwhere(labels.array == v["label"]).mean(axis=0)
                ras = labels.affine[:3, :3] @ idx + labels.affine[:3, 3]
                assert np.allclose(ras, v["centroid"], atol=0.01)


def test_truth_names_its_case_and_seed(written):
    out, names = written
    for index, name in enumerate(names):
        truth = json.loads((out / "truth" / f"{name}.json").read_text())
        assert truth["case"] == name and truth["index"] == index and truth["base_seed"] == 7
        assert truth["seed"] == case_seed(7, index)


def test_cli_writes_the_layout_and_workers_do_not_change_the_output(tmp_path):
    runner = CliRunner()
    sets = [f"--set=phantoms.{k}={json.dumps(v)}" for k, v in TINY.items()]
    one = runner.invoke(app, ["phantoms", "--n", "2", "--out", str(tmp_path / "a"), *sets])
    assert one.exit_code == 0, one.output
    two = runner.invoke(
        app, ["phantoms", "--n", "2", "--out", str(tmp_path / "b"), "--workers", "2", *sets]
    )
    assert two.exit_code == 0, two.output
    for name in ("phantom_0000", "phantom_0001"):
        a = read_volume(tmp_path / "a" / "volumes" / f"{name}.nii.gz").array
        b = read_volume(tmp_path / "b" / "volumes" / f"{name}.nii.gz").array
        assert np.array_equal(a, b)
        assert (tmp_path / "a" / "truth" / f"{name}.json").read_text() == (
            tmp_path / "b" / "truth" / f"{name}.json"
        ).read_text()


def test_cli_rejects_bad_input(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["phantoms", "--n", "1", "--out", str(tmp_path), "--set", "phantoms.levels=[9,2]"]
    )
    assert result.exit_code == 2
    assert "phantoms.levels" in result.output


def test_cli_refuses_a_bad_setting_in_one_line_before_writing(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["phantoms", "--n", "1", "--out", str(out), "--set", "phantoms.scan_mm=[500,400]"]
    )
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: phantoms.scan_mm: expected 0 < min <= max (mm) or null, found (500.0, 400.0)"
    ]
    assert not out.exists()
