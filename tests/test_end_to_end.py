"""The whole pipeline at tiny sizes: phantoms -> prepare -> train -> evaluate -> reconstruct."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from x2ct.config import load_config
from x2ct.data.hdf5 import case_path, read_case
from x2ct.inference.evaluation import evaluate_run
from x2ct.inference.export import model_frame_affine, resized_affine
from x2ct.inference.reconstruct import reconstruct
from x2ct.metrics import CORRECTED_KEYS, TABLE1_KEYS
from x2ct.phantoms.writer import run_batch
from x2ct.prepare.pipeline import prepare_dataset
from x2ct.training.loop import train


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    config = load_config("tiny")
    phantoms = run_batch(root / "phantoms", 6, seed=3, config=config.phantoms, workers=1)
    assert not phantoms.failures
    report = prepare_dataset(root / "phantoms", root / "data", config, png=True)
    assert not report.failures and len(report.test) >= 1
    result = train(root / "data", config, root / "run", quiet=True)
    assert result.stopped == "finished"
    evaluation = evaluate_run(root / "run", save_predictions=True, figure_cases=1)
    case = report.test[0]
    recon = reconstruct(
        root / "data" / case / "xray1_frontal.png",
        root / "data" / case / "xray2_lateral.png",
        root / "recon",
        run_dir=root / "run",
        mesh=True,
        level=-500.0,
        truth=case_path(root / "data", case),
    )
    return {"root": root, "config": config, "case": case, "evaluation": evaluation, "recon": recon}


def test_evaluation_tables_have_every_key(pipeline):
    out = pipeline["evaluation"].out_dir
    tables = (out / "tables.md").read_text()
    for key in (*TABLE1_KEYS, "MAE-HU", "PSNR-true-3D", "SSIM-3D", "Dice", "HD95-mm", "ASSD-mm"):
        assert f"| {key} " in tables or f" {key} |" in tables, key
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["methods"]) == {"x2ct", "mean-volume", "backprojection"}
    for method in summary["methods"].values():
        assert set(TABLE1_KEYS) <= set(method["mean"])
        assert set(k for k in CORRECTED_KEYS) <= set(method["mean"])
    assert "clinical" in summary and (out / "clinical.csv").is_file()
    assert (out / "per_case.csv").read_text().count("\n") == 1 + 3 * summary["settings"]["cases"]
    assert Image.open(out / "figures" / "cases.png").size[0] > 100


def test_saved_prediction_sits_in_the_cases_patient_space(pipeline):
    out = pipeline["evaluation"].out_dir
    case = pipeline["case"]
    image = nib.load(out / "predictions" / f"{case}.nii.gz")
    stored = read_case(case_path(pipeline["root"] / "data", case))
    size = pipeline["config"].model.input_size
    expected = resized_affine(stored.affine, stored.ct.shape[0], size)
    np.testing.assert_allclose(image.affine, expected, atol=1e-4)
    data = np.asarray(image.dataobj)
    assert data.shape == (size,) * 3 and data.min() >= -1024 and data.max() <= 1476


def test_reconstruction_outputs(pipeline):
    recon, config = pipeline["recon"], pipeline["config"]
    size = config.model.input_size
    image = nib.load(recon.volume)
    voxel = config.prepare.field_mm / size
    np.testing.assert_allclose(image.affine, model_frame_affine(size, voxel), atol=1e-4)
    assert nib.aff2axcodes(image.affine) == ("I", "P", "L")
    data = np.asarray(image.dataobj)
    assert data.min() >= -1024 and data.max() <= 1476
    stl = pipeline["root"] / "recon" / "bone.stl"
    assert stl.stat().st_size > 84  # an STL header plus at least one triangle
    figure = Image.open(recon.figure)
    assert figure.size[0] > 800
    assert set(TABLE1_KEYS) <= set(recon.metrics)
    assert recon.measures is None and recon.labels is None  # not asked for / no level head


def test_reconstruct_measures_or_says_why_in_one_line(pipeline):
    """A briefly trained tiny model may or may not show vertebrae: either the measures are
    written, or one InputError line says why, after the volume and the figure are written."""
    from x2ct.errors import InputError

    root, case = pipeline["root"], pipeline["case"]
    out = root / "recon-measured"
    try:
        result = reconstruct(
            root / "data" / case / "xray1_frontal.png",
            root / "data" / case / "xray2_lateral.png",
            out,
            run_dir=root / "run",
            measure=True,
        )
    except InputError as exc:
        assert "\n" not in str(exc) and "expected" in str(exc)
    else:
        assert result.measures.summary
        assert all(path.is_file() for path in result.measures.paths.values())
    assert (out / "volume.nii.gz").is_file() and (out / "reconstruction.png").is_file()


def test_measuring_a_volume_without_bone_raises(tmp_path):
    from x2ct.config import ProjectConfig
    from x2ct.errors import InputError
    from x2ct.inference.reconstruct import measure_reconstruction

    soft_tissue = np.full((32, 32, 32), 40.0, dtype=np.float32)
    with pytest.raises(InputError):
        measure_reconstruction(
            soft_tissue, np.diag([4.0, 4.0, 4.0, 1.0]), ProjectConfig(), tmp_path
        )
    assert not any(tmp_path.iterdir())


def test_run_keeps_the_data_settings_for_reconstruction(pipeline, tmp_path):
    from x2ct.inference.predictor import DataGeometry, Predictor

    root = pipeline["root"]
    manifest = json.loads((root / "data" / "manifest.json").read_text())
    kept = json.loads((root / "run" / "data_settings.json").read_text())
    assert kept == manifest["settings"]
    predictor = Predictor.from_run(root / "run", "last")
    assert predictor.geometry.prepare.field_mm == manifest["settings"]["prepare"]["field_mm"]
    # The run's data settings win over its preset: a cube of another field of view is honoured.
    other = {**kept, "prepare": {**kept["prepare"], "field_mm": 123.0}}
    geometry = DataGeometry.from_settings(other, pipeline["config"])
    assert geometry.prepare.field_mm == 123.0
