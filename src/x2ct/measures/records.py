"""Result records: one ``VertebraMeasures`` per vertebra and the ``SpineMeasures`` of a volume.

Units: millimetres and degrees; positions and directions are RAS (x to the patient's right,
y anterior, z superior), as the affine of the volume. Sign conventions are those of the phantom
truth (docs/phantoms.md) and are repeated in ``CONVENTIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA = "x2ct-measures/1"

CONVENTIONS = {
    "world": "RAS mm (x to patient right, y anterior, z superior), through the volume's affine",
    "endplate_normal": "unit normal of the fitted endplate plane (RAS), pointing superiorly",
    "coronal_tilt_deg": "atan2(n.left, n.superior): + when the endplate descends to the patient's left",
    "sagittal_tilt_deg": "atan2(n.anterior, n.superior): + when the endplate descends anteriorly",
    "heights": "anterior / posterior: length of the anterior wall / posterior wall in the "
    "vertebra's mid-sagittal plane between its corners on the two endplate planes; middle: "
    "between the concave endplate surfaces at the centre of the body",
    "wedge_angle_deg": "sagittal angle between the endplates in the vertebra's frame, + when the "
    "anterior height is the smaller",
    "coronal_wedge_deg": "coronal angle between the endplates, + when the left side is taller",
    "genant": "height loss = max(wedge 1 - (Ha/Hp)/ref, biconcave 1 - (Hm/Hp)/ref, crush "
    "1 - Hp/ref), refs = medians of the same quantity over up to 2 neighbours on each side, "
    "Ha/Hp and Hp each divided by the level's normal value when the levels are named T1-L5; "
    "grade 0 < 20 %, 1 20-25 %, 2 25-40 %, 3 > 40 %",
    "cobb_deg": "max |coronal tilt(superior endplate of upper) - coronal tilt(inferior endplate "
    "of lower)| over the complete vertebrae",
    "lordosis_deg": "sagittal tilt(inferior endplate of the lowest complete lumbar vertebra) - "
    "sagittal tilt(superior endplate of the highest); + = lordotic",
    "kyphosis_deg": "sagittal tilt(superior endplate of the highest complete thoracic vertebra) - "
    "sagittal tilt(inferior endplate of the lowest); + = kyphotic",
    "sagittal_deg": "sagittal tilt(inferior endplate of the lowest complete vertebra) - sagittal "
    "tilt(superior endplate of the highest); + = lordotic, - = kyphotic",
}


def _r(value: Any, digits: int = 3) -> Any:
    """Round floats, arrays and nested lists for JSON; None and strings pass."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_r(v, digits) for v in value]
    return round(float(value), digits)


@dataclass
class Endplate:
    """One endplate plane: superior-pointing unit normal (RAS) and its tilts (degrees)."""

    normal: tuple[float, float, float]
    coronal_tilt_deg: float
    sagittal_tilt_deg: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "normal": _r(self.normal, 6),
            "coronal_tilt_deg": _r(self.coronal_tilt_deg),
            "sagittal_tilt_deg": _r(self.sagittal_tilt_deg),
        }


