"""The biplanar X2CT-GAN generator ("B" network), computed in the CT frame.

Parameters are laid out as in the original network: ``frontal`` and ``lateral`` view branches
(2D DenseNet encoder, FC bottleneck, 2D -> 3D links, view decoder; 3D kernels stored in the
branch frame, see ``x2ct.models.frames``), a ``fused`` decoder and the 7^3 output ``head``. The
view outputs the loss never uses (each branch's last conv block and output conv) are not built.

``forward`` evaluates the same function as the original arrangement
(``x2ct.models.original.OriginalArrangement``) but faster on CPU:

- every activation stays in the CT frame; branch kernels are permuted instead of activations;
- the 2D -> 3D links never materialise their copies (``x2ct.models.broadcast``): the link conv
  and the skip half of the next compression are 2D convolutions;
- channels-last-3d activations, an InstanceNorm for that layout and a sliced output conv
  (``x2ct.models.fastops``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from x2ct.models import fastops
from x2ct.models.broadcast import AxisConstant
from x2ct.models.config import ModelConfig
from x2ct.models.encoder import Encoder2d, Link
from x2ct.models.frames import COPY_AXIS, VIEWS, kernel_to_ct, to_ct
from x2ct.models.layers import conv3d_block, init_weights, up_block


class DecoderLevel(nn.Module):
    """One decoder level: ``compress`` C3(2C -> C) of cat(x, other), ``blocks`` C3(C -> C), ``up``.

    ``compress`` is None at the bottom level, ``up`` is None at level 0 (full size).
    """

    def __init__(self, channels: int, out_channels: int, blocks: int, compress: bool, up: bool):
        super().__init__()
        self.compress = conv3d_block(2 * channels, channels) if compress else None
        self.blocks = nn.Sequential(*[conv3d_block(channels, channels) for _ in range(blocks)])
        self.up = up_block(channels, out_channels) if up else None


def build_decoder(cfg: ModelConfig, blocks: tuple[int, ...]) -> nn.ModuleList:
    """Decoder levels 0..L (L = bottom): level i works at input_size / 2**i with C_i channels."""
    channels = [cfg.scaled(c) for c in cfg.decoder_channels]
    levels = []
    for i in range(cfg.levels + 1):
        bottom = i == cfg.levels
        levels.append(
            DecoderLevel(
                channels[i],
                channels[i - 1] if i > 0 else channels[0],
                0 if bottom else blocks[i],
                compress=not bottom,
                up=i > 0,
            )
        )
    return nn.ModuleList(levels)


class ViewBranch(nn.Module):
    """One view: encoder, FC bottleneck ("connection A"), links ("connection B"), decoder."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        channels = [cfg.scaled(c) for c in cfg.decoder_channels]
        self.bottom_channels = channels[-1]
        self.bottom_size = cfg.bottom_size
        self.encoder = Encoder2d(cfg)
        self.bottleneck = nn.Sequential(
            nn.Linear(self.encoder.out_channels, channels[-1] * cfg.bottom_size**3),
            nn.Dropout(cfg.dropout),
            nn.ReLU(inplace=True),
        )
        self.links = nn.ModuleList(
            Link(self.encoder.level_channels[i], channels[i]) for i in range(cfg.levels)
        )
        # Level 0 of a view decoder ends after its compression: the blocks after it and the
        # view's output conv only feed the unused view output.
        blocks = (0, *cfg.branch_decoder_blocks[1:])
        self.decoder = build_decoder(cfg, blocks)

    def bottom(self, pooled: torch.Tensor) -> torch.Tensor:
        """(N, C_enc) -> (N, C_L, b, b, b) in the branch frame."""
        s = self.bottom_size
        return self.bottleneck(pooled).view(-1, self.bottom_channels, s, s, s)


