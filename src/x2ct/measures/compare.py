"""``compare_measures``: errors of measured vertebrae against a reference.

The reference is either the measures of another volume (``SpineMeasures`` or its
``to_dict()``, e.g. the true CT behind a reconstruction) or a phantom truth record
(``truth/<case>.json``, schema ``x2ct-phantom-truth/1``); both use the same keys and sign
conventions. Vertebrae are paired by level name when both sides carry anatomical names, else by
the nearest body centre (within ``max_distance_mm``). Only vertebrae complete and measured on
both sides count. Spine angles are recomputed on both sides over the paired vertebrae, so that
both cover the same levels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from x2ct.measures.records import SpineMeasures

HEIGHTS = ("height_anterior_mm", "height_middle_mm", "height_posterior_mm")
ANGLES = ("wedge_angle_deg", "coronal_wedge_deg")
TILTS = tuple(
    f"{side}_{plane}_tilt_deg"
    for side in ("superior", "inferior")
    for plane in ("coronal", "sagittal")
)


def _flat(v: dict[str, Any]) -> dict[str, Any]:
    """One vertebra record (measures or truth) -> flat values used here."""
    out = {"level": v["level"], "complete": bool(v.get("complete", True))}
    for key in ("centroid", "body_centre"):
        out[key] = None if v.get(key) is None else np.asarray(v[key], dtype=float)
    for key in HEIGHTS + ANGLES:
        out[key] = v.get(key)
    for side in ("superior", "inferior"):
        plate = v.get(f"endplate_{side}")
        for plane in ("coronal", "sagittal"):
            out[f"{side}_{plane}_tilt_deg"] = None if plate is None else plate[f"{plane}_tilt_deg"]
    if "fracture" in v:
        fracture = v["fracture"]
        out["genant_grade"] = 0 if fracture is None else int(fracture.get("genant_grade", 0))
    else:
        out["genant_grade"] = v.get("genant_grade")
    out["usable"] = out["complete"] and out["superior_coronal_tilt_deg"] is not None
    return out


def _records(source: SpineMeasures | dict) -> tuple[list[dict], bool]:
    """(flat vertebra records superior to inferior, whether level names are anatomical)."""
    data = source.to_dict() if isinstance(source, SpineMeasures) else source
    anatomical = data.get("level_naming", "labels") != "relative"
    return [_flat(v) for v in data["vertebrae"]], anatomical


def _pair(pred: list[dict], ref: list[dict], by_level: bool, max_distance: float):
    pred = [p for p in pred if p["usable"]]
    ref = [r for r in ref if r["usable"]]
    if by_level:
        names = {p["level"]: p for p in pred}
        return [(names[r["level"]], r) for r in ref if r["level"] in names]
    candidates = []
    for i, p in enumerate(pred):
        for j, r in enumerate(ref):
            a = p["body_centre"] if p["body_centre"] is not None else p["centroid"]
            b = r["body_centre"] if r["body_centre"] is not None else r["centroid"]
            distance = float(np.linalg.norm(a - b))
            if distance <= max_distance:
                candidates.append((distance, i, j))
    used_p, used_r, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_p and j not in used_r:
            used_p.add(i)
            used_r.add(j)
            pairs.append((pred[i], ref[j]))
    return sorted(pairs, key=lambda pair: ref.index(pair[1]))


def _cobb(rows: list[dict]) -> float | None:
    if len(rows) < 2:
        return None
    return max(
        abs(rows[i]["superior_coronal_tilt_deg"] - rows[j]["inferior_coronal_tilt_deg"])
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
    )


def _sagittal(rows: list[dict], prefix: str) -> tuple[float | None, list[str] | None]:
    group = [r for r in rows if r["level"].startswith(prefix)]
    if len(group) < 2:
        return None, None
    angle = group[-1]["inferior_sagittal_tilt_deg"] - group[0]["superior_sagittal_tilt_deg"]
    return float(angle), [group[0]["level"], group[-1]["level"]]


def _summary(errors: list[float]) -> dict[str, Any]:
    if not errors:
        return {"mae": None, "bias": None, "max_abs": None, "n": 0}
    e = np.asarray(errors, dtype=float)
    return {
        "mae": round(float(np.abs(e).mean()), 4),
        "bias": round(float(e.mean()), 4),
        "max_abs": round(float(np.abs(e).max()), 4),
        "n": int(e.size),
    }


def compare_measures(
    pred: SpineMeasures | dict, truth: SpineMeasures | dict, max_distance_mm: float = 15.0
) -> dict[str, Any]:
    """Per-measure errors of ``pred`` against ``truth`` (measures or phantom truth dict).

    Returns a JSON-ready dict: ``pairs`` (level pairs), ``measures`` (per measure: mean
    absolute error ``mae``, mean signed error ``bias`` = pred - truth, ``max_abs``, ``n``; mm
    for heights and positions, degrees for angles), ``cobb`` / ``lordosis`` / ``kyphosis``
    (both values over the paired vertebrae and the absolute error), ``grades`` (agreement of
    Genant grades, fracture detection counts) and ``summary`` (flat scalars for tables).
    """
    p_rows, p_named = _records(pred)
    t_rows, t_named = _records(truth)
    pairs = _pair(p_rows, t_rows, p_named and t_named, max_distance_mm)
    errors: dict[str, list[float]] = {
        k: [] for k in ("centroid_mm", "body_centre_mm", *HEIGHTS, *TILTS, *ANGLES)
    }
    for p, t in pairs:
        for key in ("centroid", "body_centre"):
            if p[key] is not None and t[key] is not None:
                errors[f"{key}_mm"].append(float(np.linalg.norm(p[key] - t[key])))
        for key in HEIGHTS + TILTS + ANGLES:
            if p[key] is not None and t[key] is not None:
                errors[key].append(float(p[key]) - float(t[key]))
    measures = {k: _summary(v) for k, v in errors.items()}
    p_paired, t_paired = [p for p, _ in pairs], [t for _, t in pairs]
    angles: dict[str, Any] = {}
    cobb_p, cobb_t = _cobb(p_paired), _cobb(t_paired)
    angles["cobb"] = {
        "pred_deg": cobb_p,
        "truth_deg": cobb_t,
        "abs_error_deg": None if cobb_p is None or cobb_t is None else abs(cobb_p - cobb_t),
    }
    for name, prefix, sign in (("lordosis", "L", 1.0), ("kyphosis", "T", -1.0)):
        t_angle, levels = _sagittal(t_paired, prefix)
        if levels is None:
            angles[name] = {
                "pred_deg": None,
                "truth_deg": None,
                "abs_error_deg": None,
                "levels": None,
            }
            continue
        lookup = {t["level"]: p for p, t in pairs}
        p_angle = (
            lookup[levels[1]]["inferior_sagittal_tilt_deg"]
            - lookup[levels[0]]["superior_sagittal_tilt_deg"]
        )
        angles[name] = {
            "pred_deg": sign * p_angle,
            "truth_deg": sign * t_angle,
            "abs_error_deg": abs(p_angle - t_angle),
            "levels": levels,
        }
    graded = [
        (p["genant_grade"], t["genant_grade"])
        for p, t in pairs
        if p["genant_grade"] is not None and t["genant_grade"] is not None
    ]
    tp = sum(1 for g, h in graded if g > 0 and h > 0)
    fp = sum(1 for g, h in graded if g > 0 and h == 0)
    fn = sum(1 for g, h in graded if g == 0 and h > 0)
    grades = {
        "n": len(graded),
        "agreement": None if not graded else sum(g == h for g, h in graded) / len(graded),
        "fractures_true_positive": tp,
        "fractures_false_positive": fp,
        "fractures_false_negative": fn,
    }
    paired_ids = {id(row) for pair in pairs for row in pair}
    summary: dict[str, Any] = {"vertebrae_paired": len(pairs)}
    for key, value in measures.items():
        summary[
            f"{key.removesuffix('_mm').removesuffix('_deg')}_mae_{'deg' if key.endswith('deg') else 'mm'}"
        ] = value["mae"]
    for name, value in angles.items():
        summary[f"{name}_abs_error_deg"] = value["abs_error_deg"]
    summary["grade_agreement"] = grades["agreement"]
    return {
        "pairs": [[p["level"], t["level"]] for p, t in pairs],
        "unpaired_pred": [p["level"] for p in p_rows if p["usable"] and id(p) not in paired_ids],
        "unpaired_truth": [t["level"] for t in t_rows if t["usable"] and id(t) not in paired_ids],
        "measures": measures,
        **angles,
        "grades": grades,
        "summary": summary,
    }
