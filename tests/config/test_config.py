"""Configuration: presets, YAML round trip, --set overrides with type checking."""

from __future__ import annotations

import dataclasses
import re

import pytest

from x2ct.config import (
    ConfigError,
    ProjectConfig,
    apply_overrides,
    check_modes,
    load_config,
    preset_names,
    save_config,
)


def test_presets_exist_and_load():
    names = preset_names()
    assert {"paper", "cpu", "tiny"} <= set(names)
    for name in names:
        config = load_config(name)
        assert config.name == name


def test_paper_preset_has_the_reference_settings():
    config = load_config("paper")
    assert config.model.input_size == 128
    assert config.train.lr == pytest.approx(2e-4)
    assert config.train.betas == (0.5, 0.99)
    assert (config.train.epochs_constant, config.train.epochs_decay) == (50, 50)
    assert (config.train.weight_gan, config.train.weight_mse, config.train.weight_projection) == (
        0.1,
        10.0,
        10.0,
    )
    assert config.train.batch_size == 1 and config.train.augment is False


def test_yaml_round_trip(tmp_path):
    config = apply_overrides(load_config("cpu"), ["train.lr=0.001", "prepare.mode=paper"])
    path = save_config(config, tmp_path / "config.yaml")
    assert load_config(path) == dataclasses.replace(config, name=config.name)


def test_override_parses_types():
    config = apply_overrides(
        ProjectConfig(),
        ["train.epochs_constant=3", "train.betas=[0.9, 0.999]", "prepare.mask_outside_hu=-1024"],
    )
    assert config.train.epochs_constant == 3
    assert config.train.betas == (0.9, 0.999)
    assert config.prepare.mask_outside_hu == -1024.0
    # Optional values accept null.
    assert apply_overrides(config, ["prepare.mask_outside_hu=null"]).prepare.mask_outside_hu is None


def test_wrong_type_is_a_clear_error():
    with pytest.raises(ConfigError) as info:
        apply_overrides(ProjectConfig(), ["train.epochs_constant=three"])
    message = str(info.value)
    assert "train.epochs_constant" in message and "int" in message and "'three'" in message
    with pytest.raises(ConfigError, match=re.escape("'aligned' | 'paper'")):
        apply_overrides(ProjectConfig(), ["prepare.mode=stretched"])
    with pytest.raises(ConfigError, match="bool"):
        apply_overrides(ProjectConfig(), ["train.augment=3"])


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        apply_overrides(ProjectConfig(), ["train.epoch=3"])
    message = str(info.value)
    assert "unknown key 'train.epoch'" in message
    assert "train.epochs_constant" in message and "train.lr" in message
    with pytest.raises(ConfigError, match=re.escape("unknown key 'nosuch.key'")):
        apply_overrides(ProjectConfig(), ["nosuch.key=1"])
    with pytest.raises(ConfigError, match=re.escape("section.key=value")):
        apply_overrides(ProjectConfig(), ["train.lr"])


def test_unknown_key_in_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  learning_rate: 0.1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "learning_rate" in str(info.value)


def test_partial_file_takes_defaults(tmp_path):
    path = tmp_path / "partial.yaml"
    path.write_text("train:\n  epochs_constant: 2\n")
    config = load_config(path)
    assert config.train.epochs_constant == 2
    assert config.train.lr == ProjectConfig().train.lr
    assert config.name == "partial"


def test_unknown_preset_name():
    with pytest.raises(ConfigError, match="preset among"):
        load_config("no-such-preset")


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ProjectConfig().train.lr = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("name", preset_names())
def test_presets_choose_one_mode_for_crop_and_views(name):
    check_modes(load_config(name))


def test_a_crop_mode_without_its_view_mode_is_refused():
    config = apply_overrides(ProjectConfig(), ["prepare.mode=paper"])
    with pytest.raises(
        ConfigError, match=re.escape("prepare.mode 'paper' and xray.mode 'aligned'")
    ):
        check_modes(config)
    check_modes(apply_overrides(config, ["xray.mode=paper"]))


def test_prepare_refuses_mixed_modes_and_the_cli_sets_both(tmp_path):
    from typer.testing import CliRunner

    from x2ct.cli import app
    from x2ct.prepare.pipeline import prepare_dataset

    config = apply_overrides(ProjectConfig(), ["xray.mode=paper"])
    with pytest.raises(ConfigError, match=re.escape("xray.mode")):
        prepare_dataset(tmp_path / "nowhere", tmp_path / "out", config)
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, ["prepare", str(tmp_path / "nowhere"), str(tmp_path / "o"),
                                      "--mode", "paper"])  # fmt: skip
    assert result.exit_code != 0
    assert "xray.mode" not in result.output  # the crop and the views got the same mode
