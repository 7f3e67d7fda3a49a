"""``x2ct app`` on the command line: listed, documented, and one clear line without gradio."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from x2ct.cli import app

runner = CliRunner()


def test_app_command_is_listed_with_its_options():
    result = runner.invoke(app, ["app", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--model", "127.0.0.1", "7860"):
        assert option in result.output


def test_without_the_extra_one_line_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio now raises ImportError
    result = runner.invoke(app, ["app"])
    assert result.exit_code == 2
    assert "pip install 'x2ct[app]'" in result.output
    assert "Traceback" not in result.output


def test_cli_help_does_not_import_the_page():
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom x2ct.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "assert 'gradio' not in sys.modules and 'x2ct.app.page' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
