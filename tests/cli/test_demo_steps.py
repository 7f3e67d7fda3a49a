"""The demo's first step: the default shipped model on phantoms it never saw."""

from __future__ import annotations

import io

import nibabel as nib
from rich.console import Console

from x2ct.cli import demo_steps


def test_shipped_model_step_reconstructs_new_phantoms(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_steps, "SHIPPED_CASES", 2)
    printed = io.StringIO()
    result = demo_steps._shipped_model(tmp_path, 2, Console(file=printed, width=200))
    assert "shipped model" in printed.getvalue() and "bone Dice" in printed.getvalue()
    volume, labels = nib.load(result.volume), nib.load(result.labels)
    assert volume.shape == labels.shape == (64, 64, 64)
    assert result.figure.is_file() and result.mesh.is_file()
    assert result.metrics["Dice"] > 0.3  # the shipped model shows bone where the truth has it
    # measured, or one line saying why not
    assert result.measures is not None or "measures of phantom_" in printed.getvalue()