class X2CTGenerator(nn.Module):
    """Biplanar generator: xray1 (frontal), xray2 (lateral) (N, 1, S, S) in [0, 1] ->
    CT (N, 1, S, S, S) in the CT frame (D, H, W), ReLU output (unbounded above; clamp for use)."""

    def __init__(self, cfg: ModelConfig, gradient_checkpointing: bool = False) -> None:
        super().__init__()
        self.cfg = cfg
        self.gradient_checkpointing = gradient_checkpointing
        self.frontal = ViewBranch(cfg)
        self.lateral = ViewBranch(cfg)
        self.fused = build_decoder(cfg, cfg.fused_decoder_blocks)
        c0 = cfg.scaled(cfg.decoder_channels[0])
        k = cfg.output_kernel
        self.head = nn.Conv3d(c0, 1, kernel_size=k, padding=k // 2)
        init_weights(self)

    def branches(self) -> dict[str, ViewBranch]:
        """The view branches by view name ("frontal", "lateral")."""
        return {"frontal": self.frontal, "lateral": self.lateral}

    def forward(self, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor:
        """xray1 = frontal (rows D, cols W), xray2 = lateral (rows D, cols H), (N, 1, S, S) ->
        CT (N, 1, D, H, W) with D = H = W = S."""
        size = self.cfg.input_size
        for name, xray in (("xray1", xray1), ("xray2", xray2)):
            if xray.dim() != 4 or tuple(xray.shape[1:]) != (1, size, size):
                raise ValueError(f"{name} must be (N, 1, {size}, {size}), got {tuple(xray.shape)}")
        branches = self.branches()
        skips: dict[str, list[AxisConstant]] = {}
        bottoms: dict[str, torch.Tensor] = {}
        for view, xray in zip(VIEWS, (xray1, xray2), strict=True):
            branch = branches[view]
            features, pooled = branch.encoder(xray)
            skips[view] = [
                self._link(branch.links[i], feature, view) for i, feature in enumerate(features)
            ]
            bottoms[view] = branch.bottom(pooled)
        # The bottom level: no compression; the fused decoder and both views start from the
        # average of the two bottlenecks in the CT frame.
        average = fastops.as_cl((to_ct(bottoms["frontal"], "frontal") + to_ct(bottoms["lateral"], "lateral")) / 2)
        state = self._bottom_level(average)
        for level in range(self.cfg.levels - 1, -1, -1):
            level_skips = [skips[view][level] for view in VIEWS]
            if self.gradient_checkpointing and torch.is_grad_enabled():
                state = checkpoint(self._level, level, state, level_skips, use_reentrant=False)
            else:
                state = self._level(level, state, level_skips)
        fused = state[2]
        return torch.relu(fastops.output_conv(fused, self.head.weight, self.head.bias))

    def _link(self, link: Link, feature: torch.Tensor, view: str) -> AxisConstant:
        """Link output in the CT frame as an AxisConstant (never materialised)."""
        plane = link.compress(feature)
        conv = link.conv[0]
        copied = AxisConstant.copy(plane, COPY_AXIS[view], plane.shape[-2])
        return copied.conv3d(kernel_to_ct(conv.weight, view), conv.bias).instance_norm_relu()

    def _bottom_level(self, average: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Up-sample the averaged bottleneck in the three decoders."""
        outputs = []
        for view, branch in self.branches().items():
            outputs.append(_up(branch.decoder[-1].up, average, view))
        outputs.append(_up(self.fused[-1].up, average, None))
        return tuple(outputs)

    def _level(
        self, level: int, state: tuple[torch.Tensor, ...], skips: list[AxisConstant]
    ) -> tuple[torch.Tensor, ...]:
        """One decoder level for the three decoders: (frontal, lateral, fused) -> next level."""
        compressed = []
        for view, x, skip in zip(VIEWS, state[:2], skips, strict=True):
            block = self.branches()[view].decoder[level].compress
            compressed.append(_compress_with_skip(block, x, skip, view))
        average = (compressed[0] + compressed[1]) / 2
        fused_level = self.fused[level]
        fused = _block(fused_level.compress, torch.cat([average, state[2]], dim=1), None)
        for block in fused_level.blocks:
            fused = _block(block, fused, None)
        if fused_level.up is None:
            return (average, average, fused)
        outputs = []
        for view in VIEWS:
            branch_level = self.branches()[view].decoder[level]
            x = average
            for block in branch_level.blocks:
                x = _block(block, x, view)
            outputs.append(_up(branch_level.up, x, view))
        outputs.append(_up(fused_level.up, fused, None))
        return tuple(outputs)


def _kernel(weight: torch.Tensor, view: str | None) -> torch.Tensor:
    return weight if view is None else kernel_to_ct(weight, view)


def _block(block: nn.Sequential, x: torch.Tensor, view: str | None) -> torch.Tensor:
    """conv3d_block applied in the CT frame (kernel of a branch permuted from its frame)."""
    conv = block[0]
    return fastops.instance_norm_relu(fastops.conv3d(x, _kernel(conv.weight, view), conv.bias))


def _up(block: nn.Sequential, x: torch.Tensor, view: str | None) -> torch.Tensor:
    """up_block applied in the CT frame."""
    conv = block[0]
    return fastops.instance_norm_relu(fastops.up3d(x, _kernel(conv.weight, view), conv.bias))


def _compress_with_skip(
    block: nn.Sequential, x: torch.Tensor, skip: AxisConstant, view: str
) -> torch.Tensor:
    """C3 of cat(x, skip) as conv(x, W[:, :C]) + conv(skip, W[:, C:]); the skip part is 2D work."""
    conv = block[0]
    weight = kernel_to_ct(conv.weight, view)
    channels = x.shape[1]
    out = fastops.conv3d(x, weight[:, :channels], conv.bias)
    skip.conv3d(weight[:, channels:]).add_to(out)
    return fastops.instance_norm_relu(out)
