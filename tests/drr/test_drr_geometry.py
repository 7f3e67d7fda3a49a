"""Geometry: detector defaults, validation, configuration."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.drr import (
    ConeBeam,
    DRRConfig,
    ParallelBeam,
    detector_for,
    geometry_from_config,
    render,
)
from x2ct.errors import InputError


def test_cube_default_detector_covers_the_cube_face():
    # a cube of S voxels: S x S pixels whose footprint at the isocentre is the cube face
    geometry = ConeBeam(sad_mm=800.0, sdd_mm=1100.0)
    for view in ("frontal", "lateral"):
        det = detector_for(geometry, view, (64, 64, 64), (2.0, 2.0, 2.0))
        assert (det.rows, det.cols) == (64, 64)
        assert det.magnification == pytest.approx(1100.0 / 800.0)
        assert det.rows * det.row_pitch_mm / det.magnification == pytest.approx(128.0)
        assert det.cols * det.col_pitch_mm / det.magnification == pytest.approx(128.0)


def test_default_detector_fits_each_views_face():
    shape, spacing = (40, 30, 50), (2.5, 1.0, 0.8)  # faces: D 100 mm, H 30 mm, W 40 mm
    geometry = ParallelBeam(detector_pixels=(20, 25))
    front = detector_for(geometry, "frontal", shape, spacing)
    side = detector_for(geometry, "lateral", shape, spacing)
    assert front.row_pitch_mm == pytest.approx(100.0 / 20) == side.row_pitch_mm
    assert front.col_pitch_mm == pytest.approx(40.0 / 25)  # columns span W
    assert side.col_pitch_mm == pytest.approx(30.0 / 25)  # columns span H
    # with a pitch given, just enough pixels to cover the largest face
    det = detector_for(ConeBeam(detector_spacing_mm=1.0), "frontal", shape, spacing)
    magnification = 1000.0 / 850.0
    assert det.rows == int(np.ceil(100.0 * magnification))
    assert det.cols == int(np.ceil(40.0 * magnification))
    assert det.row_pitch_mm == det.col_pitch_mm == 1.0


def test_pixel_centres_are_symmetric_about_the_central_ray():
    det = detector_for(ParallelBeam(detector_pixels=(3, 4)), "frontal", (6, 6, 8), (1.0, 1.0, 1.0))
    rows, cols = det.centres_mm()
    np.testing.assert_allclose(rows, [-2.0, 0.0, 2.0])
    np.testing.assert_allclose(cols, [-3.0, -1.0, 1.0, 3.0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sad_mm": 1000.0, "sdd_mm": 900.0},
        {"sad_mm": -5.0},
        {"sad_mm": float("inf")},
        {"detector_pixels": 0},
        {"detector_pixels": (10, 2.5)},
        {"detector_spacing_mm": -1.0},
        {"isocenter_mm": (0.0, 1.0)},
    ],
)
def test_bad_cone_geometry_is_rejected(kwargs):
    with pytest.raises(InputError, match="DRR geometry"):
        ConeBeam(**kwargs)


def test_source_inside_the_volume_is_rejected():
    volume = np.zeros((10, 200, 10), dtype=np.float32)  # 200 mm deep along H
    with pytest.raises(InputError, match="frontal source outside"):
        render(volume, ConeBeam(sad_mm=90.0, sdd_mm=200.0), views="frontal", units="mu")
    # the same source is fine for the lateral view (10 mm wide along W)
    render(volume, ConeBeam(sad_mm=90.0, sdd_mm=200.0), views="lateral", units="mu")


def test_geometry_from_config():
    cone = geometry_from_config(DRRConfig(sad_mm=700.0, sdd_mm=1000.0, detector_pixels=128))
    assert isinstance(cone, ConeBeam) and cone.magnification == pytest.approx(1000 / 700)
    assert cone.detector_pixels == 128
    parallel = geometry_from_config(DRRConfig(geometry="parallel", detector_spacing_mm=2.0))
    assert isinstance(parallel, ParallelBeam) and parallel.magnification == 1.0
    default = geometry_from_config()
    assert 1.1 <= default.magnification <= 1.4 and default.sdd_mm == pytest.approx(1000.0)
