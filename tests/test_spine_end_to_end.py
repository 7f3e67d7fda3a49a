"""The spine model family through the whole pipeline at tiny sizes, and model folders.

phantoms -> prepare -> train SpineNet (labels, bone) -> resume bit for bit -> export a model
folder -> evaluate / reconstruct / prepare with --model.
"""

from __future__ import annotations

import json
from dataclasses import replace

import nibabel as nib
import numpy as np
import pytest
import torch

from x2ct.config import load_config
from x2ct.config.model import ModelConfig
from x2ct.data.hdf5 import case_path
from x2ct.errors import InputError
from x2ct.inference.evaluation import evaluate_run
from x2ct.inference.predictor import Predictor
from x2ct.inference.reconstruct import reconstruct
from x2ct.models.folder import load_model, read_card, resolve_model
from x2ct.phantoms.writer import run_batch
from x2ct.prepare.pipeline import prepare_dataset
from x2ct.training.export import export_model
from x2ct.training.loop import train

SPINE_TINY = ModelConfig(
    family="spine",
    input_size=32,
    view_size=32,
    spine_channels_2d=(4, 4, 8),
    spine_channels_3d=(4, 4, 8),
    spine_bottom_blocks=1,
)


def spine_tiny_config(**train):
    config = load_config("tiny")
    settings = {"adversarial": False, "lr": 1e-3, "betas": (0.9, 0.999), "batch_size": 2}
    settings.update(train)
    return replace(
        config, name="spine-tiny", model=SPINE_TINY, train=replace(config.train, **settings)
    )


@pytest.fixture(scope="module")
def spine_pipeline(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("spine")
    config = spine_tiny_config()
    phantoms = run_batch(root / "phantoms", 6, seed=5, config=config.phantoms, workers=1)
    assert not phantoms.failures
    report = prepare_dataset(root / "phantoms", root / "data", config, png=True)
    assert not report.failures and len(report.test) >= 1
    result = train(root / "data", config, root / "run", quiet=True)
    assert result.stopped == "finished"
    model = export_model(root / "run", root / "model", name="spine-tiny", card={"note": "test"})
    return {"root": root, "config": config, "report": report, "model": model}


def test_training_logs_the_spine_losses_and_bone_dice(spine_pipeline):
    rows = (spine_pipeline["root"] / "run" / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    for key in ("loss", "l1", "bone_dice", "level_dice", "level_ce", "val_MAE0", "val_bone_Dice"):
        assert key in header
    assert len(rows) == 3  # two epochs


def test_spine_resume_is_bitwise_identical(spine_pipeline, tmp_path):
    data = spine_pipeline["root"] / "data"
    config = spine_pipeline["config"]
    train(
        data, replace(config, train=replace(config.train, max_steps=2)), tmp_path / "r", quiet=True
    )
    train(data, config, tmp_path / "r", resume=True, quiet=True)
    reference = torch.load(spine_pipeline["root"] / "run" / "checkpoints" / "last.pt")
    resumed = torch.load(tmp_path / "r" / "checkpoints" / "last.pt")
    for key, value in reference["generator"].items():
        assert torch.equal(value, resumed["generator"][key]), key


def test_exported_folder_loads_and_predicts_like_the_run(spine_pipeline):
    folder = spine_pipeline["model"]
    card = read_card(folder)
    assert card["name"] == "spine-tiny" and card["family"] == "spine" and card["note"] == "test"
    _, _network, settings = load_model(folder)
    assert settings["prepare"]["mode"] == "aligned"
    run = Predictor.from_run(spine_pipeline["root"] / "run", "last")
    exported = Predictor.from_model(folder)
    x1, x2 = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    a = run.predict_batch(x1, x2)
    b = exported.predict_batch(x1, x2)
    # float16 weights: the predictions agree to float16 precision of the [0, 1] target.
    assert float((a - b).abs().mean()) < 2e-3
    assert exported.predict_labels_batch(x1, x2).shape == (1, 32, 32, 32)


def test_evaluate_with_a_model_folder_reports_level_dice(spine_pipeline, tmp_path):
    root = spine_pipeline["root"]
    # The clinical measures of a barely trained network's labels are slow and say nothing here.
    result = evaluate_run(
        None,
        root / "data",
        split="all",
        out_dir=tmp_path / "eval",
        model=root / "model",
        clinical=False,
    )
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["settings"]["labels"] == "predicted"
    assert summary["settings"]["cases"] == 6
    assert "level_Dice" in summary["methods"]["x2ct"]["mean"]
    assert set(summary["methods"]) == {"x2ct"}  # no baselines: nothing held out to learn from
    assert result.rows


def test_reconstruct_with_a_model_writes_labels(spine_pipeline, tmp_path):
    root, case = spine_pipeline["root"], spine_pipeline["report"].test[0]
    outputs = reconstruct(
        root / "data" / case / "xray1_frontal.png",
        root / "data" / case / "xray2_lateral.png",
        tmp_path / "recon",
        truth=case_path(root / "data", case),
        model=str(root / "model"),
    )
    labels = nib.load(outputs.labels)
    volume = nib.load(outputs.volume)
    assert labels.shape == volume.shape == (32, 32, 32)
    np.testing.assert_allclose(labels.affine, volume.affine)
    assert set(np.unique(np.asarray(labels.dataobj))) <= set(range(26))


def test_unknown_model_name_is_one_clear_error():
    with pytest.raises(InputError, match="shipped model"):
        resolve_model("no-such-model")
    with pytest.raises(InputError, match="shipped model"):
        resolve_model("../../etc")


def test_export_refuses_a_bad_name_and_a_used_folder(spine_pipeline, tmp_path):
    run = spine_pipeline["root"] / "run"
    with pytest.raises(InputError, match="letters"):
        export_model(run, tmp_path / "m", name="../x")
    with pytest.raises(InputError, match="new or empty"):
        export_model(run, spine_pipeline["model"], name="again")


def test_adversarial_ordinal_run_resumes_bitwise_with_its_discriminator(spine_pipeline, tmp_path):
    """The measured options together: PatchGAN term and ordinal level head, stopped and resumed."""
    data = spine_pipeline["root"] / "data"
    base = spine_tiny_config(adversarial=True)
    model = replace(
        SPINE_TINY, spine_level_head="ordinal", discriminator_channels=4, discriminator_layers=2
    )
    config = replace(base, model=model)
    whole = train(data, config, tmp_path / "whole", quiet=True)
    assert whole.stopped == "finished" and whole.discriminator is not None
    stopped = replace(config, train=replace(config.train, max_steps=2))
    train(data, stopped, tmp_path / "parts", quiet=True)
    train(data, config, tmp_path / "parts", resume=True, quiet=True)
    reference = torch.load(tmp_path / "whole" / "checkpoints" / "last.pt")
    resumed = torch.load(tmp_path / "parts" / "checkpoints" / "last.pt")
    for part in ("generator", "discriminator"):
        for key, value in reference[part].items():
            assert torch.equal(value, resumed[part][key]), (part, key)
    header = (tmp_path / "whole" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"gan", "loss_d", "level_index"} <= set(header)
    labels = Predictor.from_run(tmp_path / "whole", "last").predict_labels_batch(
        torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    )
    assert labels.shape == (1, 32, 32, 32) and int(labels.min()) >= 0 and int(labels.max()) <= 25
