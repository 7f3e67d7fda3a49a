"""Reference dimensions of the vertebrae T1..L5 and of the discs, with their sources.

All values are means in mm from published morphometry, as collected in
``shared/reference/spine-anatomy.md`` (sections 1a-1c). Where a source gives only some levels, the
missing levels are linearly interpolated between the nearest anchors (and held constant beyond the
last anchor); where no source gives a value at all, the rule used instead is written in
``SOURCES`` and in docs/phantoms.md. Nothing here is random: per-case variation is applied later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS: tuple[str, ...] = tuple([f"T{i}" for i in range(1, 13)] + [f"L{i}" for i in range(1, 6)])
"""The levels the generator draws, superior to inferior."""

LABEL_IDS: dict[str, int] = {
    **{f"C{i}": i for i in range(1, 8)},
    **{f"T{i}": 7 + i for i in range(1, 13)},
    **{f"L{i}": 19 + i for i in range(1, 6)},
}
"""CTSpine1K / VerSe label ids: C1-C7 = 1-7, T1-T12 = 8-19, L1-L5 = 20-24."""

# Anchors per measure: {level: mean mm}. Interpolated linearly over the level index.
_ANCHORS: dict[str, dict[str, float]] = {
    # Upper endplate width: Panjabi 1991 Fig 4A (T1, T11, T12, digitised) and Bonczar 2024 (L1-L5).
    "width": {
        "T1": 24.5,
        "T11": 35.2,
        "T12": 39.2,
        "L1": 41.1,
        "L2": 43.0,
        "L3": 44.8,
        "L4": 47.5,
        "L5": 48.8,
    },
    # Posterior body height: Panjabi 1991 text (T1 14.3 -> T12 22.7, linear) and Bonczar 2024.
    "height_posterior": {
        "T1": 14.3,
        "T12": 22.7,
        "L1": 26.6,
        "L2": 27.0,
        "L3": 26.7,
        "L4": 25.8,
        "L5": 24.1,
    },
    # Anterior body height, lumbar: Bonczar 2024. Thoracic: see _THORACIC_HA_RATIO.
    "height_anterior": {"L1": 24.5, "L2": 25.8, "L3": 26.8, "L4": 26.9, "L5": 27.4},
    # Transverse pedicle width: Kaur 2016 (T1, T4), Panjabi 1991 (T11, T12), Panjabi 1992 (L1-L5).
    "pedicle_width": {
        "T1": 9.27,
        "T4": 4.5,
        "T11": 9.8,
        "T12": 8.7,
        "L1": 8.6,
        "L2": 8.25,
        "L3": 10.15,
        "L4": 14.05,
        "L5": 18.6,
    },
    # Pedicle height, lumbar: Singh 2013 (L1 max 14.6, L4 min 13.4), Cook & Baker 2021 (L5 12.9).
    "pedicle_height": {"L1": 14.6, "L4": 13.4, "L5": 12.9},
    # Spinal canal width / depth: Panjabi 1991 (T11, T12) and Panjabi 1992 (L1-L5).
    "canal_width": {
        "T11": 19.4,
        "T12": 22.2,
        "L1": 23.7,
        "L2": 23.8,
        "L3": 24.3,
        "L4": 25.4,
        "L5": 27.1,
    },
    "canal_depth": {
        "T11": 16.0,
        "T12": 18.1,
        "L1": 19.0,
        "L2": 18.2,
        "L3": 17.5,
        "L4": 18.6,
        "L5": 19.7,
    },
    # Single transverse process length: Li 2003 (L1-L5); thoracic: falls ~13 mm T1 -> T12
    # (Masharawi 2011), anchored at T12 = L1.
    "transverse_length": {
        "T1": 23.0,
        "T12": 10.0,
        "L1": 10.0,
        "L2": 15.0,
        "L3": 19.0,
        "L4": 15.0,
        "L5": 15.0,
    },
}

# Anterior/posterior height ratio, thoracic: Egwu 2019 (T2 16.9/17.6, T9 18.8/20.5), Kunkel 2011
# (T12 20.8/23.1); applied to the Panjabi posterior heights.
_THORACIC_HA_RATIO = {"T2": 16.9 / 17.6, "T9": 18.8 / 20.5, "T12": 20.8 / 23.1}

DEPTH_TO_WIDTH = 35.7 / 48.8
"""Endplate depth / width: L5 upper endplate depth 35.7 (Cook & Baker 2021) over L5 width 48.8
(Bonczar 2024). Depth is n.f. at every other level, so this ratio is applied to all levels."""

PEDICLE_HEIGHT_TO_BODY = 14.6 / 26.6
"""Pedicle height / posterior body height at L1, used for thoracic pedicle heights (n.f.)."""

# Middle disc height below each level (mm): Jentzsch 2024 CT means for T12/L1..L5/S1; thoracic discs
# 4.5-7.2 mm (Kunkel 2011), spread linearly T1/T2 -> T11/T12.
_DISC_BELOW = {
    "T1": 4.5,
    "T11": 7.2,
    "T12": 8.0,
    "L1": 9.2,
    "L2": 10.6,
    "L3": 11.3,
    "L4": 11.4,
    "L5": 10.5,
}

# Endplate concavity (Wang 2012): ~1.5 mm for the cranial endplate of a disc (the inferior endplate
# of the vertebra above) and ~0.7 mm for the caudal one (the superior endplate below), lumbar.
CONCAVITY_INFERIOR_MM = 1.5
CONCAVITY_SUPERIOR_MM = 0.7
CENTRAL_ENDPLATE_FRACTION = 0.7
"""The concave central endplate spans ~70 % of the diameter; the ring apophysis is flat."""

SOURCES: dict[str, str] = {
    "width": "EPWu: Panjabi 1991 Fig 4A (T1, T11, T12), Bonczar 2024 (L1-L5); T2-T10 interpolated",
    "depth": "n.f. except L5 (Cook & Baker 2021): depth = width x 35.7/48.8 at every level",
    "height_posterior": "VBHp: Panjabi 1991 (T1 -> T12 linear), Bonczar 2024 (L1-L5)",
    "height_anterior": "VBHa: Bonczar 2024 (L1-L5); thoracic = VBHp x VBHa/VBHp ratio of Egwu 2019 "
    "(T2, T9) and Kunkel 2011 (T12), interpolated",
    "pedicle_width": "Kaur 2016 (T1, T4), Panjabi 1991 (T11, T12), Panjabi 1992 (L1-L5); interpolated",
    "pedicle_height": "Singh 2013 (L1, L4), Cook & Baker 2021 (L5); thoracic n.f.: VBHp x 14.6/26.6",
    "canal": "Panjabi 1991 (T11, T12), Panjabi 1992 (L1-L5); T1-T10 n.f.: held at the T11 value",
    "transverse_length": "Li 2003 (L1-L5); thoracic: falls ~13 mm T1 -> T12 (Masharawi 2011), "
    "T12 anchored at the L1 value",
    "disc": "Jentzsch 2024 (T12/L1-L5/S1); thoracic 4.5-7.2 mm (Kunkel 2011) spread linearly",
    "concavity": "Wang 2012: 1.5 mm (cranial endplate of a disc), 0.7 mm (caudal); central 70 %",
    "spinous": "length n.f.: 30 mm from the laminae (AP span of the real CT labels), 28 at L4, 25 at L5",
}


@dataclass(frozen=True)
class LevelAnatomy:
    """Mean dimensions of one vertebra (mm) before per-case scaling.

    Heights are measured along the vertebra's own superior-inferior axis at the anterior and
    posterior margins of the mid-sagittal plane; width is left-right, depth anterior-posterior.
    """

    level: str
    width: float
    depth: float
    height_anterior: float
    height_posterior: float
    pedicle_width: float
    pedicle_height: float
    canal_width: float
    canal_depth: float
    transverse_length: float
    spinous_length: float
    spinous_angle_deg: float
    """Downward inclination of the spinous process from the horizontal (degrees)."""
    disc_below: float
    """Middle height of the disc below this level (mm), including the endplate concavities."""
    thoracic: bool


def level_index(level: str) -> int:
    """Position of a level in LEVELS (T1 = 0 ... L5 = 16); InputError-free: KeyError on a typo."""
    return LEVELS.index(level)


def _interpolate(anchors: dict[str, float]) -> np.ndarray:
    """Linear interpolation of anchor values over the 17 level positions, constant beyond ends."""
    xs = np.array([level_index(k) for k in anchors], dtype=float)
    ys = np.array(list(anchors.values()), dtype=float)
    order = np.argsort(xs)
    return np.interp(np.arange(len(LEVELS)), xs[order], ys[order])


def _spinous(level: str) -> tuple[float, float]:
    """Spinous process (length from the laminae mm, downward angle deg); shape of Tyagi 2018.

    Thoracic processes are long and steep (steepest mid-thoracic); lumbar ones short and nearly
    horizontal. Magnitudes are modelling choices (n.f. per level), see SOURCES['spinous'].
    """
    i = level_index(level)
    if i < 12:
        length = 30.0 + 6.0 * np.exp(-(((i - 5) / 3.5) ** 2))
        angle = 20.0 + 40.0 * np.exp(-(((i - 6) / 3.0) ** 2))
        return float(length), float(angle)
    # The lowest lumbar processes are the smallest (they crowd in lordosis).
    return {"L4": 28.0, "L5": 25.0}.get(level, 30.0), 10.0


def reference_table() -> dict[str, LevelAnatomy]:
    """Mean anatomy of every level T1..L5, keyed by level name."""
    width = _interpolate(_ANCHORS["width"])
    hp = _interpolate(_ANCHORS["height_posterior"])
    ratio = _interpolate(_THORACIC_HA_RATIO)
    ha = hp * ratio
    ha[12:] = _interpolate(_ANCHORS["height_anterior"])[12:]
    ped_w = _interpolate(_ANCHORS["pedicle_width"])
    ped_h = hp * PEDICLE_HEIGHT_TO_BODY
    ped_h[12:] = _interpolate(_ANCHORS["pedicle_height"])[12:]
    canal_w = _interpolate(_ANCHORS["canal_width"])
    canal_d = _interpolate(_ANCHORS["canal_depth"])
    tp = _interpolate(_ANCHORS["transverse_length"])
    disc = _interpolate(_DISC_BELOW)
    table = {}
    for i, level in enumerate(LEVELS):
        sp_len, sp_angle = _spinous(level)
        table[level] = LevelAnatomy(
            level=level,
            width=float(width[i]),
            depth=float(width[i] * DEPTH_TO_WIDTH),
            height_anterior=float(ha[i]),
            height_posterior=float(hp[i]),
            pedicle_width=float(ped_w[i]),
            pedicle_height=float(ped_h[i]),
            canal_width=float(canal_w[i]),
            canal_depth=float(canal_d[i]),
            transverse_length=float(tp[i]),
            spinous_length=sp_len,
            spinous_angle_deg=sp_angle,
            disc_below=float(disc[i]),
            thoracic=i < 12,
        )
    return table
