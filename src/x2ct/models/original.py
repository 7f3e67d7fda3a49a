"""The generator arranged as the released X2CT-GAN code computes it (the reference for tests).

Each view decoder runs in its own branch frame on materialised copies and permutations, the
links expand their 2D maps along the depth axis before the 3D convolution, and - optionally -
both view outputs are computed too (each view's last conv block and 7^3 output conv, the 24,834
parameters the released network carries but its loss never uses). It shares every parameter
of an ``X2CTGenerator``, so its fused output must equal the generator's for the same weights;
the benchmark measures the speed difference between the two arrangements.

Not used by x2ct itself: it stays in the package (not under tests/) so that the equality tests
and ``benchmarks/generator_speed.py`` import the same reference.
"""

from __future__ import annotations

import torch
from torch import nn

from x2ct.models.frames import VIEWS, to_ct, to_view
from x2ct.models.generator import X2CTGenerator
from x2ct.models.layers import conv3d_block, init_weights


def _apply(level: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A decoder level as one sequence: compress (if any), blocks, up (if any)."""
    if level.compress is not None:
        x = level.compress(x)
    x = level.blocks(x)
    if level.up is not None:
        x = level.up(x)
    return x


class OriginalArrangement(nn.Module):
    """Plain computation of ``generator`` in branch frames, with the two view outputs.

    ``forward(xray1, xray2)`` returns (fused CT (N, 1, D, H, W), frontal output, lateral output);
    each view output is (N, 1, depth, rows, cols) in its branch frame, or None when
    ``view_outputs`` is False.
    """

    def __init__(self, generator: X2CTGenerator, view_outputs: bool = True) -> None:
        super().__init__()
        self.generator = generator
        self.view_outputs = view_outputs
        cfg = generator.cfg
        c0 = cfg.scaled(cfg.decoder_channels[0])
        k = cfg.output_kernel
        self.view_heads = nn.ModuleDict()
        for view in VIEWS:
            blocks = [conv3d_block(c0, c0) for _ in range(cfg.branch_decoder_blocks[0])]
            self.view_heads[view] = nn.Sequential(
                *blocks, nn.Conv3d(c0, 1, kernel_size=k, padding=k // 2), nn.ReLU()
            )
        init_weights(self.view_heads)

    def forward(
        self, xray1: torch.Tensor, xray2: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """xray1 (frontal), xray2 (lateral) (N, 1, S, S) -> (fused, frontal, lateral)."""
        g = self.generator
        branches = g.branches()
        links: dict[str, list[torch.Tensor]] = {}
        current: dict[str, torch.Tensor] = {}
        for view, xray in zip(VIEWS, (xray1, xray2), strict=True):
            branch = branches[view]
            features, pooled = branch.encoder(xray)
            links[view] = [link(f) for link, f in zip(branch.links, features, strict=True)]
            current[view] = branch.bottom(pooled)

        fused = None
        for level in range(g.cfg.levels, -1, -1):
            if level < g.cfg.levels:
                for view in VIEWS:
                    joined = torch.cat([current[view], links[view][level]], dim=1)
                    current[view] = branches[view].decoder[level].compress(joined)
            # Fusion in the CT frame, sent back to both branches in their own frames.
            average = (
                to_ct(current["frontal"], "frontal") + to_ct(current["lateral"], "lateral")
            ) / 2
            fused_input = average if fused is None else torch.cat([average, fused], dim=1)
            fused = _apply(g.fused[level], fused_input)
            for view in VIEWS:
                level_module = branches[view].decoder[level]
                x = level_module.blocks(to_view(average, view))
                current[view] = level_module.up(x) if level_module.up is not None else x

        out = torch.relu(g.head(fused))
        if not self.view_outputs:
            return out, None, None
        return (
            out,
            self.view_heads["frontal"](current["frontal"]),
            self.view_heads["lateral"](current["lateral"]),
        )
