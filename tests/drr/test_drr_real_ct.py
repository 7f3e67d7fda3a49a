"""DRRs of the repository's real lumbar CT: orientation against the volume, the 8-bit window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from x2ct.drr import DRRConfig, ParallelBeam, hu_to_mu, render, to_uint8

REAL_CT = Path(__file__).resolve().parents[2] / "data" / "totalseg-lumbar" / "ct.nii.gz"

pytestmark = pytest.mark.skipif(not REAL_CT.is_file(), reason="the repository's real CT is missing")


@pytest.fixture(scope="module")
def ct():
    from x2ct.io import read_volume

    return read_volume(REAL_CT)


def _pearson(a, b):
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_views_match_the_volume_means(ct):
    depth, height, width = ct.shape
    # detector grid = voxel grid of each face, so images and means share their pixels
    (frontal,) = render(ct, ParallelBeam(detector_pixels=(depth, width)), views="frontal")
    (lateral,) = render(ct, ParallelBeam(detector_pixels=(depth, height)), views="lateral")
    mu = hu_to_mu(ct.array)
    mean_h, mean_w = mu.mean(axis=1), mu.mean(axis=2)  # (D, W) and (D, H)
    assert frontal.shape == mean_h.shape and lateral.shape == mean_w.shape
    for image, mean in ((frontal, mean_h), (lateral, mean_w)):
        rho = _pearson(image, mean)
        assert rho >= 0.99
        assert rho > _pearson(image[:, ::-1], mean) and rho > _pearson(image[::-1], mean)


def test_default_window_neither_saturates_nor_darkens(ct):
    # the whole abdomen: the longest paths x2ct is likely to see (lateral up to about 430 mm)
    images = to_uint8(render(ct), DRRConfig())
    for image in images:
        body = image[image > 10]
        assert image.max() < 255
        assert 100 <= np.median(body) <= 220
    # a box around the vertebrae only (short paths): dim but not black
    from x2ct.io import read_volume

    spine = np.argwhere(read_volume(REAL_CT.with_name("labels.nii.gz")).array > 0)
    box = tuple(
        slice(max(lo - 3, 0), hi + 4) for lo, hi in zip(spine.min(0), spine.max(0), strict=True)
    )
    crop = ct.with_array(ct.array[box])
    for image in to_uint8(render(crop), DRRConfig()):
        assert np.median(image) >= 40 and image.max() < 255
