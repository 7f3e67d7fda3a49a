"""Which way a radiograph faces, and turning it to face as the model's views do.

A DICOM radiograph says how it lies: Patient Orientation (0020,0020) gives the patient direction
along each row (left to right on screen) and down each column (top to bottom) as letters of
A/P (anterior/posterior), R/L (right/left) and H/F (head/feet), e.g. ``L\\F``; View Position
(0018,5101) names the projection (AP, PA, LL, RL, ...). The model's views face one way, as the
training DRRs (model frame (D, H, W) = (I, P, L), ``x2ct.drr``):

- frontal: rows run towards the patient's left, columns towards the feet (``L\\F``: the
  patient's right on the viewer's left, as a frontal film is read);
- lateral: rows run towards posterior, columns towards the feet (``P\\F``: anterior on the
  viewer's left).

A film stored the other way round (a lateral facing right, a PA frontal stored as seen from
behind, a film turned by 90 degrees) is mirrored or transposed to that; without it the network
would draw the spine mirrored, left for right or front for back. The horizontal direction also
says which view a film is: R/L for a frontal, A/P for a lateral. So the orientation refuses a
lateral given as the frontal (and the reverse, or both: views swapped) on evidence the file
itself states, where the image cues of ``x2ct.xray.field`` can only catch clear cases.

Orientation letters: the first letter of each value is its main direction (DICOM orders an
oblique direction's letters by size, e.g. ``LA``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from x2ct.errors import InputError
from x2ct.io import Radiograph

MODEL_ORIENTATION = {"frontal": ("L", "F"), "lateral": ("P", "F")}
"""(direction along a row, direction down a column) of the model's views."""
OPPOSITE = {"A": "P", "P": "A", "R": "L", "L": "R", "H": "F", "F": "H"}
HORIZONTAL = {"frontal": ("L", "R"), "lateral": ("A", "P")}
"""The patient directions that may run across each view."""
VIEW_POSITIONS = {"AP": "frontal", "PA": "frontal", "LL": "lateral", "RL": "lateral"}
"""DICOM View Position defined terms of the two views (decubitus and oblique views are other
projections: ``view_of`` calls them neither)."""


@dataclass(frozen=True)
class Orientation:
    """Patient directions (``rows``, ``columns``): the main direction along a row and down a
    column, each one of A P R L H F; ``stated_by`` says where it came from."""

    rows: str
    columns: str
    stated_by: str

    @property
    def view(self) -> str | None:
        """'frontal' or 'lateral' from the horizontal direction once turned upright, or None
        when the film shows neither (e.g. rows and columns both R/L and A/P)."""
        across = self.columns if self.rows in "HF" else self.rows
        along = self.rows if self.rows in "HF" else self.columns
        if along not in "HF":
            return None
        return next((view for view, axes in HORIZONTAL.items() if across in axes), None)

    def text(self) -> str:
        """The DICOM form, e.g. ``L\\F``."""
        return f"{self.rows}\\{self.columns}"


def parse_orientation(text: str, *, stated_by: str, source: str | None = None) -> Orientation:
    """``'L\\F'``, ``'L,F'`` or ``'L F'`` (DICOM letters, any case) -> Orientation.

    Raises InputError (one line, naming ``source`` and ``stated_by``) for anything else.
    """
    parts = [p for p in re.split(r"[\\,/\s]+", text.strip().upper()) if p]
    valid = len(parts) == 2 and all(re.fullmatch(r"[APRLHF]+", p) for p in parts)
    if valid:
        rows, columns = parts[0][0], parts[1][0]
        valid = OPPOSITE[rows] != columns and rows != columns
    if not valid:
        raise InputError(
            source,
            f"{stated_by} as two patient directions (rows, columns) of A P R L H F on "
            "different axes, e.g. L,F",
            repr(text),
        )
    return Orientation(rows, columns, stated_by)


def view_of(view_position: str) -> str | None:
    """'frontal' / 'lateral' for a DICOM View Position of the two views, else None."""
    return VIEW_POSITIONS.get(view_position.strip().upper())


def _check_view(orientation: Orientation, view: str, source: str) -> None:
    if orientation.view != view:
        other = f"a {orientation.view} view" if orientation.view else "neither view"
        wanted = "\\F or ".join(HORIZONTAL[view]) + "\\F"
        raise InputError(
            source,
            f"a {view} view (patient orientation {wanted})",
            f"{orientation.text()} ({orientation.stated_by}): {other}",
        )


