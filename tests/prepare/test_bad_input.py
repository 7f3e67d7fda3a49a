"""Bad cases in a batch: each reported on one line naming its file, the others complete."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
from prepare_cases import small_config, synthetic_case, write_ctspine1k
from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.cli.common import EXIT_PARTIAL_FAILURE
from x2ct.prepare.pipeline import prepare_dataset


def save(path, array, affine):
    nib.save(nib.Nifti1Image(array, affine), path)


def bad_dataset(root):
    """One good case and one case per kind of bad input, in the CTSpine1K layout."""
    write_ctspine1k(root, ["good"])
    volumes, labels = root / "volumes", root / "labels"
    hu, lab, affine = synthetic_case()

    save(volumes / "shape.nii.gz", hu, affine)
    save(labels / "shape_seg.nii.gz", lab[:-2], affine)

    shifted = affine.copy()
    shifted[0, 3] += 5.0
    save(volumes / "affine.nii.gz", hu, affine)
    save(labels / "affine_seg.nii.gz", lab, shifted)

    save(volumes / "nospine.nii.gz", hu, affine)
    save(labels / "nospine_seg.nii.gz", (lab > 0).astype(np.int16) * 30, affine)

    save(volumes / "floatlabels.nii.gz", hu, affine)
    save(labels / "floatlabels_seg.nii.gz", lab.astype(np.float32) * 0.5, affine)

    nan = hu.copy()
    nan[3, 3, 3] = np.nan
    save(volumes / "nan.nii.gz", nan, affine)
    save(labels / "nan_seg.nii.gz", lab, affine)

    good_bytes = (volumes / "good.nii.gz").read_bytes()
    (volumes / "corrupt.nii.gz").write_bytes(good_bytes[: len(good_bytes) // 3])
    save(labels / "corrupt_seg.nii.gz", lab, affine)

    save(volumes / "nolabels.nii.gz", hu, affine)
    save(labels / "noct_seg.nii.gz", lab, affine)

    # A spine of 53 slices x 3 mm = 159 mm (175 mm with margins) cannot fit the 128 mm cube;
    # the message proposes the next multiple of 8 mm that fits.
    tall_hu, tall_lab, tall_affine = synthetic_case(shape=(40, 40, 90), spacing=(2.0, 2.0, 3.0))
    save(volumes / "toolarge.nii.gz", tall_hu, tall_affine)
    save(labels / "toolarge_seg.nii.gz", tall_lab, tall_affine)
    return root


EXPECTED = {
    "shape": ("shape_seg.nii.gz", "shape"),
    "affine": ("affine_seg.nii.gz", "`prepare.resample_labels`"),
    "nospine": ("nospine_seg.nii.gz", "label ids present: 30"),
    "floatlabels": ("floatlabels_seg.nii.gz", "integer-valued"),
    "nan": ("nan.nii.gz", "NaN"),
    "corrupt": ("corrupt.nii.gz", "corrupt or truncated"),
    "nolabels": ("nolabels.nii.gz", "label file"),
    "noct": ("noct_seg.nii.gz", "the CT of case noct"),
    "toolarge": ("toolarge.nii.gz", "use `prepare.field_mm` 176"),
}


def test_each_bad_case_is_reported_and_the_good_one_completes(tmp_path):
    src = bad_dataset(tmp_path / "src")
    heard: dict[str, tuple[str, str]] = {}

    class Recorder:  # a BatchProgress
        total = None

        def start(self, total: int) -> None:
            self.total = total

        def case(self, name: str, status: str, detail: str = "") -> None:
            heard[name] = (status, detail)

    recorder = Recorder()
    report = prepare_dataset(src, tmp_path / "out", small_config(), progress=recorder)
    assert recorder.total == len(heard) == len(EXPECTED) + 1
    assert heard["good"] == ("done", "")
    assert {name: heard[name] for name in EXPECTED} == {
        name: ("failed", report.failures[name]) for name in EXPECTED
    }
    assert report.done == ["good"]
    assert set(report.failures) == set(EXPECTED)
    for name, (file_name, phrase) in EXPECTED.items():
        message = report.failures[name]
        assert "\n" not in message, name
        assert file_name in message, (name, message)
        assert phrase in message, (name, message)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {f["case"] for f in manifest["failures"]} == set(EXPECTED)
    assert (tmp_path / "out" / "train.txt").read_text().split() == ["good"]


def test_resample_labels_repairs_an_affine_mismatch(tmp_path):
    src = bad_dataset(tmp_path / "src")
    report = prepare_dataset(src, tmp_path / "out", small_config("prepare.resample_labels=true"))
    assert "affine" in report.done and "shape" in report.done


def test_cli_exit_code_says_some_cases_failed(tmp_path):
    src = bad_dataset(tmp_path / "src")
    result = CliRunner().invoke(
        app,
        [
            "prepare",
            str(src),
            str(tmp_path / "out"),
            "--size",
            "32",
            "--field-mm",
            "128",
            "--set",
            "xray.size=32",
        ],
    )
    assert result.exit_code == EXIT_PARTIAL_FAILURE
    assert "failed 9" in result.output
    # the library names the parameter, the command line shows the flag
    assert "use --field-mm 184 (or a smaller --margin-mm)" in " ".join(result.output.split())
    assert "`" not in result.output
