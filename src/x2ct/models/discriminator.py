"""The conditional 3D PatchGAN discriminator of X2CT-GAN.

Input: 3 channels [xray1 copied along H, xray2 copied along W, CT] in the CT frame (the X-ray
channels detached, as in the original). Layers (paper size, 64 channels, 3 strided layers):
Conv3d(3 -> 64, k4, s2, p2) + LeakyReLU(0.2); Conv3d 64 -> 128 -> 256 (s2) and 256 -> 512 (s1),
each without bias + InstanceNorm3d + LeakyReLU(0.2); Conv3d(512 -> 1, k4, s1, p2). No sigmoid
(LSGAN). At 128^3 the output is a 19^3 map of patch logits with a 70^3 receptive field.
"""

from __future__ import annotations

import torch
from torch import nn

from x2ct.config.model import ModelConfig
from x2ct.models.frames import copy_along
from x2ct.models.layers import init_weights

KERNEL = 4
PADDING = 2


def conditional_input(ct: torch.Tensor, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor:
    """[xray1 along H, xray2 along W, ct] -> (N, 3, D, H, W); the X-ray channels are detached."""
    length = ct.shape[3]
    frontal = copy_along(xray1.detach(), "frontal", length)
    lateral = copy_along(xray2.detach(), "lateral", ct.shape[4])
    return torch.cat([frontal, lateral, ct], dim=1)


class PatchDiscriminator3D(nn.Module):
    """Conditional PatchGAN: forward(ct (N,1,S,S,S), xray1, xray2 (N,1,S,S)) -> logits (N,1,P,P,P)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.input_size = cfg.input_size
        base = cfg.discriminator_channels
        layers: list[nn.Module] = [
            nn.Conv3d(3, base, KERNEL, stride=2, padding=PADDING),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        channels = base
        for index in range(1, cfg.discriminator_layers + 1):
            out = base * min(2**index, 8)
            stride = 2 if index < cfg.discriminator_layers else 1
            layers += [
                nn.Conv3d(channels, out, KERNEL, stride=stride, padding=PADDING, bias=False),
                nn.InstanceNorm3d(out, affine=False, track_running_stats=False),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            channels = out
        layers.append(nn.Conv3d(channels, 1, KERNEL, stride=1, padding=PADDING))
        self.layers = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, ct: torch.Tensor, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor:
        """CT (N, 1, D, H, W) and its X-rays (N, 1, S, S) -> patch logits (N, 1, P, P, P)."""
        size = self.input_size
        if ct.dim() != 5 or tuple(ct.shape[1:]) != (1, size, size, size):
            raise ValueError(f"ct must be (N, 1, {size}, {size}, {size}), got {tuple(ct.shape)}")
        for name, xray in (("xray1", xray1), ("xray2", xray2)):
            if xray.dim() != 4 or tuple(xray.shape[1:]) != (1, size, size):
                raise ValueError(f"{name} must be (N, 1, {size}, {size}), got {tuple(xray.shape)}")
        return self.layers(conditional_input(ct, xray1, xray2))


def patch_grid(cfg: ModelConfig) -> tuple[int, int]:
    """(output edge, receptive field edge) of the discriminator at cfg.input_size, analytically."""
    size = cfg.input_size
    strides = (
        [2]
        + [2 if i < cfg.discriminator_layers else 1 for i in range(1, cfg.discriminator_layers + 1)]
        + [1]
    )
    for stride in strides:
        size = (size + 2 * PADDING - KERNEL) // stride + 1
    field = 1
    for stride in reversed(strides):
        field = (field - 1) * stride + KERNEL
    return size, field
