"""Writing a measurement: measures.csv (one row per vertebra), measures.json and measures.png."""

from __future__ import annotations

import json
from pathlib import Path

from x2ct.atomic import write_text
from x2ct.measures.records import SpineMeasures
from x2ct.volume import Volume


def write_measures(
    volume: Volume, measures: SpineMeasures, out_dir: str | Path, dpi: int = 120
) -> dict[str, Path]:
    """Write the three files into ``out_dir`` (atomically) and return their paths."""
    from x2ct.measures.figure import draw_measures
    from x2ct.metrics.report import csv_text

    out_dir = Path(out_dir)
    rows = measures.per_vertebra_rows()
    paths = {
        "csv": write_text(out_dir / "measures.csv", csv_text(rows, list(rows[0])) if rows else ""),
        "json": write_text(
            out_dir / "measures.json", json.dumps(measures.to_dict(), indent=1) + "\n"
        ),
    }
    paths["figure"] = Path(draw_measures(volume, measures, out_dir / "measures.png", dpi=dpi))
    return paths


def summary_lines(measures: SpineMeasures) -> list[str]:
    """Short human-readable lines: measured count, Cobb, lordosis, graded fractures."""
    measured = [v for v in measures.vertebrae if v.measured]
    first = f"{len(measured)} of {len(measures.vertebrae)} vertebrae measured"
    if measures.cobb_deg is not None:
        first += f", Cobb {measures.cobb_deg:.1f} deg ({measures.cobb_upper_end}-{measures.cobb_lower_end})"
    if measures.lordosis_deg is not None:
        first += f", lordosis {measures.lordosis_deg:.1f} deg"
    lines = [first]
    for v in measures.vertebrae:
        if v.genant_grade:
            lines.append(
                f"{v.level}: Genant grade {v.genant_grade} ({v.deformity_type}, {100 * v.height_loss:.0f} % height loss)"
            )
    return lines
