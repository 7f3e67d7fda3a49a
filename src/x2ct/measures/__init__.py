"""Clinical measures from a CT-like volume: vertebral body heights, endplates, wedge, Genant
grade, Cobb and sagittal angles (see docs/measures.md).

``measure_volume(volume, labels=None, config=None) -> SpineMeasures``;
``compare_measures(pred, truth) -> dict``; ``draw_measures(volume, measures, path)``.
Only the config is imported eagerly, so ``x2ct.config`` stays light.
"""

from x2ct.lazy import lazy_exports
from x2ct.measures.config import MeasureConfig

__all__ = [
    "MeasureConfig",
    "SpineMeasures",
    "VertebraMeasures",
    "compare_measures",
    "draw_measures",
    "measure_volume",
]

__getattr__, __dir__ = lazy_exports(
    "x2ct.measures",
    {
        "measure_volume": "measure",
        "SpineMeasures": "records",
        "VertebraMeasures": "records",
        "compare_measures": "compare",
        "draw_measures": "figure",
    },
    globals(),
)
