"""2D preprocessing: the seed's steps and the aligned mode."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.config.xray import XrayConfig
from x2ct.errors import InputError
from x2ct.xray import preprocess


def spine_like(rows: int = 200, cols: int = 160) -> np.ndarray:
    """Dark background, a bright vertical 'spine' block with a gradient, and salt specks."""
    image = np.full((rows, cols), 10.0)
    image[40:160, 60:100] = np.linspace(100, 200, 120)[:, None]
    image[5, 5] = image[190, 150] = 255.0  # single-pixel noise the opening must remove
    return image


def test_paper_mode_crops_to_the_bright_block_and_pads_square():
    out = preprocess(spine_like().astype(np.uint8), XrayConfig(mode="paper", size=60))
    assert out.shape == (60, 60) and out.dtype == np.uint8
    # The 120 x 40 block fills the full height; padded to 120 x 120 it spans the middle third.
    filled_cols = np.flatnonzero(out.max(axis=0) > 0)
    assert filled_cols[0] == pytest.approx(20, abs=1) and filled_cols[-1] == pytest.approx(
        39, abs=1
    )
    assert (out[:, :18] == 0).all() and (out[:, 42:] == 0).all()
    # Min-max normalised inside the crop: the block's gradient spans 0..255.
    column = out[:, 30].astype(float)
    assert column[0] < 10 and column[-1] > 245
    assert np.all(np.diff(column[2:-2]) >= 0)


def test_paper_mode_without_bright_pixels_is_an_error():
    with pytest.raises(InputError, match="brighter"):
        preprocess(np.full((50, 50), 5, np.uint8), XrayConfig(mode="paper", threshold=30))


def test_aligned_mode_keeps_a_drr_field_of_view():
    drr = np.zeros((256, 256), np.uint8)
    drr[64:192, 100:156] = 180
    out = preprocess(drr, XrayConfig(mode="aligned", size=128))
    assert out.shape == (128, 128)
    # Same field: the block keeps its relative position and intensity (no per-image rescale).
    rows = np.flatnonzero(out[:, 64] > 90)
    assert rows[0] == pytest.approx(32, abs=1) and rows[-1] == pytest.approx(95, abs=1)
    assert out[64, 64] == 180


def test_aligned_mode_crops_a_real_radiograph_by_its_pixel_spacing():
    # 0.5 mm pixels; the training field is 100 mm at the isocentre with magnification 1.2,
    # i.e. 120 mm on the detector = 240 pixels, centred on the bright block.
    image = np.full((600, 500), 20.0)
    image[200:400, 230:270] = 200.0  # 100 mm tall, 20 mm wide on the detector
    config = XrayConfig(mode="aligned", size=120, intensity="minmax")
    out = preprocess(image, config, pixel_spacing_mm=(0.5, 0.5), field_mm=100.0, magnification=1.2)
    bright_cols = np.flatnonzero(out[60] > 128)
    # 40 detector pixels of 240 -> 20 output pixels of 120, centred.
    assert len(bright_cols) == pytest.approx(20, abs=1)
    assert bright_cols.mean() == pytest.approx(59.5, abs=1)
    bright_rows = np.flatnonzero(out[:, 60] > 128)
    assert len(bright_rows) == pytest.approx(100, abs=1)


def test_keep_intensity_refuses_non_8bit_values():
    with pytest.raises(InputError, match="8-bit"):
        preprocess(np.full((10, 10), 1000.0), XrayConfig(mode="aligned", intensity="keep"))


def test_percentile_intensity_maps_the_range():
    rng = np.random.default_rng(0)
    image = rng.normal(1000, 100, (64, 64))
    out = preprocess(image, XrayConfig(mode="aligned", size=64, intensity="percentile"))
    assert out.min() == 0 and out.max() == 255
    assert 100 < np.median(out) < 155
