"""``x2ct info --model PRESET`` prints the network sizes."""

from __future__ import annotations

from typer.testing import CliRunner

from x2ct.cli import app


def test_info_model_paper_prints_the_reference_counts():
    result = CliRunner().invoke(app, ["info", "--model", "paper"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "generator parameters: 61715633" in lines
    assert "discriminator parameters: 11055169" in lines
    assert "output shape: (1, 1, 128, 128, 128)" in lines


def test_info_model_tiny_output_shape():
    result = CliRunner().invoke(app, ["info", "--model", "tiny"])
    assert result.exit_code == 0, result.output
    assert "output shape: (1, 1, 32, 32, 32)" in result.output.splitlines()


def test_info_model_unknown_preset_is_a_one_line_error():
    result = CliRunner().invoke(app, ["info", "--model", "no-such-preset"])
    assert result.exit_code == 2
    assert "no-such-preset" in result.output
