"""Evaluation metrics: the seed's Table 1, corrected image metrics, bone-shape metrics, reports.

- ``table1(real01, fake01)``: the seed's Table 1 exactly (``compat``), ``mean_table(cases)``.
- ``corrected(real_hu, fake_hu, data_range=None)``: true-range PSNR, 3D SSIM, MAE/RMSE in HU
  (``corrected_metrics``).
- ``shape_metrics(real_hu, fake_hu, spacing_mm, labels=None, bone_hu=200)``: bone Dice, HD95, ASSD.
- ``summarise``, ``format_table``, ``write_csv``: summaries and tables (``report``).

Definitions and caveats: docs/metrics.md. The submodules are imported on first use, so that
``x2ct.metrics.config`` (read with every configuration) stays cheap to import.
"""

from __future__ import annotations

from x2ct.lazy import lazy_exports

_EXPORTS = {
    "TABLE1_KEYS": "compat",
    "table1": "compat",
    "mean_table": "compat",
    "CORRECTED_KEYS": "corrected_metrics",
    "corrected": "corrected_metrics",
    "SHAPE_KEYS": "shape",
    "VERTEBRA_KEYS": "shape",
    "shape_metrics": "shape",
    "surface_metrics": "shape",
    "summarise": "report",
    "format_table": "report",
    "csv_text": "report",
    "write_csv": "report",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports("x2ct.metrics", _EXPORTS, globals())