def _moves(orientation: Orientation, view: str) -> tuple[bool, bool, bool]:
    """(transpose, then mirror the columns, then mirror the rows) that turn the film upright."""
    rows, columns = orientation.rows, orientation.columns
    transpose = rows in "HF"  # turned by 90 degrees: make the rows run across the patient
    if transpose:
        rows, columns = columns, rows
    want_rows, want_columns = MODEL_ORIENTATION[view]
    return transpose, rows != want_rows, columns != want_columns


def upright(image: np.ndarray, orientation: Orientation, view: str, source: str) -> np.ndarray:
    """(rows, cols) image turned so that it faces as the model's ``view`` (a transposed or
    mirrored view of ``image``, no copy). Raises InputError when ``orientation`` says the film is
    the other view or neither."""
    _check_view(orientation, view, source)
    transpose, mirror_columns, mirror_rows = _moves(orientation, view)
    if transpose:
        image = image.T
    if mirror_columns:
        image = image[:, ::-1]
    if mirror_rows:
        image = image[::-1, :]
    return image


def describe_turn(orientation: Orientation, view: str) -> str | None:
    """What ``upright`` does to a film of ``orientation``, in words, or None for nothing."""
    moves = _moves(orientation, view)
    words = ("transposed", "mirrored left-right", "mirrored top-bottom")
    done = [word for word, move in zip(words, moves, strict=True) if move]
    if not done:
        return None
    model = "\\".join(MODEL_ORIENTATION[view])
    return f"{', '.join(done)} ({orientation.stated_by} {orientation.text()}; the model's {view} view faces {model})"


def upright_point(
    point: tuple[float, float], shape: tuple[int, int], orientation: Orientation, view: str
) -> tuple[float, float]:
    """(row, col) pixel of the film as stored (``shape``) -> the same pixel after ``upright``."""
    transpose, mirror_columns, mirror_rows = _moves(orientation, view)
    (row, col), (rows, cols) = point, shape
    if transpose:
        row, col, rows, cols = col, row, cols, rows
    if mirror_columns:
        col = cols - 1 - col
    if mirror_rows:
        row = rows - 1 - row
    return row, col


def stated_orientation(metadata: dict[str, str], source: str) -> Orientation | None:
    """The orientation a DICOM file states (``Radiograph.metadata``), or None."""
    text = metadata.get("patient_orientation", "")
    if not text:
        return None
    return parse_orientation(text, stated_by="DICOM Patient Orientation", source=source)


def orient_pair(
    frontal: Radiograph,
    lateral: Radiograph,
    *,
    sources: tuple[str, str],
    given: tuple[str | None, str | None] = (None, None),
) -> tuple[tuple[Radiograph, Radiograph], tuple[Orientation | None, Orientation | None]]:
    """Both radiographs turned to face as the model's views (``upright``), checked to be a
    frontal and a lateral view by what their files state.

    Per view the orientation is ``given`` (DICOM letters, e.g. 'A,F'; overrides the file),
    else the file's Patient Orientation; without either, the file's View Position only checks
    the view and the image is taken as facing the model's way. Returns the turned
    radiographs and the orientation each was turned from (None: taken as it is). Raises
    InputError (one line) for views swapped, a view that is the other one, or an orientation
    that cannot be read.
    """
    radiographs = (frontal, lateral)
    flags = ("--frontal-orientation", "--lateral-orientation")
    orientations, stated_views = [], []
    for r, source, text, flag in zip(radiographs, sources, given, flags, strict=True):
        if text is not None:
            orientation = parse_orientation(text, stated_by=flag, source=source)
        else:
            orientation = stated_orientation(r.metadata, source)
        orientations.append(orientation)
        if orientation is not None:
            stated_views.append((orientation.view, orientation.stated_by))
        else:
            position = r.metadata.get("view_position", "")
            stated_views.append((view_of(position), f"DICOM View Position {position}"))
    if [v for v, _ in stated_views] == ["lateral", "frontal"]:
        raise InputError(
            sources[0],
            "the frontal view as --frontal and the lateral as --lateral",
            f"views swapped: {stated_views[0][1]} says lateral here and "
            f"{stated_views[1][1]} says frontal for {sources[1]}",
        )
    out = []
    for r, source, view, orientation, (stated, by) in zip(
        radiographs, sources, ("frontal", "lateral"), orientations, stated_views, strict=True
    ):
        if orientation is not None:
            image = upright(r.image, orientation, view, source)
            spacing = r.pixel_spacing_mm
            if spacing is not None and orientation.rows in "HF":
                spacing = (spacing[1], spacing[0])
            r = dataclasses.replace(r, image=np.ascontiguousarray(image), pixel_spacing_mm=spacing)
        elif stated is not None and stated != view:
            raise InputError(source, f"a {view} view", f"{by}: a {stated} view")
        out.append(r)
    return (out[0], out[1]), (orientations[0], orientations[1])