@dataclass
class VertebraMeasures:
    """Measures of one vertebra (mm, degrees, RAS). Values are None where they could not be
    measured (``notes`` says why) or where the vertebra is cut by the volume's border."""

    level: str
    label: int
    complete: bool
    voxels: int
    centroid: tuple[float, float, float]
    body_centre: tuple[float, float, float] | None = None
    axes: dict[str, tuple[float, float, float]] | None = None
    body_width_mm: float | None = None
    body_depth_mm: float | None = None
    height_anterior_mm: float | None = None
    height_middle_mm: float | None = None
    height_posterior_mm: float | None = None
    endplate_superior: Endplate | None = None
    endplate_inferior: Endplate | None = None
    wedge_angle_deg: float | None = None
    coronal_wedge_deg: float | None = None
    height_loss: float | None = None
    deformity_type: str | None = None
    genant_grade: int | None = None
    landmarks: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    """RAS points for figures: superior/inferior endplate at the anterior, middle and
    posterior positions (mid-sagittal) and at the right and left margins (mid-coronal)."""
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        """True when both endplates were fitted."""
        return self.endplate_superior is not None and self.endplate_inferior is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (landmarks included)."""
        return {
            "level": self.level,
            "label": self.label,
            "complete": self.complete,
            "voxels": self.voxels,
            "centroid": _r(self.centroid),
            "body_centre": _r(self.body_centre),
            "axes": None if self.axes is None else {k: _r(v, 6) for k, v in self.axes.items()},
            "body_width_mm": _r(self.body_width_mm),
            "body_depth_mm": _r(self.body_depth_mm),
            "height_anterior_mm": _r(self.height_anterior_mm),
            "height_middle_mm": _r(self.height_middle_mm),
            "height_posterior_mm": _r(self.height_posterior_mm),
            "endplate_superior": None
            if self.endplate_superior is None
            else self.endplate_superior.to_dict(),
            "endplate_inferior": None
            if self.endplate_inferior is None
            else self.endplate_inferior.to_dict(),
            "wedge_angle_deg": _r(self.wedge_angle_deg),
            "coronal_wedge_deg": _r(self.coronal_wedge_deg),
            "height_loss": _r(self.height_loss, 4),
            "deformity_type": self.deformity_type,
            "genant_grade": self.genant_grade,
            "landmarks": {k: _r(v) for k, v in self.landmarks.items()},
            "notes": list(self.notes),
        }

    def row(self) -> dict[str, Any]:
        """One flat CSV row."""
        sup, inf = self.endplate_superior, self.endplate_inferior
        centre = self.body_centre or (None, None, None)
        return {
            "level": self.level,
            "label": self.label,
            "complete": self.complete,
            "centroid_x_mm": _r(self.centroid[0]),
            "centroid_y_mm": _r(self.centroid[1]),
            "centroid_z_mm": _r(self.centroid[2]),
            "body_centre_x_mm": _r(centre[0]),
            "body_centre_y_mm": _r(centre[1]),
            "body_centre_z_mm": _r(centre[2]),
            "height_anterior_mm": _r(self.height_anterior_mm),
            "height_middle_mm": _r(self.height_middle_mm),
            "height_posterior_mm": _r(self.height_posterior_mm),
            "superior_coronal_tilt_deg": None if sup is None else _r(sup.coronal_tilt_deg),
            "superior_sagittal_tilt_deg": None if sup is None else _r(sup.sagittal_tilt_deg),
            "inferior_coronal_tilt_deg": None if inf is None else _r(inf.coronal_tilt_deg),
            "inferior_sagittal_tilt_deg": None if inf is None else _r(inf.sagittal_tilt_deg),
            "wedge_angle_deg": _r(self.wedge_angle_deg),
            "coronal_wedge_deg": _r(self.coronal_wedge_deg),
            "body_width_mm": _r(self.body_width_mm),
            "body_depth_mm": _r(self.body_depth_mm),
            "height_loss": _r(self.height_loss, 4),
            "deformity_type": self.deformity_type,
            "genant_grade": self.genant_grade,
            "notes": "; ".join(self.notes),
        }


@dataclass
class SpineMeasures:
    """All measures of one volume: per-vertebra records (superior to inferior) and the spine's
    angles (degrees), with the end vertebrae or levels each angle was taken between."""

    vertebrae: list[VertebraMeasures]
    cobb_deg: float | None = None
    cobb_upper_end: str | None = None
    cobb_lower_end: str | None = None
    lordosis_deg: float | None = None
    lordosis_levels: tuple[str, str] | None = None
    kyphosis_deg: float | None = None
    kyphosis_levels: tuple[str, str] | None = None
    sagittal_deg: float | None = None
    sagittal_levels: tuple[str, str] | None = None
    level_naming: str = "labels"
    """'labels' (from a label map), 'anchored' (label-free, counted up from a given lowest
    level) or 'relative' (label-free, V1, V2, ... from superior to inferior)."""
    source: str | None = None
    shape: tuple[int, int, int] | None = None
    spacing_mm: tuple[float, float, float] | None = None
    centre_curve: list[tuple[float, float, float]] = field(default_factory=list)
    """RAS points of the column's centre curve (label-free path), superior to inferior."""
    notes: list[str] = field(default_factory=list)

    def by_level(self) -> dict[str, VertebraMeasures]:
        """Vertebrae keyed by level name."""
        return {v.level: v for v in self.vertebrae}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema ``x2ct-measures/1``)."""
        return {
            "schema": SCHEMA,
            "source": self.source,
            "shape_dhw": None if self.shape is None else list(self.shape),
            "spacing_mm_dhw": _r(self.spacing_mm, 4),
            "level_naming": self.level_naming,
            "spine": {
                "levels": [v.level for v in self.vertebrae],
                "complete_levels": [v.level for v in self.vertebrae if v.complete],
                "cobb_deg": _r(self.cobb_deg),
                "cobb_upper_end": self.cobb_upper_end,
                "cobb_lower_end": self.cobb_lower_end,
                "lordosis_deg": _r(self.lordosis_deg),
                "lordosis_levels": None
                if self.lordosis_levels is None
                else list(self.lordosis_levels),
                "kyphosis_deg": _r(self.kyphosis_deg),
                "kyphosis_levels": None
                if self.kyphosis_levels is None
                else list(self.kyphosis_levels),
                "sagittal_deg": _r(self.sagittal_deg),
                "sagittal_levels": None
                if self.sagittal_levels is None
                else list(self.sagittal_levels),
                "fractures": [
                    {"level": v.level, "genant_grade": v.genant_grade, "type": v.deformity_type}
                    for v in self.vertebrae
                    if v.genant_grade
                ],
            },
            "vertebrae": [v.to_dict() for v in self.vertebrae],
            "centre_curve": _r(self.centre_curve, 2),
            "notes": list(self.notes),
            "conventions": CONVENTIONS,
        }

    def per_vertebra_rows(self) -> list[dict[str, Any]]:
        """One flat dict per vertebra (same keys in every row), for CSV."""
        return [v.row() for v in self.vertebrae]
