"""Spine-level measures: Genant grades against the neighbours, Cobb angle, sagittal angles.

Genant (1993) grades a vertebral deformity by its height loss: < 20 % normal (0), 20-25 % mild
(1), 25-40 % moderate (2), > 40 % severe (3). Vertebrae are not boxes: a normal thoracic body is
~10 % lower in front than behind and L5 ~10 % higher, and the middle height lies between the
concave endplates, so the ratios are read against the same ratios of the neighbouring vertebrae
(the level's own normal shape), as quantitative morphometry does.
"""

from __future__ import annotations

import numpy as np

from x2ct.levels import genant_grade
from x2ct.measures.records import VertebraMeasures

# Normal body shape per level, so that a level is compared with its neighbours after each is
# divided by its own normal (the ratios change along the column: Ha/Hp rises from 0.90 at T12 to
# 1.14 at L5). Lumbar: pooled VBHa and VBHp of Bonczar 2024 (meta-analysis, n = 1481).
# Thoracic Ha/Hp: Egwu 2019 (T2 16.9/17.6, T9 18.8/20.5), Kunkel 2011 (T12 20.8/23.1), linear
# between them and held at T2 above; thoracic Hp: Panjabi 1991 (T1 14.3 -> T12 22.7, linear).
_LUMBAR = {"L1": (24.5, 26.6), "L2": (25.8, 27.0), "L3": (26.8, 26.7), "L4": (26.9, 25.8)}
_LUMBAR["L5"] = (27.4, 24.1)
_THORACIC_RATIO = {2: 16.9 / 17.6, 9: 18.8 / 20.5, 12: 20.8 / 23.1}


def normal_shape(level: str) -> tuple[float, float] | None:
    """(Ha/Hp, Hp in mm) of a normal adult vertebra at ``level`` (T1-L5); None otherwise."""
    if level in _LUMBAR:
        ha, hp = _LUMBAR[level]
        return ha / hp, hp
    if level.startswith("T") and level[1:].isdigit() and 1 <= int(level[1:]) <= 12:
        k = int(level[1:])
        anchors = sorted(_THORACIC_RATIO)
        ratio = float(np.interp(k, anchors, [_THORACIC_RATIO[a] for a in anchors]))
        return ratio, 14.3 + (22.7 - 14.3) * (k - 1) / 11
    return None


def _reference(values: list[float | None], k: int, n: int, normal: float) -> float:
    """Median of values[k - n .. k + n] without k itself (None skipped); ``normal`` if none."""
    near = [values[j] for j in range(max(0, k - n), min(len(values), k + n + 1)) if j != k]
    near = [v for v in near if v is not None and np.isfinite(v)]
    return float(np.median(near)) if near else normal


def grade_fractures(vertebrae: list[VertebraMeasures], neighbours: int) -> None:
    """Set ``height_loss``, ``deformity_type`` and ``genant_grade`` of measured vertebrae.

    ``vertebrae`` in column order (superior to inferior). Three losses are computed:
    wedge = 1 - q(Ha/Hp) / ref, biconcave = 1 - (Hm/Hp) / ref and crush = 1 - q(Hp) / ref, each
    ref the median of the same quantity over up to ``neighbours`` measured vertebrae on each
    side. q divides by the level's normal value (``normal_shape``) when every level is named
    T1-L5, so that neighbours of another normal shape (L5 next to L4) are compared fairly;
    otherwise q is the value itself. Without neighbours the ref is the normal (1.0 for q, 0.9
    for Hm/Hp: the typical 10 % concavity; the own Hp for an unnamed crush).
    """
    ok = [
        v.height_anterior_mm is not None
        and v.height_posterior_mm is not None
        and v.height_posterior_mm > 0
        for v in vertebrae
    ]
    normals = [normal_shape(v.level) for v in vertebrae]
    named = all(n is not None for n in normals)
    ha_hp, hm_hp, hp = [], [], []
    for v, good, normal in zip(vertebrae, ok, normals, strict=True):
        if not good:
            ha_hp.append(None), hm_hp.append(None), hp.append(None)
            continue
        ratio_norm, hp_norm = normal if named else (1.0, 1.0)
        ha_hp.append(v.height_anterior_mm / v.height_posterior_mm / ratio_norm)
        hp.append(v.height_posterior_mm / hp_norm)
        hm = v.height_middle_mm
        hm_hp.append(hm / v.height_posterior_mm if hm else None)
    for k, v in enumerate(vertebrae):
        if not ok[k]:
            continue
        losses = {
            "wedge": 1.0 - ha_hp[k] / _reference(ha_hp, k, neighbours, 1.0),
            "crush": 1.0 - hp[k] / _reference(hp, k, neighbours, 1.0 if named else hp[k]),
        }
        if hm_hp[k] is not None:
            losses["biconcave"] = 1.0 - hm_hp[k] / _reference(hm_hp, k, neighbours, 0.9)
        kind = max(losses, key=losses.get)
        loss = max(0.0, losses[kind])
        v.height_loss = loss
        v.genant_grade = genant_grade(loss)
        v.deformity_type = kind if v.genant_grade > 0 else None


def cobb(vertebrae: list[VertebraMeasures]) -> tuple[float | None, str | None, str | None]:
    """Largest |coronal tilt(superior endplate of i) - coronal tilt(inferior endplate of j)|,
    i above j, over complete measured vertebrae; (angle, upper end, lower end)."""
    usable = [v for v in vertebrae if v.complete and v.measured]
    if len(usable) < 2:
        return None, None, None
    best, ends = -1.0, (None, None)
    for i, upper in enumerate(usable):
        for lower in usable[i + 1 :]:
            angle = abs(
                upper.endplate_superior.coronal_tilt_deg - lower.endplate_inferior.coronal_tilt_deg
            )
            if angle > best:
                best, ends = angle, (upper.level, lower.level)
    return best, ends[0], ends[1]


def sagittal_angle(
    vertebrae: list[VertebraMeasures], prefix: str | None
) -> tuple[float | None, tuple[str, str] | None]:
    """tilt(inferior endplate of the lowest) - tilt(superior endplate of the highest) over the
    complete measured vertebrae whose level starts with ``prefix`` (all when None); needs two."""
    group = [
        v
        for v in vertebrae
        if v.complete and v.measured and (prefix is None or v.level.startswith(prefix))
    ]
    if len(group) < 2:
        return None, None
    top, bottom = group[0], group[-1]
    angle = bottom.endplate_inferior.sagittal_tilt_deg - top.endplate_superior.sagittal_tilt_deg
    return float(angle), (top.level, bottom.level)
