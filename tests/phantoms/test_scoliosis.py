"""A scoliotic phantom's Cobb angle, measured from its label map alone, matches the request."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.phantoms import PhantomConfig, generate_phantom


def body_tilt(labels: np.ndarray, spacing, label: int) -> float:
    """Coronal tilt (deg) of one vertebral body, measured on a model-frame label map (D, H, W).

    On a thin coronal slab through the body (the front 30 % of the label's H span, 2.5 mm either
    side of its middle) the body's cross-section is a wide rectangle; the direction of its long
    principal axis (second moments in mm) is the direction of the endplates of an unwedged body.
    + = descends towards the patient's left (larger W, larger D).
    """
    sd, sh, sw = spacing
    d, h, w = np.nonzero(labels == label)
    body = h < h.min() + 0.3 * np.ptp(h)
    slab = body & (np.abs(h - np.median(h[body])) * sh < 2.5)
    x = w[slab] * sw - (w[slab] * sw).mean()
    z = d[slab] * sd - (d[slab] * sd).mean()
    angle = 0.5 * np.arctan2(2 * (x * z).mean(), (x * x).mean() - (z * z).mean())
    return float(np.degrees(angle))


def cobb_from_labels(labels: np.ndarray, spacing, ids: list[int]) -> float:
    """Cobb angle: the largest difference of body tilts along the spine.

    The end vertebrae of a curve are not wedged, so their bodies are parallel to their
    endplates and the largest difference equals the endplate Cobb angle.
    """
    tilts = [body_tilt(labels, spacing, i) for i in ids]
    return float(max(tilts) - min(tilts))


@pytest.mark.parametrize("cobb, seed", [(15.0, 0), (40.0, 1), (28.0, 2)])
def test_cobb_measured_from_labels_matches_the_request(cobb, seed):
    config = PhantomConfig(
        matrix=200,
        inplane_spacing_mm=(0.8, 0.8),
        slice_spacing_mm=(1.0, 1.0),
        cobb_deg=cobb,
        levels=(7, 7),
        fracture_probability=0.0,
        organs=False,
        ribs=False,
    )
    p = generate_phantom(seed, config)
    spine = p.truth["spine"]
    assert spine["cobb_requested_deg"] == pytest.approx(cobb)
    assert spine["cobb_deg"] == pytest.approx(cobb, abs=0.05)
    ids = [v["label"] for v in p.truth["vertebrae"] if v["level"] in spine["run"]]
    measured = cobb_from_labels(p.labels.array, p.labels.spacing, ids)
    assert measured == pytest.approx(cobb, abs=2.0)


def test_straight_spine_has_a_small_cobb_angle():
    config = PhantomConfig(
        matrix=200,
        inplane_spacing_mm=(0.8, 0.8),
        slice_spacing_mm=(1.0, 1.0),
        cobb_deg=0.0,
        levels=(6, 6),
        organs=False,
        ribs=False,
    )
    p = generate_phantom(3, config)
    ids = [v["label"] for v in p.truth["vertebrae"] if v["level"] in p.truth["spine"]["run"]]
    assert cobb_from_labels(p.labels.array, p.labels.spacing, ids) < 4.0
    assert p.truth["spine"]["cobb_deg"] < 4.0
