"""Where the spine is on a real radiograph, and whether two radiographs make a frontal-lateral pair.

A clinical lumbar film (about 35 x 43 cm) shows the spine anywhere in it, with collimation
borders and burnt-in side markers. The model needs the square field it was trained on (the
cube's ``field_mm`` at the isocentre, ``field_mm x magnification`` on the detector) centred on
the spine. Steps, on a (rows, cols) image with bone bright:

1. ``exposed_box``: collimation borders are bands along the image edges whose lines are
   almost uniform (standard deviation under ``UNIFORM`` of the image's 1-99 % range); the box
   inside them is the exposed field.
2. Frontal view: the spine is the body's axis of left-right mirror symmetry
   (``symmetry_axis``: the vertical axis whose 70 mm strips on either side correlate best,
   mirrored). On x2ct's phantom views (mono and processed) it lands within 1.2 mm of the
   spine's centre (median) and more than 10 mm off in 3 of 34 views. Lateral view: no image
   cue tried (brightest detrended band, row-periodic texture) placed the spine within 15 mm
   in most phantom views, so the field is centred on the body; ``x2ct reconstruct`` then moves
   it onto the spine that a first reconstruction shows (``x2ct.inference.inputs``), or takes
   the centre given.
3. The field is a square of the model's side centred on that column and on the exposed box's
   middle row; ``center`` / ``side_mm`` override either.
4. ``check_pair``: a frontal view is more mirror-symmetric than a lateral one (with each row's
   mean removed, so that what runs across, vertebrae and discs, does not count), and shows a
   body wider than the lateral's is deep (when the frontal's lies wholly inside its field).
   Either separation is modest (see ``SWAP_MARGIN`` and ``WIDTH_SWAP_RATIO``), so only clear
   cases are refused, each with one line saying which: views given the other way round, a
   lateral as symmetric as a frontal, the same image twice, a field the exposed area covers
   less than half of, and exposed heights differing by more than a third.

Units: pixels unless named ``_mm``; mm are on the detector plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from x2ct.errors import InputError

UNIFORM = 0.02
"""A border line whose std is under this fraction of the image's 1-99 % range is collimated."""
HALF_MM = 70.0
"""Width of each strip compared in the symmetry search (about the half width of a lumbar body
and its psoas muscles)."""
WORK_MM = 2.0
"""Pixel size at which the symmetry axis is searched."""
SWAP_MARGIN = 0.3
"""Views are called swapped when the lateral is more mirror-symmetric than the frontal by more
than this. On x2ct's 32 phantom pairs (mono and processed) the lateral exceeded the frontal by
up to 0.25, and the real CT's frontal exceeds its lateral by 0.22-0.26: only clear swaps are
caught."""
WIDTH_SWAP_RATIO = 0.88
"""Views are also called swapped when the frontal's body, wholly inside its exposed field, is
narrower than this times the lateral's (detector mm; a lateral body cut by its field's side is
at least as deep as what shows): a trunk is wider than it is deep (adults by about a third at
the lumbar level). On 328 true pairs of x2ct's phantom hold-outs whose frontal body lies inside
its field (both trunk models, short and field-filling scans, mono and processed views, the cube
centred or moved) the frontal-to-lateral ratio was at least 0.894 (a cube moved 60 mm off the
spine, the image cutting a short scan's square trunk); otherwise at least 0.948."""
AIR_LEVEL = 0.1
"""Columns beside a body count as air when no brighter than this share of the profile's range
above its darkest column."""
SKIN_MM = 15.0
"""Largest distance (detector mm) from the body's 30 % level out to air at a skin edge."""
LATERAL_SYMMETRY_MAX = 0.9
"""A 'lateral' view at least this mirror-symmetric looks frontal (phantom laterals: <= 0.82)."""
MIN_COVERAGE = 0.5
"""Smallest share of the chosen square that the exposed field must cover."""


@dataclass(frozen=True)
class FieldChoice:
    """The square field chosen on one radiograph (pixels of the original image).

    ``box`` is the exposed field (row0, row1, col0, col1), end-exclusive; ``center`` the
    square's centre (row, col); ``side`` its edge; ``symmetry`` the best mirror correlation of
    the field about a vertical axis (``symmetry_axis``); ``coverage`` the share of the square
    inside the exposed field.
    """

    box: tuple[int, int, int, int]
    center: tuple[float, float]
    side: float
    symmetry: float
    coverage: float
    method: str
    """How the centre was chosen: 'symmetry axis', 'body centre' or 'given'."""
    body_width: float = 0.0
    """Width of the body across the image as far as it shows (pixels)."""
    body_cut: bool = True
    """The body reaches the exposed field's side (cut by the collimation or the image): its
    true width is ``body_width`` or more."""


