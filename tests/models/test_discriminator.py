"""The conditional 3D PatchGAN: input, output size, receptive field."""

from __future__ import annotations

import copy

import pytest
import torch
from model_helpers import small_config
from torch import nn

from x2ct.models import ModelConfig, build_discriminator, conditional_input, patch_grid


def test_paper_patch_grid_and_receptive_field_from_the_reference():
    assert patch_grid(ModelConfig()) == (19, 70)


def test_paper_size_output_on_meta_device():
    with torch.device("meta"):
        discriminator = build_discriminator(ModelConfig())
        out = discriminator(
            torch.empty(1, 1, 128, 128, 128),
            torch.empty(1, 1, 128, 128),
            torch.empty(1, 1, 128, 128),
        )
    assert out.shape == (1, 1, 19, 19, 19)


@pytest.mark.parametrize("size", [32, 64])
def test_output_size_matches_patch_grid(size):
    cfg = small_config(size)
    discriminator = build_discriminator(cfg)
    ct = torch.rand(2, 1, size, size, size)
    x1, x2 = torch.rand(2, 1, size, size), torch.rand(2, 1, size, size)
    out = discriminator(ct, x1, x2)
    edge = patch_grid(cfg)[0]
    assert out.shape == (2, 1, edge, edge, edge)


def test_conditional_input_layout_and_detached_xrays():
    ct = torch.rand(1, 1, 4, 4, 4, requires_grad=True)
    x1 = torch.rand(1, 1, 4, 4, requires_grad=True)
    x2 = torch.rand(1, 1, 4, 4, requires_grad=True)
    joined = conditional_input(ct, x1, x2)
    assert joined.shape == (1, 3, 4, 4, 4)
    for k in range(4):
        assert torch.equal(joined[:, 0, :, k, :], x1[:, 0])  # frontal copied along H
        assert torch.equal(joined[:, 1, :, :, k], x2[:, 0])  # lateral copied along W
    assert torch.equal(joined[:, 2:], ct)
    joined.sum().backward()
    assert ct.grad is not None
    assert x1.grad is None and x2.grad is None


def test_receptive_field_is_70():
    # InstanceNorm couples every voxel; without it the gradient of one logit covers exactly the
    # voxels that logit sees.
    discriminator = copy.deepcopy(build_discriminator(ModelConfig(discriminator_channels=2)))
    for name, module in list(discriminator.layers.named_children()):
        if isinstance(module, nn.InstanceNorm3d):
            discriminator.layers.__setattr__(name, nn.Identity())
    size = 96
    ct = torch.rand(1, 1, size, size, size, requires_grad=True)
    out = discriminator.layers(ct.expand(1, 3, size, size, size))
    centre = out.shape[-1] // 2
    out[0, 0, centre, centre, centre].backward()
    for axis in range(3):
        others = tuple(a for a in range(3) if a != axis)
        touched = ct.grad[0, 0].abs().sum(dim=others).nonzero().flatten()
        assert int(touched.max() - touched.min() + 1) == 70


def test_wrong_shapes_are_rejected():
    discriminator = build_discriminator(small_config(32))
    with pytest.raises(ValueError, match="ct"):
        discriminator(
            torch.rand(1, 1, 16, 16, 16), torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
        )
