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
- channels-last-3d activations, an InstanceNorm for that layout (``x2ct.models.norm``) and a
  sliced output conv (``x2ct.models.fastops``);
- in training, each block keeps only its normalised pre-activation for backward; ReLU outputs,
  the fused averages and up-sampling outputs are recomputed when backward needs them
  (``x2ct.models.recompute``), and the 2D encoder levels are recomputed too.

All of it is exact up to float rounding (tests compare outputs and gradients with the
original arrangement).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from x2ct.config.model import ModelConfig
from x2ct.models import fastops
from x2ct.models.broadcast import AxisConstant
from x2ct.models.encoder import Encoder2d, Link
from x2ct.models.frames import COPY_AXIS, VIEWS, kernel_to_ct, to_ct
from x2ct.models.layers import conv3d_block, init_weights, up_block
from x2ct.models.norm import instance_norm_relu_, normalise_
from x2ct.models.recompute import Recompute, Recomputed, autocast_state


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

    def set_gradient_checkpointing(self, enabled: bool = True) -> None:
        """Recompute each decoder level's three parts in backward instead of keeping them."""
        self.gradient_checkpointing = enabled

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
        if not torch.is_grad_enabled():
            return self._forward(xray1, xray2, None)
        recompute = Recompute()
        with recompute.active():
            return self._forward(xray1, xray2, recompute)

    def _forward(
        self, xray1: torch.Tensor, xray2: torch.Tensor, recompute: Recompute | None
    ) -> torch.Tensor:
        skips: dict[str, list[AxisConstant]] = {}
        bottoms = []
        for view, xray in zip(VIEWS, (xray1, xray2), strict=True):
            branch = self.branches()[view]
            features, pooled = branch.encoder(xray, efficient=True)
            skips[view] = [
                _link(link, f, view) for link, f in zip(branch.links, features, strict=True)
            ]
            bottoms.append(to_ct(branch.bottom(pooled), view))
        # Bottom level: the three decoders all start from the average of the two bottlenecks.
        average = fastops.as_cl(torch.add(*bottoms).mul_(0.5))
        state: tuple[torch.Tensor, ...] = (average, average, average)
        for level in range(self.cfg.levels - 1, -1, -1):
            state = self._stage(level, state, [skips[view][level] for view in VIEWS], recompute)
        return torch.relu(state[0])

    def _stage(
        self,
        level: int,
        state: tuple[torch.Tensor, ...],
        skips: list[AxisConstant],
        recompute: Recompute | None,
    ) -> tuple[torch.Tensor, ...]:
        """Decoder level ``level`` from the three decoders' features at level + 1.

        state = (frontal, lateral, fused) before their up-sampling; returns the same at this
        level, or (head output,) at level 0.
        """
        if self.gradient_checkpointing and torch.is_grad_enabled():
            # Each part is recomputed in backward; nothing inside it may be registered for
            # recomputation, since the registration would keep the part's tensors alive.
            def run(function, *args):
                return checkpoint(function, *args, None, use_reentrant=False)

            recompute = None
        else:

            def run(function, *args):
                return function(*args, recompute)

        compressed = [
            run(self._view_part, level, view, x, skip)
            for view, x, skip in zip(VIEWS, state[:2], skips, strict=True)
        ]
        average = _Average.apply(*compressed)
        if recompute is not None:
            parts = [recompute.recipe(c) for c in compressed]
            recompute.register(average, lambda: torch.add(parts[0](), parts[1]()).mul_(0.5))
        del compressed
        fused = run(self._fused_part, level, state[2], average)
        if level == 0:
            return (fused,)
        views = [run(self._view_blocks, level, view, average) for view in VIEWS]
        return (*views, fused)

    def _view_part(
        self, level: int, view: str, x: torch.Tensor, skip: AxisConstant, rc: Recompute | None
    ) -> torch.Tensor:
        """Up-sample a view's features and compress them with the view's skip link."""
        decoder = self.branches()[view].decoder
        up = _conv_block(decoder[level + 1].up, x, view, rc, transposed=True)
        return _compress_with_skip(decoder[level].compress, up, skip, view, rc)

    def _view_blocks(
        self, level: int, view: str, average: torch.Tensor, rc: Recompute | None
    ) -> torch.Tensor:
        """A view decoder's conv blocks after the fusion (the average sent back to the view)."""
        x = average
        for block in self.branches()[view].decoder[level].blocks:
            x = _conv_block(block, x, view, rc)
        return x

    def _fused_part(
        self, level: int, fused: torch.Tensor, average: torch.Tensor, rc: Recompute | None
    ) -> torch.Tensor:
        """The fused decoder at ``level``: up-sample, compress cat(average, fused), blocks;
        at level 0 the output convolution too (before the final ReLU)."""
        up = _conv_block(self.fused[level + 1].up, fused, None, rc, transposed=True)
        block = self.fused[level].compress[0]
        channels = average.shape[1]
        out = fastops.conv3d(average, block.weight[:, :channels], block.bias)
        out = out.add_(fastops.conv3d(up, block.weight[:, channels:], None))
        x = instance_norm_relu_(out, rc)
        for conv_block in self.fused[level].blocks:
            x = _conv_block(conv_block, x, None, rc)
        if level > 0:
            return x
        return fastops.output_conv(x, self.head.weight, self.head.bias)


def _link(link: Link, feature: torch.Tensor, view: str) -> AxisConstant:
    """A link's output in the CT frame as an AxisConstant (the copy is never materialised)."""
    plane = link.compress(feature)
    conv = link.conv[0]
    copied = AxisConstant.copy(plane, COPY_AXIS[view], plane.shape[-2])
    return copied.conv3d(kernel_to_ct(conv.weight, view), conv.bias).instance_norm_relu()


def _conv_block(
    block: nn.Sequential,
    x: torch.Tensor,
    view: str | None,
    rc: Recompute | None,
    transposed: bool = False,
) -> torch.Tensor:
    """A conv3d_block or up_block in the CT frame (a view's kernel permuted from its frame)."""
    conv = block[0]
    weight = conv.weight if view is None else kernel_to_ct(conv.weight, view)
    op = fastops.up3d if transposed else fastops.conv3d
    recomputed = None
    if transposed and rc is not None:
        # An up-sampling block is cheap to recompute from its 8x smaller input: its output
        # is not kept for backward but computed again when needed (under the same autocast).
        inputs = (x.detach(), weight.detach(), None if conv.bias is None else conv.bias.detach())
        autocast = autocast_state(x.device.type)

        def compute() -> torch.Tensor:
            with autocast():
                return normalise_(fastops.up3d(*inputs))

        recomputed = Recomputed(compute)
    return instance_norm_relu_(op(x, weight, conv.bias), rc, recomputed)


def _compress_with_skip(
    block: nn.Sequential, x: torch.Tensor, skip: AxisConstant, view: str, rc: Recompute | None
) -> torch.Tensor:
    """C3 of cat(x, skip) as conv(x, W[:, :C]) + conv(skip, W[:, C:]); the skip part is 2D work."""
    conv = block[0]
    weight = kernel_to_ct(conv.weight, view)
    channels = x.shape[1]
    out = fastops.conv3d(x, weight[:, :channels], conv.bias)
    return instance_norm_relu_(skip.conv3d(weight[:, channels:]).add_to(out), rc)


class _Average(torch.autograd.Function):
    """(a + b) / 2 whose backward returns a separate gradient tensor for each input.

    The InstanceNorm backward of each input overwrites its incoming gradient; autograd's own
    addition would hand the same tensor to both.
    """

    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return torch.add(a, b).mul_(0.5)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        half = grad * 0.5
        return half, half.clone()
