"""The clinical table of an evaluation: measures on the reconstruction against references.

For each case with a vertebra label map, the measures of ``x2ct.measures`` (body heights,
endplate tilts, wedge, Cobb, lordosis, Genant grade) are taken on the reconstruction and on the
true CT, on the network's grid, with the true labels separating the vertebrae (heights and
angles come from each volume's own intensities). The reconstruction is compared with the true CT
and, for phantoms, with the generating truth; "true CT vs phantom truth" shows what the
measurement itself costs at this resolution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from x2ct.errors import InputError
from x2ct.measures.records import SpineMeasures
from x2ct.volume import Volume

CLINICAL_COLUMNS = (
    "vertebrae_paired",
    "height_anterior_mae_mm",
    "height_middle_mae_mm",
    "height_posterior_mae_mm",
    "superior_sagittal_tilt_mae_deg",
    "superior_coronal_tilt_mae_deg",
    "wedge_angle_mae_deg",
    "cobb_abs_error_deg",
    "lordosis_abs_error_deg",
    "grade_agreement",
)


def clinical_rows(
    case: str,
    real_hu: np.ndarray,
    fake_hu: np.ndarray,
    labels: np.ndarray,
    affine: np.ndarray,
    truth_json: str | None,
    config,
    predicted_labels: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Comparison rows of one case: x2ct vs true CT, x2ct vs phantom truth, true CT vs truth.

    ``predicted_labels`` (a model with a level head) separate the vertebrae of the
    reconstruction, as they would for a patient; without them the true labels do. A volume whose
    measures fail (no bone, no vertebra measurable) gives a row with ``failed = 1`` and the
    reason, so the summary can count failures.
    """
    from x2ct.measures import compare_measures, measure_volume

    label_volume = Volume(labels.astype(np.float32), affine)
    fake_labels = label_volume
    if predicted_labels is not None:
        fake_labels = Volume(predicted_labels.astype(np.float32), affine)
    measured: dict[str, SpineMeasures] = {}
    failures: dict[str, str] = {}  # volume -> why it could not be measured
    for name, hu, separation in (
        ("x2ct", fake_hu, fake_labels),
        ("true CT", real_hu, label_volume),
    ):
        try:
            measured[name] = measure_volume(Volume(hu, affine), separation, config.measure)
        except InputError as exc:
            failures[name] = str(exc)
    references: list[tuple[str, str, Any]] = [("x2ct", "true CT", measured.get("true CT"))]
    truth = None
    if truth_json and Path(truth_json).is_file():
        truth = json.loads(Path(truth_json).read_text(encoding="utf-8"))
        references += [("x2ct", "phantom truth", truth), ("true CT", "phantom truth", truth)]
    rows = []
    for source, reference, target in references:
        row: dict[str, Any] = {"case": case, "comparison": f"{source} vs {reference}"}
        reason = failures.get(source) or (failures.get(reference) if target is None else None)
        if reason is not None:
            row.update({"failed": 1.0, "reason": reason})
        else:
            row.update({"failed": 0.0, **compare_measures(measured[source], target)["summary"]})
        rows.append(row)
    return rows
