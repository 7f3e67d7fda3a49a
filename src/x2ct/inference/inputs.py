"""Radiographs -> the model's two input views, as the model's training views were made.

Each radiograph is first turned to face as the model's view, as its DICOM Patient Orientation
or the orientation given says, and the pair is checked against what the files state
(``x2ct.xray.orientation``). Then two kinds of input:
- x2ct's own views (PNG from ``x2ct prepare``, no pixel spacing): they already show the
  training field, so they are only resized (and rescaled unless 8-bit), after the same check
  that they are not given the other way round (``check_own_views``).
- real radiographs with a pixel spacing (DICOM Imager Pixel Spacing / Pixel Spacing, or
  ``pixel_spacing_mm``): the exposed field inside the collimation is found, the spine located,
  and the model's square field (``prepare.field_mm`` x magnification on the detector, or
  ``side_mm``) cut around it (``x2ct.xray.field``); the two views are checked to be a frontal
  and a lateral view of one spine. Grey levels are rescaled from the exposed field's 0.5-99.5 %
  percentiles; the collimated bands become black, as the space around the body in training.
  The lateral field starts at the body's middle; ``recentre_lateral`` moves it onto the spine
  that a first reconstruction shows (``x2ct.inference.reconstruct.predict_views``).

Views are (S, S) uint8 with S the model's view size; ``crop`` records what was cut where.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from x2ct.drr import VIEWS
from x2ct.errors import InputError
from x2ct.inference.predictor import Predictor
from x2ct.io import Radiograph
from x2ct.xray import preprocess
from x2ct.xray.field import FieldChoice, check_pair, check_view_kinds, choose_field
from x2ct.xray.orientation import describe_turn, orient_pair, upright_point
from x2ct.xray.preprocessing import crop_field, resize_square

OWN_VIEW_MIN_PX = 64
"""Narrowest own view the pair check reads: its cues were measured on 128-pixel views (280
true pairs, none refused); at 32 pixels a 70 mm symmetry strip is 7 pixels of 12 mm, and a
phantom's lateral can score as symmetric as a frontal."""
RECENTRE_MIN_MM = 5.0
"""A lateral field is cut again only when the spine lies at least this far (mm at the
isocentre, one voxel of the shipped models) from its middle."""


@dataclass(frozen=True)
class InputView:
    """One model input: ``image`` (S, S) uint8, and for a real radiograph the field chosen on
    it (``crop``, pixels of ``original``) with its pixel size in mm."""

    image: np.ndarray
    source: str
    original: np.ndarray
    crop: FieldChoice | None = None
    pixel_mm: float | None = None
    turned: str | None = None
    """How the radiograph was turned to face as the model's view (``original`` is the turned
    image), or None."""


def _spacing(radiograph: Radiograph, override: float | None) -> tuple[float, float] | None:
    if override is not None:
        if not override > 0:
            raise InputError("pixel_spacing_mm", "a positive pixel size in mm", repr(override))
        return (override, override)
    return radiograph.pixel_spacing_mm


def _scaled_field(image: np.ndarray, choice: FieldChoice) -> np.ndarray:
    """0-255 from the exposed field's 0.5-99.5 % percentiles; collimated bands black."""
    r0, r1, c0, c1 = choice.box
    exposed = image[r0:r1, c0:c1]
    lo, hi = np.percentile(exposed, [0.5, 99.5])
    scaled = np.clip((image - lo) / max(float(hi - lo), 1e-6), 0.0, 1.0) * 255.0
    out = np.zeros_like(scaled)
    out[r0:r1, c0:c1] = scaled[r0:r1, c0:c1]
    return out


def prepare_views(
    frontal: Radiograph,
    lateral: Radiograph,
    predictor: Predictor,
    *,
    intensity: str | None = None,
    pixel_spacing_mm: float | None = None,
    centers: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
    side_mm: float | None = None,
    orientations: tuple[str | None, str | None] = (None, None),
) -> tuple[InputView, InputView]:
    """The frontal and lateral model inputs (see the module docstring).

    Each radiograph is first turned to face as the model's view (``x2ct.xray.orientation``:
    ``orientations`` as DICOM letters, e.g. 'A,F', else the file's Patient Orientation).
    ``centers``: (row, col) of the field's centre in each image as stored (pixels), found when
    None;
    ``side_mm``: the square's side on the detector in mm (default: the model's field times its
    magnification). Raises InputError (one line, naming the file) for a pair that cannot be
    used.
    """
    if frontal.image.shape == lateral.image.shape and np.array_equal(frontal.image, lateral.image):
        raise InputError(lateral.source, "two different radiographs", "the frontal image again")
    sources = tuple(r.source or name for r, name in zip((frontal, lateral), VIEWS, strict=True))
    radiographs, stated = orient_pair(frontal, lateral, sources=sources, given=orientations)
    turns, moved = [], []  # per view: what turning did, and the given centre on the turned film
    for center, o, r, view in zip(centers, stated, (frontal, lateral), VIEWS, strict=True):
        turns.append(None if o is None else describe_turn(o, view))
        moved.append(
            center if center is None or o is None else upright_point(center, r.image.shape, o, view)
        )
    centers = (moved[0], moved[1])
    spacings = [_spacing(r, pixel_spacing_mm) for r in radiographs]
    geometry = predictor.geometry
    xray = dataclasses.replace(geometry.xray, size=predictor.view_size)
    wants_field = side_mm is not None or any(c is not None for c in centers)
    if xray.mode == "paper" or (all(s is None for s in spacings) and not wants_field):
        if xray.mode != "paper":
            side = geometry.prepare.field_mm * geometry.magnification
            check_own_views(radiographs, sources, side_mm=side)
        return tuple(  # type: ignore[return-value]
            InputView(_own_view(r, xray, intensity), src, r.image, turned=turn)
            for r, src, turn in zip(radiographs, sources, turns, strict=True)
        )
    for spacing, source in zip(spacings, sources, strict=True):
        if spacing is None:
            raise InputError(
                source, "a pixel spacing (DICOM tag or --pixel-spacing) to place the field", "none"
            )
    side = side_mm if side_mm is not None else geometry.prepare.field_mm * geometry.magnification
    choices, pixels = [], []
    for r, spacing, center, source, view in zip(
        radiographs, spacings, centers, sources, VIEWS, strict=True
    ):
        pixel = float(np.mean(spacing))
        try:
            choice = choose_field(r.image, pixel_mm=pixel, side_mm=side, view=view, center=center)
            choices.append(choice)
        except InputError as exc:
            raise InputError(source, exc.expected, exc.found) from None
        pixels.append(pixel)
    check_pair(choices[0], choices[1], frontal_mm=pixels[0], lateral_mm=pixels[1], sources=sources)
    views = [
        InputView(_cut(r.image, choice, xray.size), source, r.image, choice, pixel, turn)
        for r, choice, pixel, source, turn in zip(
            radiographs, choices, pixels, sources, turns, strict=True
        )
    ]
    return views[0], views[1]


