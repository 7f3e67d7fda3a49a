"""The per-view 2D DenseNet encoder and the 2D -> 3D link modules of X2CT-GAN.

Shapes at paper size (input (N, 1, 128, 128)): the stem gives 64 x 128^2; the levels give
128 x 64^2, 256 x 32^2, 512 x 16^2, 512 x 8^2 and finally a 704-vector (global average pool).
The link of level i reads the *input* of encoder level i (stem output for i = 0).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from x2ct.config.model import ModelConfig
from x2ct.models.layers import conv2d_block, conv3d_block, norm_relu_2d


class DenseLayer2d(nn.Module):
    """IN, ReLU, 1x1 conv -> bottleneck; IN, ReLU, 3x3 conv -> growth; output cat(input, new)."""

    def __init__(self, in_channels: int, growth: int, bottleneck: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            *norm_relu_2d(in_channels),
            nn.Conv2d(in_channels, bottleneck, kernel_size=1),
            *norm_relu_2d(bottleneck),
            nn.Conv2d(bottleneck, growth, kernel_size=3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, r, c) -> (N, C + growth, r, c)."""
        return torch.cat([x, self.layers(x)], dim=1)


class EncoderLevel(nn.Module):
    """IN, ReLU, 3x3 stride-2 conv; dense block; then IN, ReLU, 1x1 conv halving the channels
    (or, at the last level, a global average pool to (N, C, 1, 1))."""

    def __init__(self, in_channels: int, layers: int, growth: int, bottleneck: int, last: bool):
        super().__init__()
        self.down = nn.Sequential(
            *norm_relu_2d(in_channels),
            nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=2, padding=1),
        )
        dense = [DenseLayer2d(in_channels + i * growth, growth, bottleneck) for i in range(layers)]
        self.dense = nn.Sequential(*dense)
        channels = in_channels + layers * growth
        if last:
            self.out_channels = channels
            self.transition: nn.Module = nn.AdaptiveAvgPool2d(1)
        else:
            self.out_channels = channels // 2
            self.transition = nn.Sequential(
                *norm_relu_2d(channels), nn.Conv2d(channels, self.out_channels, kernel_size=1)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, r, c) -> (N, C', r / 2, c / 2), or (N, C', 1, 1) at the last level."""
        return self.transition(self.dense(self.down(x)))


class Encoder2d(nn.Module):
    """DenseNet encoder of one X-ray view: (N, 1, S, S) -> level inputs and a bottleneck vector."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        stem = cfg.scaled(cfg.stem_channels)
        growth = cfg.scaled(cfg.growth_rate)
        self.stem = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(1, stem, kernel_size=7),
            nn.InstanceNorm2d(stem, affine=False, track_running_stats=False),
            nn.ReLU(inplace=True),
        )
        self.level_channels: list[int] = [stem]
        levels = []
        for index, layers in enumerate(cfg.dense_blocks):
            last = index == cfg.levels - 1
            level = EncoderLevel(
                self.level_channels[-1], layers, growth, cfg.bottleneck_factor * growth, last
            )
            levels.append(level)
            self.level_channels.append(level.out_channels)
        self.levels = nn.ModuleList(levels)

    @property
    def out_channels(self) -> int:
        """Length of the pooled feature vector fed to the FC bottleneck."""
        return self.level_channels[-1]

    def forward(
        self, xray: torch.Tensor, efficient: bool = False
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """xray (N, 1, S, S) -> ([input of level i, (N, C_i, S / 2**i, S / 2**i)], (N, C_last)).

        With ``efficient`` and gradients, each level is recomputed in backward instead of
        keeping its activations (the concatenations of a dense block grow quadratically); the
        2D levels cost little next to the 3D decoders. Same values either way.
        """
        x = self.stem(xray)
        features = []
        recompute = efficient and torch.is_grad_enabled()
        for level in self.levels:
            features.append(x)
            x = checkpoint(level, x, use_reentrant=False) if recompute else level(x)
        return features, x.flatten(1)


class Link(nn.Module):
    """2D -> 3D skip link ("connection B"): 1x1 conv2d (IN, ReLU), copy along the view's depth
    axis, then a 3x3x3 conv3d (IN, ReLU).

    ``compress`` maps (N, C, r, c) -> (N, C', r, c); ``conv`` acts on the copied (N, C', r, r, c)
    tensor in the branch frame. The generator applies ``conv`` without materialising the copy.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.compress = conv2d_block(in_channels, out_channels, kernel_size=1)
        self.conv = conv3d_block(out_channels, out_channels)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        """Reference computation in the branch frame: (N, C, r, c) -> (N, C', r, r, c)."""
        compressed = self.compress(feature)
        n, c, rows, cols = compressed.shape
        return self.conv(compressed.unsqueeze(2).expand(n, c, rows, rows, cols))
