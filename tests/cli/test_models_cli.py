"""``x2ct models``, and the --model option of prepare, evaluate and reconstruct."""

from __future__ import annotations

from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.cli.common import EXIT_INPUT_ERROR
from x2ct.models.folder import default_model_name

runner = CliRunner()


def test_models_lists_the_default_model_with_its_holdout_numbers():
    result = runner.invoke(app, ["models"], terminal_width=200)
    assert result.exit_code == 0, result.output
    name = default_model_name()
    assert f"{name} *" in result.output
    assert "MB" in result.output and "Dice" in result.output


def test_unknown_model_is_one_line(tmp_path):
    result = runner.invoke(
        app,
        ["reconstruct", "--frontal", "a.png", "--lateral", "b.png", "--out", str(tmp_path),
         "--model", "no-such-model"],
    )  # fmt: skip
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "no-such-model" in result.output and "shipped model" in result.output
    assert result.output.count("\n") <= 2


def test_prepare_with_a_model_refuses_settings_the_model_fixes(tmp_path):
    result = runner.invoke(
        app, ["prepare", str(tmp_path), str(tmp_path / "out"), "--model", "default", "--size", "96"]
    )
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "prepare.size" in result.output


def test_prepare_refuses_model_and_config_together(tmp_path):
    result = runner.invoke(
        app,
        ["prepare", str(tmp_path), str(tmp_path / "o"), "--model", "default", "--config", "cpu"],
    )
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "--model or --config" in result.output
