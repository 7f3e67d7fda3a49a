"""Frames, the axis-constant link computation and the sliced output convolution, each against
a plain dense computation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from x2ct.models import fastops
from x2ct.models.broadcast import AxisConstant
from x2ct.models.frames import copy_along, kernel_to_ct, to_ct, to_view


def test_copy_along_follows_the_projection_axes():
    image = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)  # (N, C, rows, cols)
    frontal = copy_along(image, "frontal", 6)  # rows = D, cols = W, copied along H
    lateral = copy_along(image, "lateral", 6)  # rows = D, cols = H, copied along W
    assert frontal.shape == (2, 3, 4, 6, 5)
    assert lateral.shape == (2, 3, 4, 5, 6)
    for h in range(6):
        assert torch.equal(frontal[:, :, :, h, :], image)
        assert torch.equal(lateral[:, :, :, :, h], image)
    # The mean along the projection axis gives the image back.
    assert torch.equal(frontal.mean(dim=3), image)
    assert torch.equal(lateral.mean(dim=4), image)


@pytest.mark.parametrize("view", ["frontal", "lateral"])
def test_branch_frame_round_trip_and_link_copy(view):
    volume = torch.randn(1, 2, 3, 4, 5)
    assert torch.equal(to_ct(to_view(volume, view).contiguous(), view), volume)
    # A branch copies its image along its first (depth) axis; in the CT frame that is the
    # projection axis of the view.
    image = torch.randn(1, 2, 4, 4)
    branch = image.unsqueeze(2).expand(1, 2, 4, 4, 4)
    assert torch.equal(to_ct(branch, view), copy_along(image, view, 4))


@pytest.mark.parametrize("view", ["frontal", "lateral"])
def test_kernel_to_ct_matches_a_branch_frame_convolution(view):
    x = torch.randn(1, 3, 5, 6, 7, dtype=torch.float64)
    weight = torch.randn(4, 3, 3, 3, 3, dtype=torch.float64)
    in_branch = F.conv3d(to_view(x, view), weight, padding=1)
    in_ct = F.conv3d(x, kernel_to_ct(weight, view), padding=1)
    assert torch.allclose(to_ct(in_branch, view), in_ct, atol=1e-12)


def dense_in_relu(x):
    return F.relu(F.instance_norm(x, eps=1e-5))


@pytest.mark.parametrize("axis", [2, 3, 4])
@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 9])
def test_axis_constant_conv_norm_and_add_equal_dense(axis, length):
    plane_shape = [2, 3, 6, 7]  # N, C, P, Q
    plane = torch.randn(*plane_shape, dtype=torch.float64, requires_grad=True)
    weight1 = torch.randn(4, 3, 3, 3, 3, dtype=torch.float64)
    weight2 = torch.randn(5, 4, 3, 3, 3, dtype=torch.float64)
    bias = torch.randn(4, dtype=torch.float64)

    compact = AxisConstant.copy(plane, axis, length).conv3d(weight1, bias).instance_norm_relu()
    compact = compact.conv3d(weight2)
    dense = plane.unsqueeze(axis)
    shape = list(dense.shape)
    shape[axis] = length
    dense = F.conv3d(dense.expand(*shape), weight1, bias, padding=1)
    dense = F.conv3d(dense_in_relu(dense), weight2, padding=1)
    assert torch.allclose(compact.dense(), dense, atol=1e-10)
    assert compact.maps.shape[0] <= 5  # at most 5 distinct slices after two convolutions

    base = torch.randn(dense.shape, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(dense.shape, dtype=torch.float64)
    summed = compact.add_to(base * 1.0)
    assert torch.allclose(summed, base + dense, atol=1e-10)
    grad_compact = torch.autograd.grad((summed * weights).sum(), [plane, base])
    grad_dense = torch.autograd.grad(((base + dense) * weights).sum(), [plane, base])
    for a, b in zip(grad_compact, grad_dense, strict=True):
        assert torch.allclose(a, b, atol=1e-9)


@pytest.mark.parametrize("kernel", [3, 7])
def test_output_conv_equals_conv3d(kernel):
    x = torch.randn(2, 5, 9, 8, 7).contiguous(memory_format=torch.channels_last_3d)
    weight = torch.randn(1, 5, kernel, kernel, kernel)
    bias = torch.randn(1)
    expected = F.conv3d(x, weight, bias, padding=kernel // 2)
    assert torch.allclose(fastops.output_conv(x, weight, bias), expected, atol=1e-4)


def test_output_conv_gradients():
    x = torch.randn(1, 2, 4, 4, 3, dtype=torch.float64).contiguous(
        memory_format=torch.channels_last_3d
    )
    weight = torch.randn(1, 2, 3, 3, 3, dtype=torch.float64)
    x.requires_grad_()
    weight.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, w: fastops.output_conv(a, w, None), (x, weight))
