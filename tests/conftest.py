"""Shared test fixtures: the real CT with vertebra labels, and temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_DIR = Path(__file__).resolve().parents[1] / "data" / "totalseg-lumbar"
"""The real CT shipped with the repository (Apache-2.0, see its LICENSE and README)."""


@pytest.fixture(scope="session")
def real_ct_dir() -> Path:
    """Folder holding the real lumbar CT (ct.nii.gz) and its TotalSegmentator v2 labels."""
    assert (REAL_DIR / "ct.nii.gz").is_file(), f"the repository's real CT is missing: {REAL_DIR}"
    return REAL_DIR
