"""Summaries and tables of per-case metrics: Markdown for reading, CSV for tools.

A "row" is a flat dict {metric key: number}. ``summarise`` turns a list of per-case rows into
{"mean": row, "std": row, "median": row, "n": row, "nonfinite": row}, which ``format_table``
prints directly; ``format_table`` also accepts {arm: row} to put several arms (the network, the
baselines) side by side.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from x2ct.atomic import write_text

MISSING = "–"
"""Shown in a table cell for a key that a row does not have."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def summarise(cases: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation, median and counts of each numeric key over cases.

    Only finite values enter the statistics, so an empty prediction's infinite distance or an
    undefined (NaN) metric does not poison the summary; ``nonfinite`` says how many were left out
    and ``n`` how many were used. std is the sample standard deviation (ddof 1; 0 for n = 1).
    Keys whose values are not numbers (e.g. ``per_vertebra``) are skipped.

    Args:
        cases: per-case dicts (e.g. merged ``table1``, ``corrected`` and ``shape_metrics`` rows).

    Returns:
        {"mean": {key: v}, "std": {...}, "median": {...}, "n": {...}, "nonfinite": {...}}, keys in
        order of first appearance; statistics of a key without finite values are NaN.
    """
    keys: list[str] = []
    for case in cases:
        keys.extend(k for k, v in case.items() if _is_number(v) and k not in keys)
    out: dict[str, dict[str, float]] = {s: {} for s in ("mean", "std", "median", "n", "nonfinite")}
    for key in keys:
        values = np.array([float(c[key]) for c in cases if key in c and _is_number(c[key])])
        finite = values[np.isfinite(values)]
        n = finite.size
        out["mean"][key] = float(finite.mean()) if n else math.nan
        out["std"][key] = float(finite.std(ddof=1)) if n > 1 else (0.0 if n == 1 else math.nan)
        out["median"][key] = float(np.median(finite)) if n else math.nan
        out["n"][key] = float(n)
        out["nonfinite"][key] = float(values.size - n)
    return out


def format_value(value: Any) -> str:
    """A number with precision by magnitude (0.4681, 28.43, 123.4, 24998), or the text as is."""
    if not _is_number(value):
        return MISSING if value is None else str(value)
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def format_table(
    rows: Mapping[str, Mapping[str, Any]], keys: Sequence[str] | None = None, title: str = ""
) -> str:
    """A Markdown table: one line per row (arm, case or statistic), one column per key.

    Args:
        rows: {row name: {key: value}}; a missing key prints as MISSING.
        keys: columns in order; None = the keys of all rows in order of first appearance
            (non-numeric values such as nested dicts are left out).
        title: header of the first column.

    Returns:
        The table as text, lines separated by newlines, ending with a newline.
    """
    if keys is None:
        keys = []
        for row in rows.values():
            keys.extend(k for k, v in row.items() if _is_number(v) and k not in keys)
    header = "| " + " | ".join([title, *keys]) + " |"
    rule = "|" + "|".join(["---", *["---:"] * len(keys)]) + "|"
    lines = [header, rule]
    for name, row in rows.items():
        cells = [format_value(row.get(key)) for key in keys]
        lines.append("| " + " | ".join([str(name), *cells]) + " |")
    return "\n".join(lines) + "\n"


def csv_text(rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> str:
    """CSV of flat rows: header = ``keys`` (None = all scalar keys in order of appearance).

    Numbers are written with full precision (``repr``), NaN and inf as ``nan`` / ``inf``; nested
    values are left out unless named in ``keys``.
    """
    if keys is None:
        keys = []
        for row in rows:
            keys.extend(
                k for k, v in row.items() if (_is_number(v) or isinstance(v, str)) and k not in keys
            )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow(
            [repr(float(row[k])) if _is_number(row.get(k)) else row.get(k, "") for k in keys]
        )
    return buffer.getvalue()


def write_csv(
    path: str | Path, rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None
) -> Path:
    """Write ``csv_text(rows, keys)`` to ``path`` atomically and return the path."""
    return write_text(path, csv_text(rows, keys))
