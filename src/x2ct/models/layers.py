"""Building blocks shared by the generator and the discriminator, and weight utilities.

Every normalisation is an InstanceNorm without affine parameters and without running statistics
(as in X2CT-GAN), so a network behaves the same in train and eval mode except for dropout.
Every convolution of the generator has a bias (initialised to 0).
"""

from __future__ import annotations

import torch
from torch import nn


def conv3d_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Conv3d 3x3x3 (padding 1) -> InstanceNorm3d -> ReLU; (N, Cin, D, H, W) -> (N, Cout, D, H, W)."""
    return nn.Sequential(
        nn.Conv3d(in_channels, out_channels, kernel_size=3, padding=1, bias=True),
        nn.InstanceNorm3d(out_channels, affine=False, track_running_stats=False),
        nn.ReLU(inplace=True),
    )


def up_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """ConvTranspose3d (k3, stride 2, padding 1, output_padding 1) -> InstanceNorm3d -> ReLU.

    (N, Cin, D, H, W) -> (N, Cout, 2D, 2H, 2W).
    """
    return nn.Sequential(
        nn.ConvTranspose3d(
            in_channels, out_channels, kernel_size=3, stride=2, padding=1, output_padding=1
        ),
        nn.InstanceNorm3d(out_channels, affine=False, track_running_stats=False),
        nn.ReLU(inplace=True),
    )


def conv2d_block(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    """Conv2d (padding kernel_size // 2) -> InstanceNorm2d -> ReLU on (N, C, rows, cols)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, padding=kernel_size // 2),
        nn.InstanceNorm2d(out_channels, affine=False, track_running_stats=False),
        nn.ReLU(inplace=True),
    )


def norm_relu_2d(channels: int) -> list[nn.Module]:
    """InstanceNorm2d -> ReLU, the pre-activation of the DenseNet encoder."""
    return [
        nn.InstanceNorm2d(channels, affine=False, track_running_stats=False),
        nn.ReLU(inplace=True),
    ]


_WEIGHTED = (nn.Conv2d, nn.Conv3d, nn.ConvTranspose3d, nn.Linear)


@torch.no_grad()
def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """X2CT-GAN's "normal" initialisation: conv and linear weights ~ N(0, std), biases 0.

    Applies to every Conv2d, Conv3d, ConvTranspose3d and Linear inside ``module``; returns it.
    Normalisation layers have no parameters (affine=False) and are left alone.
    """
    for layer in module.modules():
        if isinstance(layer, _WEIGHTED):
            nn.init.normal_(layer.weight, mean=0.0, std=std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``module`` (shared tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for parameter in module.parameters():
        if id(parameter) in seen or (trainable_only and not parameter.requires_grad):
            continue
        seen.add(id(parameter))
        total += parameter.numel()
    return total
