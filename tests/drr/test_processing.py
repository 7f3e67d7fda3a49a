"""The DR processing chain: window from the anatomy's percentiles, unsharp masking, display."""

from __future__ import annotations

import pytest
import torch

from x2ct.drr.processing import (
    DisplayChain,
    display_curve,
    percentile_window,
    process,
    unsharp,
)


def test_window_uses_the_anatomy_not_the_direct_beam():
    q = torch.zeros(1, 40, 100, dtype=torch.float64)  # direct beam everywhere ...
    q[0, :, 50:] = torch.linspace(2.0, 4.0, 50, dtype=torch.float64)  # ... beside a body
    windowed = percentile_window(q, (0.0, 100.0))
    assert float(windowed[0, 0, 50]) == pytest.approx(0.0, abs=1e-12)
    assert float(windowed[0, 0, 99]) == pytest.approx(1.0, abs=1e-12)
    assert float(windowed[0, 0, 0]) == pytest.approx(-1.0, abs=1e-12)  # (0 - 2) / 2
    with pytest.raises(ValueError, match="percentiles"):
        percentile_window(q, (60.0, 40.0))


def test_display_curve_is_monotone_through_its_ends():
    x = torch.linspace(-0.5, 1.5, 201, dtype=torch.float64)
    y = display_curve(x, 3.0)
    assert float(y.min()) == pytest.approx(0.0, abs=1e-12)
    assert float(y.max()) == pytest.approx(1.0, abs=1e-12)
    assert bool((y[1:] >= y[:-1]).all())
    assert float(display_curve(torch.tensor(0.5, dtype=torch.float64), 3.0)) == pytest.approx(0.5)
    assert torch.equal(display_curve(x, 0.0), x.clamp(0, 1))


def test_unsharp_leaves_flat_images_and_sharpens_edges():
    flat = torch.full((1, 30, 30), 0.4, dtype=torch.float64)
    assert torch.allclose(unsharp(flat, ((2.0, 1.0),), 1.0), flat)
    step = torch.zeros(1, 30, 30, dtype=torch.float64)
    step[..., 15:] = 1.0
    sharpened = unsharp(step, ((2.0, 1.0),), 1.0)
    assert float(sharpened[0, 10, 15]) > 1.0 and float(sharpened[0, 10, 14]) < 0.0  # overshoot
    assert torch.equal(unsharp(step, (), 1.0), step)


def test_process_gives_uint8_with_bone_bright():
    signal = torch.ones(64, 64)
    signal[:, 16:48] = torch.linspace(0.2, 0.05, 32)  # the body, thicker to the right
    signal[:, 28:36] = 0.01  # the spine, more attenuating
    image = process(signal, DisplayChain(), pixel_mm=1.0)
    assert image.dtype == torch.uint8 and image.shape == (64, 64)
    assert int(image[32, 32]) > int(image[32, 44]) > int(image[32, 2]) == 0
