"""Clinical measures from a CT-like volume: vertebral body heights, endplates, wedge, Genant
grade, Cobb and sagittal angles (see docs/measures.md).

``measure_volume(volume, labels=None, config=None) -> SpineMeasures``;
``compare_measures(pred, truth) -> dict``; ``draw_measures(volume, measures, path)``.
Only the config is imported eagerly, so ``x2ct.config`` stays light.
"""

from typing import Any

from x2ct.measures.config import MeasureConfig

__all__ = [
    "MeasureConfig",
    "SpineMeasures",
    "VertebraMeasures",
    "compare_measures",
    "draw_measures",
    "measure_volume",
]

_HOMES = {
    "measure_volume": "x2ct.measures.measure",
    "SpineMeasures": "x2ct.measures.records",
    "VertebraMeasures": "x2ct.measures.records",
    "compare_measures": "x2ct.measures.compare",
    "draw_measures": "x2ct.measures.figure",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'x2ct.measures' has no attribute '{name}'")
