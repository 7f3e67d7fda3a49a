"""Evaluation metrics: the seed's Table 1, corrected image metrics, bone-shape metrics, reports.

- ``table1(real01, fake01)``: the seed's Table 1 exactly (``compat``), ``mean_table(cases)``.
- ``corrected(real_hu, fake_hu, data_range=None)``: true-range PSNR, 3D SSIM, MAE/RMSE in HU
  (``corrected_metrics``).
- ``shape_metrics(real_hu, fake_hu, spacing_mm, labels=None, bone_hu=200)``: bone Dice, HD95, ASSD.
- ``summarise``, ``format_table``, ``write_csv``: summaries and tables (``report``).

Definitions and caveats: docs/metrics.md.
"""

from __future__ import annotations

from x2ct.metrics.compat import TABLE1_KEYS, mean_table, table1
from x2ct.metrics.corrected_metrics import CORRECTED_KEYS, corrected
from x2ct.metrics.report import csv_text, format_table, summarise, write_csv
from x2ct.metrics.shape import SHAPE_KEYS, VERTEBRA_KEYS, shape_metrics, surface_metrics

__all__ = [
    "CORRECTED_KEYS",
    "SHAPE_KEYS",
    "TABLE1_KEYS",
    "VERTEBRA_KEYS",
    "corrected",
    "csv_text",
    "format_table",
    "mean_table",
    "shape_metrics",
    "summarise",
    "surface_metrics",
    "table1",
    "write_csv",
]
