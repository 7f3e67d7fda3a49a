"""The ground-truth record of a phantom (``truth/<case>.json``), exact for what was drawn.

Geometric values (heights, tilts, wedges, Cobb and lordosis angles) come from the same endplate
planes that drew the label map; centroids and voxel counts come from the label map itself. The
conventions are written into every record (``conventions``) and explained in docs/phantoms.md.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

import x2ct
from x2ct.levels import genant_grade
from x2ct.phantoms.anatomy import LEVELS
from x2ct.phantoms.sdf import Grid
from x2ct.phantoms.spec import CaseSpec
from x2ct.phantoms.spine import SACRUM, Pose, cobb, tilts

SCHEMA = "x2ct-phantom-truth/1"

CONVENTIONS = {
    "world": "RAS mm (x to patient right, y anterior, z superior), as the affine of the volumes",
    "endplate_normal": "unit normal of the endplate plane (RAS), pointing superiorly",
    "coronal_tilt_deg": "atan2(n.left, n.superior): + when the endplate descends to the patient's left",
    "sagittal_tilt_deg": "atan2(n.anterior, n.superior): + when the endplate descends anteriorly",
    "heights": "along the vertebra's own superior-inferior axis in its mid-sagittal plane: anterior "
    "and posterior at the body margins (ring apophysis, no concavity), middle at the centre between "
    "the concave endplate surfaces",
    "wedge_angle_deg": "angle between the endplates in the vertebra's mid-sagittal plane, + when the "
    "anterior height is the smaller (kyphotic / ventral wedging)",
    "coronal_wedge_deg": "angle between the endplates in the vertebra's coronal plane, + when the "
    "left side is taller",
    "axial_rotation_deg": "turn of the vertebra's anterior direction about the body axis, + towards "
    "the patient's left",
    "cobb_deg": "max |coronal tilt(superior endplate of upper) - coronal tilt(inferior endplate of "
    "lower)| over the run of complete levels",
    "lordosis_deg": "sagittal tilt(inferior endplate of the lowest lumbar level) - sagittal tilt"
    "(superior endplate of the highest lumbar level) of the run; + = lordotic",
    "kyphosis_deg": "sagittal tilt(superior endplate of the highest thoracic level) - sagittal tilt"
    "(inferior endplate of the lowest thoracic level) of the run; + = kyphotic",
    "disc_heights": "anterior / posterior: from the upper vertebra's inferior endplate margin along "
    "the disc axis to the lower superior endplate plane; middle: between the endplate surfaces at "
    "the centre",
    "label_connectivity": "each vertebra label is one 26-connected component",
}


def p_to_ras(vector: np.ndarray) -> list[float]:
    """A direction in the P frame (inferior, posterior, left) -> RAS components."""
    return [float(-vector[2]), float(-vector[1]), float(-vector[0])]


def _round(values, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]


def _endplate(pose: Pose, which: str) -> dict[str, Any]:
    n = pose.normal(which)
    coronal, sagittal = tilts(n)
    return {
        "normal": _round(p_to_ras(n), 6),
        "coronal_tilt_deg": round(coronal, 4),
        "sagittal_tilt_deg": round(sagittal, 4),
    }


def _label_stats(labels: np.ndarray, label: int, box, affine: np.ndarray) -> dict[str, Any]:
    """Voxel count, RAS centroid and completeness (no voxel on a face of the volume) of a label."""
    if box is None:
        return {"voxels": 0, "centroid": None, "complete": False}
    mask = labels[box] == label
    count = int(mask.sum())
    if count == 0:
        return {"voxels": 0, "centroid": None, "complete": False}
    centroid = np.zeros(3)
    touches = False
    for k in range(3):
        profile = mask.sum(axis=tuple(j for j in range(3) if j != k))
        index = np.arange(box[k].start, box[k].stop)
        centroid[k] = float((index * profile).sum()) / count
        present = index[profile > 0]
        touches |= bool(present[0] == 0 or present[-1] == labels.shape[k] - 1)
    ras = affine[:3, :3] @ centroid + affine[:3, 3]
    return {"voxels": count, "centroid": _round(ras), "complete": not touches}


def _vertebra(spec: CaseSpec, pose: Pose, labels, box, affine, grid: Grid) -> dict[str, Any]:
    v = spec.vertebrae[pose.level]
    half = pose.depth / 2
    ha = pose.inferior_a(-half, 0) - pose.superior_a(-half, 0)
    hp = pose.inferior_a(half, 0) - pose.superior_a(half, 0)
    hm = pose.inferior_a(0, 0) - pose.superior_a(0, 0) - v.concavity_superior - v.concavity_inferior
    _, g_sb, g_sc, _, g_ib, g_ic = pose.planes
    wedge = np.degrees(np.arctan(-g_sb) - np.arctan(-g_ib))
    coronal_wedge = np.degrees(np.arctan(g_ic) - np.arctan(g_sc))
    anterior = -pose.rotation[:, 1]
    axial = np.degrees(np.arctan2(anterior[2], -anterior[1]))
    centre_index = pose.origin / np.asarray(grid.spacing)
    stats = _label_stats(labels, v.label, box, affine)
    fracture = None
    if v.fracture_loss > 0:
        fracture = {
            "type": "wedge",
            "anterior_height_loss": round(v.fracture_loss, 4),
            "genant_grade": genant_grade(v.fracture_loss),
        }
    return {
        "level": pose.level,
        "label": v.label,
        "complete": stats["complete"],
        "voxels": stats["voxels"],
        "centroid": stats["centroid"],
        "body_centre": _round(affine[:3, :3] @ centre_index + affine[:3, 3]),
        "axes": {
            "superior": _round(p_to_ras(-pose.rotation[:, 0]), 6),
            "anterior": _round(p_to_ras(anterior), 6),
            "left": _round(p_to_ras(pose.rotation[:, 2]), 6),
        },
        "body_width_mm": round(pose.width, 3),
        "body_depth_mm": round(pose.depth, 3),
        "height_anterior_mm": round(float(ha), 3),
        "height_middle_mm": round(float(hm), 3),
        "height_posterior_mm": round(float(hp), 3),
        "endplate_superior": _endplate(pose, "superior"),
        "endplate_inferior": _endplate(pose, "inferior"),
        "wedge_angle_deg": round(float(wedge), 4),
        "coronal_wedge_deg": round(float(coronal_wedge), 4),
        "axial_rotation_deg": round(float(axial), 4),
        "fracture": fracture,
        "cancellous_hu": round(v.cancellous_hu, 1),
        "cortical_hu": round(v.cortical_hu, 1),
    }


def _disc_height(upper: Pose, lower: Pose, b: float, axis: np.ndarray) -> float:
    start = upper.to_p(np.array([upper.inferior_a(b, 0.0), b, 0.0]))
    n = lower.normal("superior")
    point = lower.to_p(np.array([lower.superior_a(0.0, 0.0), 0.0, 0.0]))
    return float(n @ (point - start) / (n @ axis))


def _disc(spec: CaseSpec, upper: Pose, lower: Pose) -> dict[str, Any]:
    d = spec.discs[upper.level]
    axis = upper.rotation[:, 0] + lower.rotation[:, 0]
    axis /= np.linalg.norm(axis)
    half = upper.depth / 2
    wedge = tilts(upper.normal("inferior"))[1] - tilts(lower.normal("superior"))[1]
    return {
        "upper": upper.level,
        "lower": lower.level,
        "height_anterior_mm": round(abs(_disc_height(upper, lower, -half, axis)), 3),
        "height_middle_mm": round(d.height, 3),
        "height_posterior_mm": round(abs(_disc_height(upper, lower, half, axis)), 3),
        "wedge_angle_deg": round(float(wedge), 4),
        "degenerated": d.degenerated,
        "vacuum": d.vacuum,
        "hu": round(d.hu, 1),
    }


def _sagittal_angles(poses: dict[str, Pose], run: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, prefix, sign in (("lordosis", "L", 1.0), ("kyphosis", "T", -1.0)):
        group = [lv for lv in run if lv.startswith(prefix)]
        if len(group) < 2:
            out[f"{name}_deg"], out[f"{name}_levels"] = None, None
            continue
        top = tilts(poses[group[0]].normal("superior"))[1]
        bottom = tilts(poses[group[-1]].normal("inferior"))[1]
        out[f"{name}_deg"] = round(sign * (bottom - top), 4)
        out[f"{name}_levels"] = [group[0], group[-1]]
    return out


def build_truth(
    spec: CaseSpec,
    poses: dict[str, Pose],
    labels: np.ndarray,
    boxes: dict,
    affine: np.ndarray,
    grid: Grid,
) -> dict[str, Any]:
    """The truth record of one phantom (a JSON-ready dict); see ``CONVENTIONS``.

    ``boxes`` maps each drawn level to the box of the grid that holds its label (or None).
    """
    vertebrae = [
        _vertebra(spec, poses[lv], labels, boxes.get(lv), affine, grid) for lv in spec.drawn
    ]
    order = list(spec.drawn) + ([SACRUM] if spec.sacrum else [])
    discs = [_disc(spec, poses[u], poses[lo]) for u, lo in itertools.pairwise(order)]
    angle, upper, lower = cobb(poses, spec.run)
    present = [v["level"] for v in vertebrae if v["voxels"] > 0]
    spine = {
        "levels": present,
        "complete_levels": [v["level"] for v in vertebrae if v["complete"]],
        "run": list(spec.run),
        "cobb_deg": round(angle, 4),
        "cobb_requested_deg": round(spec.cobb_requested_deg, 4),
        "cobb_upper_end": upper,
        "cobb_lower_end": lower,
        "curves": [dataclasses.asdict(c) for c in spec.curves],
        **_sagittal_angles(poses, spec.run),
        "sacral_slope_deg": round(tilts(poses[SACRUM].normal("superior"))[1], 4)
        if spec.sacrum
        else None,
        "unlabelled_levels": [lv for lv in spec.drawn if lv not in spec.labelled_levels],
        "scan_mm": None if spec.scan_mm is None else round(spec.scan_mm, 2),
        "sacrum_drawn": spec.sacrum,
        "pelvis_drawn": spec.pelvis,
    }
    return {
        "schema": SCHEMA,
        "x2ct_version": x2ct.__version__,
        "seed": spec.seed,
        "volume": {
            "shape_dhw": list(grid.shape),
            "spacing_mm_dhw": _round(grid.spacing, 6),
            "affine_model_frame": [_round(row, 6) for row in affine],
            "model_axcodes": "IPL",
            "label_ids": {lv: spec.vertebrae[lv].label for lv in LEVELS},
        },
        "spine": spine,
        "vertebrae": vertebrae,
        "discs": discs,
        "patient": {
            "size_factor": round(spec.size_factor, 4),
            "osteoporotic": spec.osteoporotic,
            "body": {k: round(v, 2) for k, v in spec.body.items()},
            "trunk": spec.trunk,
            "table": spec.table,
            "pose_deg": _round(spec.patient_pose_deg),
            "noise_hu": round(spec.noise_hu, 2),
            "blur_mm": round(spec.blur_mm, 3),
        },
        "conventions": CONVENTIONS,
        "config": dataclasses.asdict(spec.config),
    }
