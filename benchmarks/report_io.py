"""Reading the benchmark results for BENCHMARKS.md (``report.py``): paths, loading, verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def load(name: str) -> dict[str, Any] | None:
    """``benchmarks/results/<name>.json`` as a dict, or None when that benchmark has not run."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def missing(name: str, command: str) -> list[str]:
    """The lines that stand in for a section whose benchmark has not run."""
    return [f"*Not measured yet: run `{command}`.*", ""]


def met(value: float, target: float, lower_is_better: bool = True) -> str:
    """'met' or 'missed': ``value`` against ``target``."""
    ok = value <= target if lower_is_better else value >= target
    return "met" if ok else "missed"
