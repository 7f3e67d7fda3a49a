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


def test_reconstruct_turns_a_view_as_told_and_refuses_a_bad_orientation(tmp_path):
    from pathlib import Path

    import numpy as np
    from PIL import Image

    example = Path(__file__).resolve().parents[2] / "src/x2ct/app/example_data/holdout-1/spine-cpu"
    lateral = tmp_path / "lateral_facing_right.png"
    Image.fromarray(np.asarray(Image.open(example / "xray2_lateral.png"))[:, ::-1]).save(lateral)
    args = [
        "reconstruct",
        "--frontal",
        str(example / "xray1_frontal.png"),
        "--lateral",
        str(lateral),
    ]
    result = runner.invoke(
        app, [*args, "--out", str(tmp_path / "a"), "--lateral-orientation", "A,F"],
        terminal_width=200,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "turned  " in result.output and "mirrored left-right" in result.output
    turned = np.asarray(Image.open(tmp_path / "a" / "inputs" / "xray2_lateral.png"))
    plain = runner.invoke(app, [*args[:3], "--lateral", str(example / "xray2_lateral.png"),
                                "--out", str(tmp_path / "b")])  # fmt: skip
    assert plain.exit_code == 0, plain.output
    np.testing.assert_array_equal(
        turned, np.asarray(Image.open(tmp_path / "b" / "inputs" / "xray2_lateral.png"))
    )
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--lateral-orientation", "L,F"])
    assert bad.exit_code == EXIT_INPUT_ERROR
    assert "expected a lateral view" in bad.output and bad.output.count("\n") <= 2
