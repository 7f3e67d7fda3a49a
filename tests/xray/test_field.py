"""Finding the spine's field on a radiograph, and refusing pairs that are not frontal + lateral."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.xray.field import check_pair, choose_field, exposed_box, symmetry_axis

PIXEL_MM = 1.0


def film(view: str, spine_col: int, size=(430, 350), borders=(20, 15, 30, 25), fill=4000.0):
    """A bone-bright film at 1 mm pixels: a body, a denser spine column and uniform
    collimation borders (top, bottom, left, right). Frontal: symmetric body about the spine.
    Lateral: the spine near the back, gas-dark abdomen in front of it."""
    rows, cols = size
    c = np.arange(cols, dtype=float)
    rng = np.random.default_rng(0)
    if view == "frontal":
        body = 900.0 * np.exp(-(((c - spine_col) / 110.0) ** 2))
        image = np.tile(body, (rows, 1)) + 300.0
    else:
        body = 1100.0 * np.exp(-(((c - (spine_col - 60)) / 140.0) ** 2))
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
