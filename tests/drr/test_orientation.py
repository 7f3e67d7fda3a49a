"""Image orientation of both views (model frame conventions) with asymmetric volumes."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.drr import ConeBeam, ParallelBeam, render


def _quadrant(image):
    """(top?, left?) of the image's brightest pixel."""
    row, col = np.unravel_index(np.argmax(image), image.shape)
    return bool(row < image.shape[0] / 2), bool(col < image.shape[1] / 2)


@pytest.mark.parametrize("geometry", [ConeBeam(), ParallelBeam()], ids=["cone", "parallel"])
def test_superior_right_anterior_blob(geometry):
    # model frame: index 0 of D is superior, of H anterior, of W patient right
    volume = np.zeros((32, 36, 40), dtype=np.float32)
    volume[3:8, 4:9, 5:10] = 1000.0  # HU: bone-like blob in the superior-right-anterior corner
    frontal, lateral = render(volume, geometry, spacing_mm=(2.0, 2.0, 2.0))
    # frontal: superior at the top, patient right on the viewer's left
    assert _quadrant(frontal) == (True, True)
    # lateral: superior at the top, anterior on the left
    assert _quadrant(lateral) == (True, True)


def test_inferior_left_posterior_blob_lands_bottom_right():
    volume = np.zeros((32, 36, 40), dtype=np.float32)
    volume[25:30, 28:33, 31:36] = 1000.0
    frontal, lateral = render(volume, spacing_mm=(2.0, 2.0, 2.0))
    assert _quadrant(frontal) == (False, False)
    assert _quadrant(lateral) == (False, False)


def test_separate_blobs_follow_their_own_axes():
    # a blob right (W small) but posterior (H large): left in the frontal, right in the lateral
    volume = np.zeros((30, 30, 30), dtype=np.float32)
    volume[12:17, 22:27, 3:8] = 1000.0
    frontal, lateral = render(volume, ParallelBeam(), spacing_mm=(1.0, 1.0, 1.0))
    assert _quadrant(frontal)[1] is True
    assert _quadrant(lateral)[1] is False
