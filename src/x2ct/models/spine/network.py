"""SpineNet: two 2D encoders, ray lifting at every scale, a 3D U-Net, HU + bone + level heads.

Frames as everywhere in x2ct: xray1 (N, 1, X, X) is the frontal view (rows D, columns W), xray2
the lateral view (rows D, columns H), both in [0, 1]; volumes are (N, C, S, S, S) in the (D, H, W)
model frame. X = ``model.xray_size`` (S or 2S), S = ``model.input_size``.

Level k of the 3D U-Net works at S / 2**k. Each view's encoder gives a feature map at the same
scale (its field of view is the cube's), which ``RayLifter`` samples along the view's rays into
the level-k grid; the two lifted maps are concatenated with the 3D encoder's own features there.
The decoder returns to S^3, where 1x1x1 heads give:
- ``ct``: the HU target (clip(HU + 1024, 0, 2500) / 2500, as X2CT-GAN's output),
- ``bone``: the logit of bone (HU >= ``model.bone_hu``),
- ``levels``: logits of background and each vertebra level (common ids 1..classes-1,
  C1 = 1 ... L5 = 24, L6 = 25); or, with ``model.spine_level_head`` 'ordinal', ``vertebra``
  (the logit of any vertebra) and ``level_index`` (the common id as a real number).
``forward(x1, x2)`` returns the HU volume only, made consistent with the bone head when
``model.bone_consistent`` is set (its voxels >= bone_hu are exactly those the bone head calls
bone), so every consumer of a generator (validation, evaluation, reconstruction) works unchanged;
``forward(x1, x2, heads=True)`` returns the three raw heads for training and for label maps.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import replace

import torch
from torch import nn
from torch.nn import functional as F

from x2ct.config.model import ModelConfig
from x2ct.models.spine.lifting import LiftGeometry, RayLifter
from x2ct.scaling import hu_to_target

NEGATIVE_SLOPE = 0.1
ORDINAL_CENTRE = 18.0
"""Level index of a zero ordinal output: T11 (id 18), between the middle of T1-L5 (ids 8-24)
and the lumbar levels that most phantoms show."""
ORDINAL_SCALE = 4.0
"""Levels per unit of the ordinal output, so that T1-L5 spans about +-2 at initialisation's scale."""


