"""Vertebra levels: the common label ids, their names, and the Genant grades of a height loss.

Shared vocabulary of x2ct (below every stage): masks are stored in the CTSpine1K / VerSe
numbering (C1-C7 = 1-7, T1-T12 = 8-19, L1-L5 = 20-24, L6 = 25), whatever the source dataset's
numbering (``x2ct.prepare.labels`` maps the others to it).

Genant (1993) grades a vertebral deformity by its height loss: < 20 % normal (0), 20-25 % mild
(1), 25-40 % moderate (2), > 40 % severe (3).
"""

from __future__ import annotations

LEVEL_NAMES = (
    [f"C{i}" for i in range(1, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 7)]
)
"""Level name of CTSpine1K/VerSe id k at index k - 1 (1 = C1 ... 24 = L5, 25 = L6)."""

GENANT_LIMITS = (0.20, 0.25, 0.40)
"""Upper height-loss fractions of Genant grades 0 (exclusive), 1 and 2 (inclusive)."""


def level_name(label: int) -> str:
    """Common id -> level name (20 -> 'L1'); ids without a name -> 'id<k>' (e.g. VerSe's 28)."""
    return LEVEL_NAMES[label - 1] if 1 <= label <= len(LEVEL_NAMES) else f"id{label}"


def genant_grade(loss: float) -> int:
    """Genant grade 0-3 of a height loss fraction (0.2 = 20 %)."""
    normal, mild, moderate = GENANT_LIMITS
    if loss < normal:
        return 0
    if loss <= mild:
        return 1
    return 2 if loss <= moderate else 3
