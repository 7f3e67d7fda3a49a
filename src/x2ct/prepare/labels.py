"""Which label ids count as spine, and their common numbering.

Datasets number vertebrae differently. x2ct selects the spine with a label specification and
stores masks in the CTSpine1K / VerSe numbering (C1-C7 = 1-7, T1-T12 = 8-19, L1-L5 = 20-24,
L6 = 25), so per-vertebra metrics mean the same thing whatever the source.

Specifications: a preset name (``ctspine1k``, ``verse``, ``totalseg-v1``, ``totalseg-v2``) or
comma-separated ids and inclusive ranges (``1-25``, ``26-50``, ``8-24,28``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from x2ct.errors import InputError


def _identity(ids: np.ndarray) -> np.ndarray:
    return ids


def _verse(ids: np.ndarray) -> np.ndarray:
    # VerSe numbers a thoracolumbar transitional T13 as 28; it sits between T12 (19) and L1 (20),
    # and has no slot in the common numbering, so it keeps its own id.
    return ids


def _totalseg_v1(ids: np.ndarray) -> np.ndarray:
    # TotalSegmentator v1: 18 = vertebrae_L5 ... 41 = vertebrae_C1.
    return np.where((ids >= 18) & (ids <= 41), 42 - ids, 0)


def _totalseg_v2(ids: np.ndarray) -> np.ndarray:
    # TotalSegmentator v2: 26 = vertebrae_S1, 27 = vertebrae_L5 ... 50 = vertebrae_C1.
    return np.where((ids >= 27) & (ids <= 50), 51 - ids, 0)


PRESETS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "ctspine1k": ("1-25", _identity),
    "verse": ("1-25,28", _verse),
    "totalseg-v1": ("18-41", _totalseg_v1),
    "totalseg-v2": ("27-50", _totalseg_v2),
}
"""Preset -> (selected ids, map to the common numbering). Sacrum labels are not selected."""

LAYOUT_DEFAULT = {
    "phantoms": "ctspine1k",
    "ctspine1k": "ctspine1k",
    "verse": "verse",
    "totalseg": "totalseg-v2",
    "csv": "ctspine1k",
}


def parse_ids(spec: str) -> tuple[int, ...]:
    """Ids of a range specification such as ``1-25`` or ``8-24,28`` (sorted, unique)."""
    ids: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise InputError(
                "`prepare.spine_labels`", "ids or ranges like 1-25,28 or a preset", repr(spec)
            )
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise InputError("`prepare.spine_labels`", "ranges low-high with low <= high", part)
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def resolve(spec: str, layout: str) -> tuple[str, tuple[int, ...]]:
    """(preset name or 'custom', selected ids) for a specification; 'auto' follows the layout."""
    if spec == "auto":
        spec = LAYOUT_DEFAULT.get(layout, "ctspine1k")
    if spec in PRESETS:
        return spec, parse_ids(PRESETS[spec][0])
    return "custom", parse_ids(spec)


def to_common_ids(labels: np.ndarray, preset: str, selected: tuple[int, ...]) -> np.ndarray:
    """Labels restricted to the selected ids and renumbered to CTSpine1K/VerSe ids, uint8.

    A custom selection keeps its own ids (ids above 255 are refused).
    """
    ids = np.rint(labels).astype(np.int64)
    kept = np.where(np.isin(ids, selected), ids, 0)
    mapped = PRESETS[preset][1](kept) if preset in PRESETS else kept
    if mapped.max(initial=0) > 255:
        raise InputError(
            "`prepare.spine_labels`", "label ids <= 255 for the stored mask", str(mapped.max())
        )
    return mapped.astype(np.uint8)


def common_id_table(preset: str, selected: tuple[int, ...], max_id: int) -> np.ndarray:
    """Lookup table ``lut[id]`` = common id (0 when not selected) for ids 0..max_id, uint8.

    ``lut[labels]`` renumbers a whole label map in one pass, much faster than ``to_common_ids``
    on the map itself for clinical-size volumes.
    """
    return to_common_ids(np.arange(max_id + 1), preset, selected)


def check_integer_labels(labels: np.ndarray, source: str | None) -> None:
    """Refuse a label map with non-integer or negative values (e.g. a CT given as labels)."""
    fractional = np.abs(labels - np.rint(labels)) > 1e-3
    if fractional.any():
        value = float(labels[fractional][0])
        raise InputError(
            source, "an integer-valued label map", f"non-integer values such as {value:g}"
        )
    if labels.min() < 0:
        raise InputError(
            source, "label ids >= 0", f"negative values such as {float(labels.min()):g}"
        )
