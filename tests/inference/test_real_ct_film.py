"""The field search on a film-sized radiograph of the real CT, whose spine position is known."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.drr.geometry import ConeBeam
from x2ct.drr.radiograph import display, line_integrals
from x2ct.inference.inputs import prepare_views
from x2ct.inference.predictor import Predictor
from x2ct.inference.reconstruct import predict_views
from x2ct.io import Radiograph, read_volume
from x2ct.prepare.case import read_label_ids

PITCH_MM = 1.0
FILM = (430, 350)  # pixels (rows, cols) at PITCH_MM: a 43 x 35 cm film, portrait
LUMBAR = (27, 28, 29, 30, 31)  # TotalSegmentator ids of L5..L1


def _centre_mm(shape, spacing, mask) -> np.ndarray:
    index = np.array([axis.mean() for axis in np.nonzero(mask)])
    return (index - (np.array(shape) - 1) / 2.0) * np.array(spacing)


@pytest.fixture(scope="module")
def films(real_ct_dir):
    """Frontal and lateral 430 x 350 mm films of the real CT with the central ray at the body's
    middle (as a radiographer aims), and the spine's centre projected on each."""
    predictor = Predictor.from_model("spine-cpu-radiograph")
    ct = read_volume(real_ct_dir / "ct.nii.gz")
    ids, _ = read_label_ids(real_ct_dir / "labels.nii.gz")
    spine = _centre_mm(ct.shape, ct.spacing, np.isin(ids, LUMBAR))
    body = _centre_mm(ct.shape, ct.spacing, ct.array > -300)
    aim = (float(spine[0]), float(body[1]), float(body[2]))
    drr = predictor.geometry.drr
    geometry = ConeBeam(drr.sad_mm, drr.sdd_mm, FILM, PITCH_MM, aim)
    images = display(line_integrals(ct, geometry, drr, seed=0), drr, pixel_mm=PITCH_MM)
    pair = [
        Radiograph(images[v].astype(np.float32), (PITCH_MM, PITCH_MM), name)
        for v, name in enumerate(("ap", "lat"))
    ]
    truth = {}
    for view, (ray, col) in (("frontal", (1, 2)), ("lateral", (2, 1))):
        rel = spine - np.array(aim)
        scale = geometry.sdd_mm / (geometry.sad_mm + rel[ray]) / PITCH_MM
        middle = [(n - 1) / 2.0 for n in FILM]
        truth[view] = (middle[0] + rel[0] * scale, middle[1] + rel[col] * scale)
    return predictor, pair, truth, geometry.magnification


def _error_mm(view, truth, magnification) -> float:
    return abs(view.crop.center[1] - truth[1]) * PITCH_MM / magnification


def test_the_frontal_field_is_on_the_spine_and_recentring_brings_the_lateral_to_it(films):
    predictor, (frontal, lateral), truth, magnification = films
    found = prepare_views(frontal, lateral, predictor)
    assert _error_mm(found[0], truth["frontal"], magnification) < 8.0
    before = _error_mm(found[1], truth["lateral"], magnification)
    assert before > 15.0  # the body's middle: the spine lies posterior of it
    used, _, labels = predict_views(found, predictor, recentre=True)
    after = _error_mm(used[1], truth["lateral"], magnification)
    assert after < 12.0 and after < before / 2, (before, after)
    assert labels is not None and (labels > 0).any()
