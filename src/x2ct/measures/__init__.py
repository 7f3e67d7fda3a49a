"""Clinical measures from a CT-like volume: vertebral body heights, endplates, wedge, Genant
grade, Cobb and sagittal angles (see docs/measures.md).

``measure_volume(volume, labels=None, config=None) -> SpineMeasures``;
``compare_measures(pred, truth) -> dict``; ``draw_measures(volume, measures, path)``.
"""

from x2ct.config.measure import MeasureConfig
from x2ct.measures.compare import compare_measures
from x2ct.measures.figure import draw_measures
from x2ct.measures.measure import measure_volume
from x2ct.measures.records import SpineMeasures, VertebraMeasures

__all__ = [
    "MeasureConfig",
    "SpineMeasures",
    "VertebraMeasures",
    "compare_measures",
    "draw_measures",
    "measure_volume",
]