def check_own_views(
    radiographs: tuple[Radiograph, Radiograph] | list[Radiograph],
    sources: tuple[str, str],
    *,
    side_mm: float,
) -> None:
    """Refuse two views of the model's field (no pixel spacing) that look swapped or whose
    lateral looks frontal (``x2ct.xray.field.check_view_kinds``); each image spans ``side_mm``
    on the detector across its columns. One line, naming the file. Views narrower than
    ``OWN_VIEW_MIN_PX`` are not checked."""
    if min(r.image.shape[1] for r in radiographs) < OWN_VIEW_MIN_PX:
        return
    choices, pixels = [], []
    for radiograph, source, view in zip(radiographs, sources, VIEWS, strict=True):
        pixel = side_mm / radiograph.image.shape[1]
        try:
            choice = choose_field(radiograph.image, pixel_mm=pixel, side_mm=side_mm, view=view)
        except InputError as exc:
            raise InputError(source, exc.expected, exc.found) from None
        choices.append(choice)
        pixels.append(pixel)
    check_view_kinds(
        choices[0], choices[1], frontal_mm=pixels[0], lateral_mm=pixels[1], sources=sources
    )


def _cut(image: np.ndarray, choice: FieldChoice, size: int) -> np.ndarray:
    """The model's (size, size) uint8 view of ``choice`` on an original radiograph."""
    grey = _scaled_field(image.astype(np.float64), choice)
    return resize_square(crop_field(grey, choice.center, choice.side, 0.0), size)


def recentre_lateral(
    lateral: InputView, spine: np.ndarray, predictor: Predictor
) -> InputView | None:
    """The lateral view cut again around the spine a first reconstruction shows, or None.

    No image cue places the spine on a lateral film (``x2ct.xray.field``), so its first field is
    centred on the body, while the spine lies posterior of the body's middle. A network trained
    with the spine anywhere in its cube (``prepare.center_jitter_mm``) still finds it there:
    ``spine`` is the first reconstruction's (D, H, W) mask of the spine (its vertebra labels, or
    bone), and the field moves along the film's columns (H, anterior -> posterior) to put the
    mask's centre in the middle. Rows stay: the frontal view fixes them. Returns None when the
    view's field was given, the mask is empty or the move is under ``RECENTRE_MIN_MM``.
    """
    if lateral.crop is None or lateral.crop.method == "given" or not spine.any():
        return None
    voxel = predictor.voxel_mm or 1.0
    centre_h = float(np.nonzero(spine)[1].mean())
    move_mm = (centre_h - (spine.shape[1] - 1) / 2.0) * voxel
    if abs(move_mm) < RECENTRE_MIN_MM:
        return None
    move_px = move_mm * predictor.geometry.magnification / float(lateral.pixel_mm)
    row, col = lateral.crop.center
    choice = dataclasses.replace(
        lateral.crop, center=(row, col + move_px), method="spine of a first reconstruction"
    )
    size = lateral.image.shape[0]
    return dataclasses.replace(lateral, image=_cut(lateral.original, choice, size), crop=choice)


def _own_view(radiograph: Radiograph, xray, intensity: str | None) -> np.ndarray:
    """An x2ct-made view (the training field already): resized, rescaled unless 8-bit."""
    image = radiograph.image
    if intensity is None:
        eight_bit = image.min() >= 0 and image.max() <= 255 and np.all(image == np.round(image))
        intensity = "keep" if eight_bit else "percentile"
    try:
        return preprocess(image, dataclasses.replace(xray, intensity=intensity))
    except InputError as exc:
        raise InputError(radiograph.source, exc.expected, exc.found) from None