def exposed_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the field inside uniform collimation borders."""
    lo, hi = np.percentile(image, [1, 99])
    limit = UNIFORM * max(float(hi - lo), 1e-6)
    rows, cols = image.shape

    def inward(lines: np.ndarray) -> int:
        flat = lines.std(axis=1) < limit
        count = 0
        while count < len(flat) - 2 and flat[count]:
            count += 1
        return count

    top = inward(image)
    bottom = rows - inward(image[::-1])
    left = inward(image.T)
    right = cols - inward(image.T[::-1])
    if bottom - top < 8 or right - left < 8:
        raise InputError(None, "a radiograph with an exposed field", "a uniform image")
    return top, bottom, left, right


def body_columns(profile: np.ndarray) -> tuple[int, int]:
    """[first, last + 1) of the columns whose mean is above 30 % of the profile's range."""
    lo, hi = float(profile.min()), float(profile.max())
    inside = np.flatnonzero(profile > lo + 0.3 * (hi - lo))
    if inside.size == 0:
        return 0, len(profile)
    return int(inside[0]), int(inside[-1]) + 1


def body_width(
    image: np.ndarray, box: tuple[int, int, int, int], pixel_mm: float
) -> tuple[float, bool]:
    """(width in pixels, cut) of the body's columns inside the exposed ``box``.

    The body is not cut only where air shows beside it on both sides: the column profile falls
    from the body's 30 % level (``body_columns``) to ``AIR_LEVEL`` of its range within
    ``SKIN_MM`` (a skin edge, not the slope of a body that runs on under the field's side or
    a shutter's step from body to black). Otherwise the width shown is a lower bound."""
    r0, r1, c0, c1 = box
    profile = image[r0:r1, c0:c1].astype(np.float64).mean(axis=0)
    first, last = body_columns(profile)
    lo, hi = float(profile.min()), float(profile.max())
    air = profile <= lo + AIR_LEVEL * (hi - lo)
    reach = max(1, round(SKIN_MM / pixel_mm))
    inside = bool(air[max(0, first - reach) : first].any() and air[last : last + reach].any())
    return float(last - first), not inside