class Pointwise(nn.Module):
    """A 1x1x1 convolution as a matrix product over the channels of a channels-last volume.

    (N, Cin, D, H, W) -> (N, Cout, D, H, W), channels-last-3d; oneDNN's 1x1x1 Conv3d is several
    times slower on CPU than this GEMM, which computes the same thing.
    """

    def __init__(self, cin: int, cout: int, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(cin, cout, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(as_cl(x).permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)


def _pointwise(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    """1x1x1 conv (-> InstanceNorm) -> LeakyReLU."""
    layers: list[nn.Module] = [Pointwise(cin, cout, bias=not norm)]
    if norm:
        layers.append(nn.InstanceNorm3d(cout, affine=True))
    return nn.Sequential(*layers, nn.LeakyReLU(NEGATIVE_SLOPE, inplace=True), ToChannelsLast())


class ToChannelsLast(nn.Module):
    """Returns its input in channels-last-3d layout (see ``as_cl``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return as_cl(x)


def _block(conv: type, norm: type, cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """conv 3^k -> InstanceNorm (affine) -> LeakyReLU (channels-last out for 3D)."""
    layers = [
        conv(cin, cout, 3, stride=stride, padding=1, bias=False),
        norm(cout, affine=True),
        nn.LeakyReLU(NEGATIVE_SLOPE, inplace=True),
    ]
    if conv is nn.Conv3d:
        layers.append(ToChannelsLast())
    return nn.Sequential(*layers)


def _cat(*parts: torch.Tensor) -> torch.Tensor:
    """Concatenate along channels, channels-last-3d."""
    return as_cl(torch.cat(parts, dim=1))


def as_cl(x: torch.Tensor) -> torch.Tensor:
    """Channels-last-3d layout: oneDNN's 3D convolutions run 2-4x faster in it on CPU."""
    return x.contiguous(memory_format=torch.channels_last_3d)


def _up(x: torch.Tensor) -> torch.Tensor:
    """Trilinear 2x upsampling (N, C, s, s, s) -> (N, C, 2s, 2s, 2s), channels-last."""
    return as_cl(F.interpolate(x, scale_factor=2.0, mode="trilinear", align_corners=False))


class ViewEncoder(nn.Module):
    """2D encoder of one view: feature maps at X / 2**j, the last ``levels`` lifted into 3D."""

    def __init__(self, channels: tuple[int, ...], extra_levels: int) -> None:
        super().__init__()
        first = channels[0]
        stem = [_block(nn.Conv2d, nn.InstanceNorm2d, 1, first)]
        for _ in range(extra_levels):  # the views are finer than the cube: reach its scale
            stem.append(_block(nn.Conv2d, nn.InstanceNorm2d, first, first, stride=2))
        stem.append(_block(nn.Conv2d, nn.InstanceNorm2d, first, first))
        self.stem = nn.Sequential(*stem)
        self.levels = nn.ModuleList(
            nn.Sequential(
                _block(nn.Conv2d, nn.InstanceNorm2d, cin, cout, stride=2),
                _block(nn.Conv2d, nn.InstanceNorm2d, cout, cout),
            )
            for cin, cout in itertools.pairwise(channels)
        )

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        features = [self.stem(image)]
        for level in self.levels:
            features.append(level(features[-1]))
        return features


class SpineNet(nn.Module):
    """The spine reconstruction network; see the module docstring for inputs and outputs."""

    def __init__(self, cfg: ModelConfig, geometry: LiftGeometry) -> None:
        super().__init__()
        self.cfg, self.geometry = cfg, geometry
        c2, c3 = cfg.spine_channels_2d, cfg.spine_channels_3d
        levels = len(c3)
        extra = round(math.log2(cfg.xray_size / cfg.input_size))
        self.frontal = ViewEncoder(c2, extra)
        self.lateral = ViewEncoder(c2, extra)
        # 'axis' lifting ignores the beam's magnification: a parallel-beam grid copies each
        # pixel along the view's axis (X2CT-GAN's lifting), kept as a measured alternative.
        lift = geometry if cfg.spine_lifting == "rays" else replace(geometry, cone=False)
        self.lifters = nn.ModuleList(RayLifter(lift, cfg.input_size // 2**k) for k in range(levels))
        conv3 = functools.partial(_block, nn.Conv3d, nn.InstanceNorm3d)
        # Levels 1 and coarser: a 3D U-Net whose encoder takes in both lifted views at each level.
        self.encoders = nn.ModuleList([nn.Identity()])
        for k in range(1, levels):
            cin = 2 * c2[k] + (c3[k - 1] if k > 1 else 0)
            layers = [conv3(cin, c3[k])]
            if k > 1:
                layers.append(conv3(c3[k], c3[k]))
            self.encoders.append(nn.Sequential(*layers))
        self.downs = nn.ModuleList(
            [nn.Identity(), nn.Identity()]
            + [conv3(c3[k - 1], c3[k - 1], stride=2) for k in range(2, levels)]
        )
        self.bottleneck = nn.Sequential(
            *(conv3(c3[-1], c3[-1]) for _ in range(cfg.spine_bottom_blocks))
        )
        self.ups = nn.ModuleList(_pointwise(c3[k + 1], c3[k]) for k in range(levels - 1))
        self.decoders = nn.ModuleList(
            [nn.Identity()]
            + [
                nn.Sequential(conv3(2 * c3[k], c3[k]), *([conv3(c3[k], c3[k])] if k > 1 else []))
                for k in range(1, levels - 1)
            ]
        )
        # Level 0 (S^3) is pointwise: the coarse 3D context says where along each ray the bone
        # is, the full-resolution lifted views give its edges; 3x3x3 convolutions at S^3 would
        # cost most of the step on a CPU.
        self.full = nn.Sequential(
            _pointwise(c3[1] + 2 * c2[0], c3[0], norm=False),
            _pointwise(c3[0], c3[0], norm=False),
        )
        self.ordinal = cfg.spine_level_head == "ordinal"
        self.head = Pointwise(c3[0], 2 + (2 if self.ordinal else cfg.spine_classes))
        self.bone_target = float(hu_to_target(cfg.bone_hu))

    def check_inputs(self, xray1: torch.Tensor, xray2: torch.Tensor) -> None:
        """Raise ValueError unless both views are (N, 1, X, X) with X = xray_size."""
        size = self.cfg.xray_size
        for name, x in (("xray1", xray1), ("xray2", xray2)):
            if x.ndim != 4 or tuple(x.shape[1:]) != (1, size, size):
                raise ValueError(f"{name} must be (N, 1, {size}, {size}), got {tuple(x.shape)}")

    def heads(self, xray1: torch.Tensor, xray2: torch.Tensor) -> dict[str, torch.Tensor]:
        """The raw heads: ct (N, 1, S^3), bone logit (N, 1, S^3), level logits (N, K, S^3)."""
        self.check_inputs(xray1, xray2)
        views = (self.frontal(xray1), self.lateral(xray2))

        def lifted(k: int) -> list[torch.Tensor]:
            return [as_cl(self.lifters[k](views[v][k], v)) for v in (0, 1)]

        skips: list[torch.Tensor] = [torch.empty(0)]
        x = self.encoders[1](_cat(*lifted(1)))
        skips.append(x)
        for k in range(2, len(self.encoders)):
            x = self.encoders[k](_cat(self.downs[k](x), *lifted(k)))
            skips.append(x)
        x = self.bottleneck(x)
        for k in range(len(skips) - 2, 0, -1):
            x = _up(self.ups[k](x))
            x = self.decoders[k](_cat(x, skips[k]))
        x = self.full(_cat(_up(self.ups[0](x)), *lifted(0)))
        out = self.head(x)
        if self.ordinal:
            index = ORDINAL_CENTRE + ORDINAL_SCALE * out[:, 3:4]
            return {"ct": out[:, :1], "bone": out[:, 1:2], "vertebra": out[:, 2:3],
                    "level_index": index}  # fmt: skip
        return {"ct": out[:, :1], "bone": out[:, 1:2], "levels": out[:, 2:]}

    def consistent_ct(self, ct: torch.Tensor, bone_logit: torch.Tensor) -> torch.Tensor:
        """The HU target with its bone threshold crossing exactly where the bone head says bone.

        Voxels called bone (logit > 0) are raised to at least the bone threshold and the others
        lowered just below it; elsewhere the regression is kept as is.
        """
        step = 1e-4  # ~0.25 HU on the target scale
        bone = bone_logit > 0
        high = torch.clamp(ct, min=self.bone_target + step)
        low = torch.clamp(ct, max=self.bone_target - step)
        return torch.where(bone, high, low)

    def forward(
        self, xray1: torch.Tensor, xray2: torch.Tensor, heads: bool = False
    ) -> torch.Tensor | dict[str, torch.Tensor]:
        out = self.heads(xray1, xray2)
        return out if heads else self.volume_of(out)

    def volume_of(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        """The HU volume ``forward`` returns, from the raw heads."""
        if self.cfg.bone_consistent:
            return self.consistent_ct(out["ct"], out["bone"])
        return out["ct"]

    @torch.no_grad()
    def label_map(self, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor:
        """(N, S, S, S) int64 vertebra labels (common ids, 0 = background): the argmax of the
        level logits, or for the ordinal head the rounded index (1..classes-1) where the
        vertebra logit is positive."""
        return self.labels_of(self.heads(xray1, xray2))

    @torch.no_grad()
    def volume_and_labels(
        self, xray1: torch.Tensor, xray2: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``forward``'s HU volume (N, 1, S, S, S) and ``label_map``'s labels from one pass."""
        out = self.heads(xray1, xray2)
        return self.volume_of(out), self.labels_of(out)

    def labels_of(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        """(N, S, S, S) int64 labels from the raw heads (see ``label_map``)."""
        if not self.ordinal:
            return out["levels"].argmax(dim=1)
        index = out["level_index"][:, 0].round().clamp(1, self.cfg.spine_classes - 1).long()
        return torch.where(out["vertebra"][:, 0] > 0, index, torch.zeros_like(index))
