"""Loss formulas of x2ct.losses against hand-computed values and a numpy reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from x2ct.losses import (
    LossWeights,
    discriminator_loss,
    generator_loss,
    lsgan_loss,
    projection_loss,
)

PAPER = LossWeights(gan=0.1, mse=10.0, projection=10.0)


def test_generator_loss_hand_computed():
    # fake 0, real 1: MSE 1, every projection differs by 1 (L1 1 per axis), D logits 0.
    fake = torch.zeros(1, 1, 2, 3, 4)
    real = torch.ones(1, 1, 2, 3, 4)
    total, parts = generator_loss(fake, real, torch.zeros(1, 1, 2, 2, 2), PAPER)
    assert parts["g_gan"].item() == pytest.approx(0.1 * 1.0)
    assert parts["g_mse"].item() == pytest.approx(10.0)
    assert parts["g_proj"].item() == pytest.approx(10.0 / 3 * 3)
    assert total.item() == pytest.approx(20.1)


def test_discriminator_loss_hand_computed():
    d_real = torch.full((2, 1, 3, 3, 3), 0.5)  # (0.5 - 1)^2 = 0.25
    d_fake = torch.full((2, 1, 3, 3, 3), -2.0)  # (-2 - 0)^2 = 4
    total, parts = discriminator_loss(d_real, d_fake, PAPER)
    assert parts["d_real"].item() == pytest.approx(0.025)
    assert parts["d_fake"].item() == pytest.approx(0.4)
    assert total.item() == pytest.approx(0.425)


def test_generator_loss_against_numpy_reference():
    rng = np.random.default_rng(3)
    fake = rng.random((2, 1, 4, 5, 6)).astype(np.float32)
    real = rng.random((2, 1, 4, 5, 6)).astype(np.float32)
    logits = rng.normal(size=(2, 1, 3, 3, 3)).astype(np.float32)
    weights = LossWeights(gan=0.3, mse=2.0, projection=6.0)
    expected_proj = sum(np.mean(np.abs(fake.mean(axis=a) - real.mean(axis=a))) for a in (2, 3, 4))
    expected = (
        0.3 * np.mean((logits - 1.0) ** 2)
        + 2.0 * np.mean((fake - real) ** 2)
        + 6.0 / 3 * expected_proj
    )
    total, parts = generator_loss(
        torch.from_numpy(fake), torch.from_numpy(real), torch.from_numpy(logits), weights
    )
    assert total.item() == pytest.approx(expected, rel=1e-5)
    assert projection_loss(torch.from_numpy(fake), torch.from_numpy(real)).item() == (
        pytest.approx(expected_proj, rel=1e-5)
    )
    assert parts["g_proj"].item() == pytest.approx(2.0 * expected_proj, rel=1e-5)


def test_projection_loss_is_zero_for_volumes_with_equal_projections():
    # Two different volumes with identical means along every axis (a +-1 checkerboard pattern
    # added to a constant sums to 0 along each axis when every side is even).
    grid = np.indices((4, 4, 4)).sum(axis=0) % 2 * 2.0 - 1.0
    base = torch.full((1, 1, 4, 4, 4), 0.5)
    other = base + 0.1 * torch.from_numpy(grid).float()[None, None]
    assert projection_loss(base, other).item() == pytest.approx(0.0, abs=1e-7)
    assert generator_loss(base, other, None, PAPER)[1]["g_mse"].item() > 0


def test_without_discriminator_the_gan_term_is_zero():
    fake, real = torch.rand(1, 1, 4, 4, 4), torch.rand(1, 1, 4, 4, 4)
    total, parts = generator_loss(fake, real, None, PAPER)
    assert parts["g_gan"].item() == 0.0
    assert total.item() == pytest.approx(parts["g_mse"].item() + parts["g_proj"].item())


def test_lsgan_and_batch_mean():
    # A batch loss is the mean of its cases' losses (what DDP's gradient averaging relies on).
    logits = torch.randn(2, 1, 3, 3, 3)
    both = lsgan_loss(logits, real=True)
    single = (lsgan_loss(logits[:1], real=True) + lsgan_loss(logits[1:], real=True)) / 2
    assert both.item() == pytest.approx(single.item(), rel=1e-6)
    fake, real = torch.rand(2, 1, 4, 4, 4), torch.rand(2, 1, 4, 4, 4)
    pair = generator_loss(fake, real, logits, PAPER)[0]
    halves = [
        generator_loss(fake[i : i + 1], real[i : i + 1], logits[i : i + 1], PAPER)[0]
        for i in range(2)
    ]
    assert pair.item() == pytest.approx(((halves[0] + halves[1]) / 2).item(), rel=1e-6)
