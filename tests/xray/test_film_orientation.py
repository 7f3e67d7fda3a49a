"""Radiographs turned to face as the model's views, and views checked by what their files state."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.io import Radiograph
from x2ct.xray.orientation import (
    describe_turn,
    orient_pair,
    parse_orientation,
    upright,
    upright_point,
)

# A film marked so that every way of turning it is told apart: row r, column c holds 10 r + c.
FILM = np.arange(4)[:, None] * 10.0 + np.arange(3)[None, :]


def film(orientation: str = "", position: str = "", image=FILM, spacing=(0.2, 0.1)) -> Radiograph:
    metadata = {"patient_orientation": orientation, "view_position": position}
    return Radiograph(np.asarray(image, np.float32), spacing, "f.dcm", metadata)


@pytest.mark.parametrize("text", ["L\\F", "l,f", " L F ", "LA\\FP", "L/F"])
def test_orientation_letters_are_read_in_every_written_form(text):
    o = parse_orientation(text, stated_by="test")
    assert (o.rows, o.columns) == ("L", "F") and o.view == "frontal"


@pytest.mark.parametrize("text", ["L", "L,R", "F,H", "X,F", "L,F,A", ""])
def test_an_orientation_that_is_not_two_axes_is_one_line(text):
    with pytest.raises(InputError, match=r"^f\.png: expected --frontal-orientation as two"):
        parse_orientation(text, stated_by="--frontal-orientation", source="f.png")


@pytest.mark.parametrize(
    ("text", "view"),
    [("L\\F", "frontal"), ("R\\H", "frontal"), ("P\\F", "lateral"), ("A\\F", "lateral"),
     ("F\\A", "lateral"), ("H\\L", "frontal"), ("L\\P", None)],
)  # fmt: skip
def test_the_view_is_what_runs_across_an_upright_film(text, view):
    assert parse_orientation(text, stated_by="test").view == view


@pytest.mark.parametrize(
    ("text", "view", "expected"),
    [
        ("L\\F", "frontal", FILM),  # the model's own way: untouched
        ("P\\F", "lateral", FILM),
        ("R\\F", "frontal", FILM[:, ::-1]),  # patient's left on the image left
        ("A\\F", "lateral", FILM[:, ::-1]),  # anterior on the image right
        ("P\\H", "lateral", FILM[::-1, :]),  # head at the bottom
        ("A\\H", "lateral", FILM[::-1, ::-1]),
        ("F\\P", "lateral", FILM.T),  # turned by 90 degrees
        ("H\\R", "frontal", FILM.T[::-1, ::-1]),
    ],
)
def test_upright_turns_each_film_to_the_model_orientation(text, view, expected):
    o = parse_orientation(text, stated_by="test")
    np.testing.assert_array_equal(upright(FILM, o, view, "f.dcm"), expected)
    # every pixel lands where upright_point says
    turned = upright(FILM, o, view, "f.dcm")
    for r in range(FILM.shape[0]):
        for c in range(FILM.shape[1]):
            rr, cc = upright_point((r, c), FILM.shape, o, view)
            assert turned[int(rr), int(cc)] == FILM[r, c]
    assert (describe_turn(o, view) is None) == (text in ("L\\F", "P\\F"))


def test_a_view_that_is_the_other_one_is_refused():
    o = parse_orientation("P\\F", stated_by="DICOM Patient Orientation")
    with pytest.raises(
        InputError, match=r"^ap.dcm: expected a frontal view .* found P\\F .*a lateral view"
    ):
        upright(FILM, o, "frontal", "ap.dcm")


def test_the_pair_is_turned_and_a_transposed_film_swaps_its_spacing():
    (front, lat), turned = orient_pair(film("R\\F"), film("F\\P"), sources=("ap.dcm", "lat.dcm"))
    np.testing.assert_array_equal(front.image, FILM[:, ::-1])
    np.testing.assert_array_equal(lat.image, FILM.T)
    assert front.pixel_spacing_mm == (0.2, 0.1) and lat.pixel_spacing_mm == (0.1, 0.2)
    assert [o.text() for o in turned] == ["R\\F", "F\\P"]


def test_files_without_orientation_are_taken_as_they_are():
    (front, _), turned = orient_pair(film(), film(), sources=("a.png", "b.png"))
    assert turned == (None, None)
    np.testing.assert_array_equal(front.image, FILM)


def test_given_orientations_override_the_files():
    (front, lat), _ = orient_pair(film("R\\F"), film(), sources=("a", "b"), given=("L,F", "A,F"))
    np.testing.assert_array_equal(front.image, FILM)
    np.testing.assert_array_equal(lat.image, FILM[:, ::-1])


@pytest.mark.parametrize(
    ("frontal", "lateral"),
    [(film("P\\F"), film("L\\F")), (film(position="LL"), film(position="AP")),
     (film("A\\F"), film(position="PA"))],
)  # fmt: skip
def test_swapped_views_are_named_as_swapped(frontal, lateral):
    with pytest.raises(
        InputError, match=r"^ap\.dcm: expected the frontal view as --frontal .* views swapped"
    ):
        orient_pair(frontal, lateral, sources=("ap.dcm", "lat.dcm"))


def test_one_view_stated_as_the_other_is_named():
    with pytest.raises(
        InputError,
        match=r"^lat.dcm: expected a lateral view, found DICOM View Position AP: a frontal",
    ):
        orient_pair(film(), film(position="AP"), sources=("ap.dcm", "lat.dcm"))
    with pytest.raises(InputError, match=r"^ap.dcm: expected a frontal view .*found A\\F"):
        orient_pair(film("A\\F"), film(), sources=("ap.dcm", "lat.dcm"))
    # other projections (oblique, decubitus) and unknown positions are not judged
    orient_pair(film(position="LLO"), film(position=""), sources=("ap.dcm", "lat.dcm"))