def _downsampled(image: np.ndarray, pixel_mm: float) -> tuple[np.ndarray, int]:
    """Block means to about WORK_MM pixels (the search needs no finer grid), and the factor."""
    factor = max(1, int(WORK_MM // pixel_mm))
    rows, cols = (n // factor * factor for n in image.shape)
    small = image[:rows, :cols].reshape(rows // factor, factor, cols // factor, factor)
    return small.mean(axis=(1, 3)), factor


def symmetry_axis(
    image: np.ndarray, box: tuple[int, int, int, int], pixel_mm: float
) -> tuple[float, float]:
    """(column in pixels, correlation) of the vertical axis about which the exposed field is
    most mirror-symmetric: the correlation of the ``HALF_MM`` strip left of each candidate
    column, mirrored, with the strip right of it, over the body's columns (the spine of a
    frontal view is the axis of the body's left-right symmetry)."""
    r0, r1, c0, c1 = box
    small, factor = _downsampled(image[r0:r1, c0:c1].astype(np.float64), pixel_mm)
    half = max(3, round(HALF_MM / (pixel_mm * factor)))
    first, last = body_columns(small.mean(axis=0))
    best, best_col = -1.0, (first + last) / 2.0
    for c in range(max(first, half), min(last, small.shape[1] - half)):
        # Each row's mean over both strips is removed: what runs across (vertebrae, discs,
        # the body's height) is symmetric in every view; left-right structure is not.
        pair = np.concatenate([small[:, c - half : c], small[:, c + 1 : c + 1 + half]], axis=1)
        rows_mean = pair.mean(axis=1, keepdims=True)
        left = (small[:, c - half : c][:, ::-1] - rows_mean).ravel()
        right = (small[:, c + 1 : c + 1 + half] - rows_mean).ravel()
        norm = float(np.sqrt((left @ left) * (right @ right)))
        score = float(left @ right / norm) if norm > 0 else 0.0
        if score > best:
            best, best_col = score, float(c)
    return c0 + (best_col + 0.5) * factor - 0.5, best


def body_centre_column(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Middle column (pixels) of the body inside the exposed field."""
    r0, r1, c0, c1 = box
    first, last = body_columns(image[r0:r1, c0:c1].astype(np.float64).mean(axis=0))
    return c0 + (first + last - 1) / 2.0


def choose_field(
    image: np.ndarray,
    *,
    pixel_mm: float,
    side_mm: float,
    view: str,
    center: tuple[float, float] | None = None,
) -> FieldChoice:
    """The square of ``side_mm`` (detector mm) around the spine of a bone-bright radiograph.

    ``view`` 'frontal': the column is the body's axis of mirror symmetry; 'lateral': the
    middle of the body (no image cue placed the spine reliably there; ``x2ct reconstruct``
    then moves it onto the spine of a first reconstruction, or takes ``center``). Rows: the
    middle of the exposed field.
    """
    box = exposed_box(image)
    side = side_mm / pixel_mm
    column, symmetry = symmetry_axis(image, box, pixel_mm)
    method = "given"
    if center is None:
        if view == "frontal":
            center, method = ((box[0] + box[1] - 1) / 2.0, column), "symmetry axis"
        else:
            center = ((box[0] + box[1] - 1) / 2.0, body_centre_column(image, box))
            method = "body centre"
    r0, r1, c0, c1 = box
    top, left = center[0] - side / 2, center[1] - side / 2
    overlap_rows = max(0.0, min(top + side, r1) - max(top, r0))
    overlap_cols = max(0.0, min(left + side, c1) - max(left, c0))
    coverage = overlap_rows * overlap_cols / (side * side)
    width, cut = body_width(image, box, pixel_mm)
    centre = (float(center[0]), float(center[1]))
    return FieldChoice(box, centre, side, symmetry, coverage, method, width, cut)


def check_view_kinds(
    frontal: FieldChoice,
    lateral: FieldChoice,
    *,
    frontal_mm: float,
    lateral_mm: float,
    sources: tuple[str, str],
) -> None:
    """Refuse views given the other way round and a lateral that looks frontal (one line).

    Mirror symmetry counts only for fields found on the image (not for a centre given); the
    body's width counts whenever the frontal's lies wholly inside its exposed field.
    ``frontal_mm`` / ``lateral_mm``: pixel sizes of the two images (detector mm).
    """
    if frontal.method != "given" and lateral.method != "given":
        if lateral.symmetry > frontal.symmetry + SWAP_MARGIN:
            raise InputError(
                sources[0],
                "the frontal view as --frontal (left-right symmetric about the spine)",
                f"views that look swapped: mirror symmetry {frontal.symmetry:.2f} here against "
                f"{lateral.symmetry:.2f} for the lateral",
            )
        if lateral.symmetry >= LATERAL_SYMMETRY_MAX:
            raise InputError(
                sources[1],
                "a lateral view (not left-right symmetric about the spine)",
                f"a view that looks frontal (mirror symmetry {lateral.symmetry:.2f})",
            )
    if not frontal.body_cut:
        wide, deep = frontal.body_width * frontal_mm, lateral.body_width * lateral_mm
        if wide < WIDTH_SWAP_RATIO * deep:
            raise InputError(
                sources[0],
                "the frontal view as --frontal (a trunk is wider than it is deep)",
                f"views that look swapped: the body is {wide:.0f} mm across here against "
                f"{deep:.0f} mm in the lateral",
            )


def check_pair(
    frontal: FieldChoice,
    lateral: FieldChoice,
    *,
    frontal_mm: float,
    lateral_mm: float,
    sources: tuple[str, str],
) -> None:
    """Refuse a pair that is not a frontal and a lateral view of one spine (one line each).

    ``frontal_mm`` / ``lateral_mm``: pixel sizes of the two images (detector mm).
    """
    for choice, source in zip((frontal, lateral), sources, strict=True):
        if choice.coverage < MIN_COVERAGE:
            raise InputError(
                source,
                f"an exposed field covering at least {MIN_COVERAGE:.0%} of the model's "
                f"{choice.side:.0f}-pixel square around the spine",
                f"{choice.coverage:.0%} (the radiograph is too small or too tightly collimated)",
            )
    check_view_kinds(
        frontal, lateral, frontal_mm=frontal_mm, lateral_mm=lateral_mm, sources=sources
    )
    heights = [
        (choice.box[1] - choice.box[0]) * mm
        for choice, mm in ((frontal, frontal_mm), (lateral, lateral_mm))
    ]
    if min(heights) < (2.0 / 3.0) * max(heights):
        raise InputError(
            sources[1],
            "views of the same superior-inferior extent (exposed heights within a third)",
            f"{heights[0]:.0f} mm frontal against {heights[1]:.0f} mm lateral",
        )
