"""``x2ct train`` on the command line: a short run, and one-line errors before training."""

from __future__ import annotations

import dataclasses
import shutil

import h5py
import numpy as np
import pytest
import torch
from train_cases import tiny_config
from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.config import save_config
from x2ct.models.runfolder import load_run

runner = CliRunner()


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    save_config(tiny_config(epochs_constant=1, epochs_decay=0, image_cases=0), path)
    return path


@pytest.fixture(scope="module")
def cli_run(data_dir, config_file, tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    result = runner.invoke(app, ["train", str(data_dir), "-c", str(config_file), "-o", str(run)])
    assert result.exit_code == 0, result.output
    assert "finished at epoch 1, step 4; best MAE0" in result.output.replace("\n", " ")
    return run


def _fails(args: list[str], *fragments: str) -> str:
    result = runner.invoke(app, ["train", *args])
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith("error:") and "Traceback" not in message
    assert len(message.replace("\n", " ").split("error:")) == 2  # a single error line
    for fragment in fragments:
        assert fragment in message.replace("\n", " "), message
    return message


def test_cli_trains_and_resume_of_a_finished_run_does_nothing(cli_run, data_dir):
    assert (cli_run / "checkpoints" / "best.pt").is_file()
    result = runner.invoke(app, ["train", str(data_dir), "-o", str(cli_run), "--resume"])
    assert result.exit_code == 0, result.output
    assert "already done at epoch 1, step 4" in result.output.replace("\n", " ")


def test_unknown_set_key(data_dir, config_file, tmp_path):
    _fails(
        [str(data_dir), "-c", str(config_file), "-o", str(tmp_path / "r"), "--set", "train.nope=1"],
        "unknown key 'train.nope'",
    )
    assert not (tmp_path / "r").exists()


def test_bad_set_value(data_dir, config_file, tmp_path):
    args = [str(data_dir), "-c", str(config_file), "-o", str(tmp_path / "r")]
    _fails([*args, "--set", "train.batch_size=0"], "train.batch_size", "at least 1")


def test_data_folder_without_train_list(tmp_path, config_file):
    (tmp_path / "data").mkdir()
    _fails([str(tmp_path / "data"), "-c", str(config_file), "-o", str(tmp_path / "r")], "train.txt")
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_case_missing_its_hdf5(tmp_path, data_dir, config_file):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    shutil.rmtree(data / "case001")
    _fails([str(data), "-c", str(config_file), "-o", str(tmp_path / "r")], "case001")


def test_hdf5_without_xray2(tmp_path, data_dir, config_file):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    with h5py.File(data / "case004" / "ct_xray_data.h5", "a") as handle:
        del handle["xray2"]
    _fails([str(data), "-c", str(config_file), "-o", str(tmp_path / "r")], "missing xray2")


def test_hdf5_with_unusable_shapes(tmp_path, data_dir, config_file):
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    with h5py.File(data / "case002" / "ct_xray_data.h5", "a") as handle:
        del handle["xray1"]
        handle["xray1"] = np.zeros((16, 16, 3), np.uint8)  # an RGB image
    _fails([str(data), "-c", str(config_file), "-o", str(tmp_path / "r")], "xray1 as a 2D")


def test_resume_with_another_preset(cli_run, data_dir, tmp_path):
    other = tiny_config()
    other = dataclasses.replace(
        other, name="other", model=dataclasses.replace(other.model, width=0.25)
    )
    path = save_config(other, tmp_path / "other.yaml")
    _fails(
        [str(data_dir), "-c", str(path), "-o", str(cli_run), "--resume"],
        "model settings of the run",
        "model.width",
    )


def test_fresh_run_into_an_existing_run(cli_run, data_dir, config_file):
    _fails([str(data_dir), "-c", str(config_file), "-o", str(cli_run)], "--resume")


def test_config_required_without_resume(data_dir, tmp_path):
    _fails([str(data_dir), "-o", str(tmp_path / "r")], "--config")


def test_tiny_preset_trains_from_the_command_line(data_dir, tmp_path):
    # The bundled preset (32^3): the 16^3 cases are resized to its input size.
    run = tmp_path / "run"
    args = ["train", str(data_dir), "-c", "tiny", "-o", str(run), "--set", "train.max_steps=2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "max_steps at epoch 0, step 2" in " ".join(result.output.split())
    config, generator = load_run(run)  # no validation yet: falls back to last.pt
    assert config.name == "tiny" and config.train.max_steps == 2
    assert generator(*[torch.rand(1, 1, 32, 32)] * 2).shape == (1, 1, 32, 32, 32)
