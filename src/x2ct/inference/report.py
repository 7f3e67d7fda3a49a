"""Summaries, Markdown tables, CSV files and the case figure of an evaluation."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from x2ct.atomic import write_text
from x2ct.levels import LEVEL_NAMES, level_name
from x2ct.metrics import CORRECTED_KEYS, TABLE1_KEYS, format_table, summarise, write_csv
from x2ct.metrics.report import format_value

SHAPE_COLUMNS = (
    "Dice",
    "HD95-mm",
    "ASSD-mm",
    "Dice-vert",
    "HD95-vert-mm",
    "ASSD-vert-mm",
    "empty-prediction",
)
CORRECTED_COLUMNS = tuple(
    k for k in CORRECTED_KEYS if k not in ("zero-error-slices", "data-range-HU")
)


def summarise_methods(
    rows: list[dict[str, Any]],
    vertebra_rows: list[dict[str, Any]],
    clinical_rows: list[dict[str, Any]] = (),
) -> dict[str, Any]:
    """{"methods": {method: summarise(...)}, "per_vertebra": {method: {level: means}}, and with
    clinical rows "clinical": {comparison: summarise(...)}}."""
    by_method: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_method[row["method"]].append(row)
    per_vertebra: dict[str, dict[str, dict[str, float]]] = {}
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in vertebra_rows:
        grouped[(row["method"], row["vertebra"])].append(row)
    for (method, vertebra), items in sorted(grouped.items()):
        means = summarise(items)["mean"]
        means.pop("vertebra", None)
        means["cases"] = float(len(items))
        per_vertebra.setdefault(method, {})[level_name(vertebra)] = means
    out = {"methods": {m: summarise(r) for m, r in by_method.items()}, "per_vertebra": per_vertebra}
    if clinical_rows:
        by_comparison: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in clinical_rows:
            by_comparison[row["comparison"]].append(row)
        out["clinical"] = {name: summarise(items) for name, items in by_comparison.items()}
    return out


def _mean_std_rows(summary: dict[str, Any], keys: tuple[str, ...]) -> dict[str, dict[str, str]]:
    rows = {}
    for method, stats in summary["methods"].items():
        cells = {}
        for key in keys:
            mean, std = stats["mean"].get(key), stats["std"].get(key)
            if mean is None:
                continue
            cells[key] = (
                format_value(mean)
                if std is None or not np.isfinite(std)
                else f"{format_value(mean)} ± {format_value(std)}"
            )
        rows[method] = cells
    return rows


def markdown_tables(summary: dict[str, Any]) -> str:
    """The three tables (mean ± sample std over cases) and the per-vertebra table of the model."""
    settings = summary.get("settings", {})
    n = settings.get("cases", "?")
    parts = [
        f"# Evaluation of {settings.get('run', 'a run')} ({settings.get('split', 'test')} split, {n} cases,"
        f" {settings.get('grid', '?')}^3 grid)\n",
        "## Table 1, as the seed computed it\n",
        "int32-truncated CT scale, peak 4095, 100 dB for zero-error slices; mean ± std over cases.\n",
        format_table(_mean_std_rows(summary, TABLE1_KEYS), TABLE1_KEYS, "method"),
        "## Corrected image metrics (HU; true data range, no 100 dB slices)\n",
        format_table(_mean_std_rows(summary, CORRECTED_COLUMNS), CORRECTED_COLUMNS, "method"),
        f"## Bone shape (bone >= {settings.get('bone_hu', 200):g} HU; distances in mm)\n",
        format_table(_mean_std_rows(summary, SHAPE_COLUMNS), SHAPE_COLUMNS, "method"),
    ]
    for method, levels in summary.get("per_vertebra", {}).items():
        if method != "x2ct":
            continue
        ordered = dict(
            sorted(
                levels.items(),
                key=lambda kv: LEVEL_NAMES.index(kv[0]) if kv[0] in LEVEL_NAMES else 99,
            )
        )
        parts += [
            "## Per vertebra (x2ct, mean over cases)\n",
            format_table(ordered, ("Dice", "HD95-mm", "ASSD-mm", "cases"), "level"),
        ]
    if "clinical" in summary:
        from x2ct.inference.clinical import CLINICAL_COLUMNS

        rows = {}
        for name, stats in summary["clinical"].items():
            rows[name] = dict(stats["mean"])
            rows[name]["failed"] = stats["mean"].get("failed", 0.0) * stats["n"].get("failed", 0.0)
        parts += [
            "## Clinical measures (mean absolute errors over cases; vertebrae separated by the"
            " true labels)\n",
            format_table(rows, (*CLINICAL_COLUMNS, "failed"), "comparison"),
        ]
    return "\n".join(parts)


def write_outputs(result, figure_items, bone_hu: float) -> str:
    """Write per_case.csv, per_vertebra.csv, tables.md and figures/cases.png; return the tables."""
    from x2ct.inference.figures import cases_figure

    out = result.out_dir
    write_csv(out / "per_case.csv", result.rows)
    if result.vertebra_rows:
        write_csv(out / "per_vertebra.csv", result.vertebra_rows)
    if result.clinical_rows:
        write_csv(out / "clinical.csv", result.clinical_rows)
    tables = markdown_tables(result.summary)
    write_text(out / "tables.md", tables)
    if figure_items:
        cases_figure(out / "figures" / "cases.png", figure_items, bone_hu)
    return tables
