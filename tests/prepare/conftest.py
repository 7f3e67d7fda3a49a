"""Fixtures of the prepare tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from prepare_cases import write_ctspine1k


@pytest.fixture
def small_dataset(tmp_path) -> Path:
    """Five good cases in the CTSpine1K layout."""
    return write_ctspine1k(tmp_path / "src", [f"case{i}" for i in range(5)])
