"""Finding the spine's field on a radiograph, and refusing pairs that are not frontal + lateral."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.xray.field import (
    FieldChoice,
    body_width,
    check_pair,
    check_view_kinds,
    choose_field,
    exposed_box,
    symmetry_axis,
)

PIXEL_MM = 1.0


def chord(c: np.ndarray, centre: float, half: float) -> np.ndarray:
    """Path length through an ellipse across columns ``c``, relative to its middle."""
    return np.sqrt(np.clip(1.0 - ((c - centre) / half) ** 2, 0.0, None))


def film(view: str, spine_col: int, size=(430, 350), borders=(20, 15, 30, 25), fill=4000.0):
    """A bone-bright film at 1 mm pixels: a body, a denser spine column and uniform
    collimation borders (top, bottom, left, right). Frontal: symmetric body about the spine.
    Lateral: the spine near the back, gas-dark abdomen in front of it."""
    rows, cols = size
    c = np.arange(cols, dtype=float)
    rng = np.random.default_rng(0)
    if view == "frontal":
        body = 900.0 * chord(c, spine_col, 170.0)  # 340 mm wide: beyond the exposed field
        image = np.tile(body, (rows, 1)) + 300.0
    else:
        body = 1100.0 * chord(c, spine_col - 60, 125.0)  # 250 mm deep
        image = np.tile(body, (rows, 1)) + 300.0
        for top in range(30, rows - 60, 70):  # bowel gas anteriorly
            left = max(spine_col - 150 + (top % 40), 0)
            image[top : top + 35, left : left + 45] -= 450.0
        image[:, spine_col + 90 :] = 150.0  # air behind the back
    image[:, spine_col - 18 : spine_col + 19] += 500.0  # vertebral bodies
    image[::28, spine_col - 18 : spine_col + 19] -= 250.0  # disc spaces
    image += rng.normal(0, 15.0, image.shape)
    top, bottom, left, right = borders
    image[:top], image[rows - bottom :] = fill, fill
    image[:, :left], image[:, cols - right :] = fill, fill
    return image


def test_exposed_box_stops_at_the_collimation():
    image = film("frontal", 170)
    assert exposed_box(image) == (20, 430 - 15, 30, 350 - 25)


@pytest.mark.parametrize("column", [120, 175, 230])
def test_frontal_spine_is_the_symmetry_axis_off_centre(column):
    image = film("frontal", column)
    found, score = symmetry_axis(image, exposed_box(image), PIXEL_MM)
    assert abs(found - column) <= 2.5 and score > 0.95


def test_frontal_is_more_symmetric_than_lateral():
    f, lat = film("frontal", 175), film("lateral", 230)
    _, sf = symmetry_axis(f, exposed_box(f), PIXEL_MM)
    _, sl = symmetry_axis(lat, exposed_box(lat), PIXEL_MM)
    assert sf > sl + 0.1


def test_a_good_pair_passes_and_bad_pairs_are_refused_in_one_line():
    side = 320 * 1.18
    front = choose_field(film("frontal", 175), pixel_mm=PIXEL_MM, side_mm=side, view="frontal")
    lat = choose_field(film("lateral", 230), pixel_mm=PIXEL_MM, side_mm=side, view="lateral")
    assert abs(front.center[1] - 175) <= 2.5 and front.coverage > 0.6
    assert front.method == "symmetry axis" and lat.method == "body centre"
    sources = ("f.dcm", "l.dcm")
    check_pair(front, lat, frontal_mm=1.0, lateral_mm=1.0, sources=sources)
    with pytest.raises(InputError, match="swapped"):
        check_pair(lat, front, frontal_mm=1.0, lateral_mm=1.0, sources=sources)
    with pytest.raises(InputError, match="looks frontal"):
        check_pair(front, front, frontal_mm=1.0, lateral_mm=1.0, sources=sources)
    small = choose_field(
        film("lateral", 100, size=(200, 200)), pixel_mm=PIXEL_MM, side_mm=side, view="lateral"
    )
    with pytest.raises(InputError, match="too small or too tightly collimated"):
        check_pair(front, small, frontal_mm=1.0, lateral_mm=1.0, sources=sources)
    short = choose_field(
        film("lateral", 230, borders=(150, 120, 30, 25)),
        pixel_mm=PIXEL_MM,
        side_mm=200.0,
        view="lateral",
    )
    with pytest.raises(InputError, match="superior-inferior"):
        check_pair(front, short, frontal_mm=1.0, lateral_mm=1.0, sources=sources)


def test_a_given_centre_is_kept_and_not_checked_for_symmetry():
    lateral_as_frontal = choose_field(
        film("lateral", 230), pixel_mm=PIXEL_MM, side_mm=300.0, view="frontal",
        center=(200.0, 180.0),
    )  # fmt: skip
    assert lateral_as_frontal.center == (200.0, 180.0) and lateral_as_frontal.method == "given"
    lat = choose_field(film("lateral", 230), pixel_mm=PIXEL_MM, side_mm=300.0, view="lateral")
    check_pair(lateral_as_frontal, lat, frontal_mm=1.0, lateral_mm=1.0, sources=("a", "b"))


def test_a_uniform_image_has_no_exposed_field():
    with pytest.raises(InputError, match="uniform"):
        exposed_box(np.full((50, 50), 7.0))


def _bar_image(first: int, last: int, cols: int = 200, borders: int = 10) -> np.ndarray:
    """A body of columns [first, last) on air, with uniform borders of ``borders`` columns."""
    image = np.full((120, cols), 100.0)
    image[:, first:last] = 1000.0
    image += np.random.default_rng(1).normal(0.0, 40.0, image.shape)  # not flat: not a border
    image[:, :borders], image[:, cols - borders :] = 0.0, 0.0
    return image


def test_body_width_says_when_the_field_cuts_the_body():
    inside = _bar_image(40, 150)
    width, cut = body_width(inside, exposed_box(inside), PIXEL_MM)
    assert width == pytest.approx(110.0, abs=1.0) and not cut
    under = _bar_image(5, 150)  # the body runs under the left border: 140 columns show
    width, cut = body_width(under, exposed_box(under), PIXEL_MM)
    assert width == pytest.approx(140.0, abs=1.0) and cut
    # a body wider than the field, with its spine: it slopes on under both sides, no skin shows
    c = np.arange(200, dtype=float)
    full = np.tile(100.0 + 900.0 * chord(c, 100.0, 180.0) + 500.0 * (abs(c - 100) < 18), (120, 1))
    full += np.random.default_rng(2).normal(0.0, 40.0, full.shape)
    width, cut = body_width(full, (0, 120, 0, 200), PIXEL_MM)
    assert cut and width < 200


def _choice(symmetry: float, width: float, cut: bool = False) -> FieldChoice:
    box, centre = (0, 100, 0, 300), (50.0, 150.0)
    return FieldChoice(box, centre, 100.0, symmetry, 1.0, "symmetry axis", width, cut)


@pytest.mark.parametrize(
    ("frontal", "lateral", "frontal_mm", "refused"),
    [
        ((200.0, False), (260.0, False), 1.0, True),  # narrower across than deep: swapped
        ((200.0, False), (260.0, True), 1.0, True),  # the lateral cut: at least 260 mm deep
        ((240.0, False), (260.0, False), 1.0, False),  # within the margin (round trunks)
        ((200.0, False), (260.0, False), 1.5, False),  # 300 mm against 260 mm: sizes in mm
        ((200.0, True), (260.0, False), 1.0, False),  # a frontal cut by its field: no bound
    ],
)
def test_a_trunk_narrower_across_than_deep_is_refused_as_swapped(
    frontal, lateral, frontal_mm, refused
):
    # the mirror symmetries alone say nothing here (0.70 against 0.65)
    front, lat = _choice(0.70, *frontal), _choice(0.65, *lateral)
    args = {"frontal_mm": frontal_mm, "lateral_mm": 1.0, "sources": ("f.png", "l.png")}
    if refused:
        with pytest.raises(
            InputError, match=r"^f\.png: .*swapped: the body is 200 mm across here against 260 mm"
        ):
            check_view_kinds(front, lat, **args)
        with pytest.raises(InputError, match="swapped"):
            check_pair(front, lat, **args)
    else:
        check_view_kinds(front, lat, **args)
