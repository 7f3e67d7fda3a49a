"""The command line: version, info, help speed (lazy imports), error reporting."""

from __future__ import annotations

import subprocess
import sys

import typer
from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.cli.common import EXIT_INPUT_ERROR, reports_errors
from x2ct.errors import InputError

runner = CliRunner()


def test_version():
    import x2ct

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"x2ct {x2ct.__version__}"


def test_info_reports_versions_and_device():
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0, result.output
    for key in ("x2ct:", "torch:", "numpy:", "threads:", "device:", "cuda available:"):
        assert key in result.output


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in (
        "info",
        "phantoms",
        "prepare",
        "drr",
        "train",
        "evaluate",
        "reconstruct",
        "measure",
        "demo",
    ):
        assert name in result.output


def heavy_modules_imported_by(code: str) -> str:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = (
        "import sys\n"
        f"{code}\n"
        "heavy = [m for m in ('torch', 'monai', 'SimpleITK', 'skimage', 'h5py') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_help_does_not_import_heavy_libraries():
    code = "from typer.testing import CliRunner\nfrom x2ct.cli import app\nCliRunner().invoke(app, ['--help'])"
    assert heavy_modules_imported_by(code) == ""


def test_reading_a_configuration_does_not_import_heavy_libraries():
    # Every stage's config module is read with a configuration; their packages must stay light.
    assert (
        heavy_modules_imported_by("from x2ct.config import load_config\nload_config('paper')") == ""
    )


def test_input_errors_become_one_line_and_exit_2():
    probe = typer.Typer()

    @probe.command()
    @reports_errors
    def broken() -> None:
        raise InputError("scan.nii.gz", "a 3D volume", "a 2D image")

    result = runner.invoke(probe, [])
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "error: scan.nii.gz: expected a 3D volume, found a 2D image" in result.output
    assert "Traceback" not in result.output


def test_missing_file_through_a_real_command(tmp_path):
    # Any command given a missing input reports it on one line (x2ct drr reads a CT).
    result = runner.invoke(app, ["info", "--model", str(tmp_path / "none.yaml")])
    assert result.exit_code != 0
