"""Settings of the X2CT-GAN networks (section ``model``).

The defaults are the biplanar X2CT-GAN "B" generator and its conditional 3D PatchGAN at 128^3,
exactly as the released code builds them (61,715,633 + 11,055,169 parameters). Smaller presets
change ``input_size``, ``width`` and the block counts but keep the structure: two DenseNet 2D
encoders, an FC bottleneck, one 2D -> 3D link per encoder level, two view decoders and a fused
decoder averaged in the CT frame at every level.

Level ``i`` of the network works at resolution ``input_size / 2**i`` (level 0 = full size); the
encoder has ``len(dense_blocks)`` levels and the 3D decoders start at level ``len(dense_blocks)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

FAMILIES = ("x2ct-gan", "spine")
"""Model families: the faithful X2CT-GAN, and SpineNet (ray lifting, 3D U-Net, label heads)."""


def scaled_channels(channels: int, width: float) -> int:
    """A channel count times the width multiplier, rounded, at least 1."""
    return max(1, round(channels * width))


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the generator and the discriminator; defaults are the paper-size network."""

    family: Literal["x2ct-gan", "spine"] = "x2ct-gan"
    """x2ct-gan: the paper's generator and PatchGAN (the keys up to discriminator_layers);
    spine: SpineNet (``x2ct.models.spine``, the spine_* keys, view_size, bone_hu, bone_consistent)."""
    input_size: int = 128
    """X-ray side and CT cube edge in voxels (must be divisible by 2**len(dense_blocks))."""
    width: float = 1.0
    """Multiplier on every generator channel count (stem, growth rate, decoder channels)."""
    stem_channels: int = 64
    """Output channels of the 7x7 stem convolution of each 2D encoder (before ``width``)."""
    growth_rate: int = 32
    """Channels each DenseNet layer adds (before ``width``)."""
    bottleneck_factor: int = 4
    """A dense layer's 1x1 convolution outputs bottleneck_factor * growth_rate channels."""
    dense_blocks: tuple[int, ...] = (6, 12, 24, 16, 6)
    """Dense layers per encoder level; its length is the number of levels (downsamplings)."""
    decoder_channels: tuple[int, ...] = (16, 16, 32, 64, 128, 256)
    """3D channels per level, level 0 (full size) first; the last entry is the bottleneck's
    channel count. The 2D -> 3D link of level i outputs decoder_channels[i] channels (its output
    is concatenated with the decoder's and compressed 2C -> C). Length len(dense_blocks) + 1."""
    branch_decoder_blocks: tuple[int, ...] = (1, 2, 2, 2, 2)
    """Extra 3x3x3 conv blocks after the compression at level i in each view decoder. Entry 0
    belongs to the view outputs the loss never uses: only the original arrangement builds it."""
    fused_decoder_blocks: tuple[int, ...] = (1, 1, 1, 1, 1)
    """Extra 3x3x3 conv blocks after the compression at level i in the fused decoder."""
    dropout: float = 0.5
    """Dropout after the FC bottleneck (active in training mode only)."""
    output_kernel: int = 7
    """Kernel edge of the output convolution (odd)."""
    discriminator_channels: int = 64
    """Channels of the discriminator's first convolution (doubled per strided layer, max 8x)."""
    discriminator_layers: int = 3
    """Strided layers of the PatchGAN (3 gives the 70^3 receptive field)."""
    view_size: int | None = None
    """spine: side of the input radiographs in pixels, input_size times a power of 2 (finer
    views keep thin cortical edges); None = input_size. The x2ct-gan family needs None."""
    spine_channels_2d: tuple[int, ...] = (8, 16, 32, 64)
    """spine: channels of each view's 2D features lifted at 3D level k (level 0 = S^3)."""
    spine_channels_3d: tuple[int, ...] = (16, 16, 32, 64)
    """spine: channels of the 3D U-Net at level k (S / 2**k), same length as spine_channels_2d;
    level 0 (S^3) is pointwise (1x1x1), the 3D U-Net proper runs from level 1 down."""
    spine_bottom_blocks: int = 2
    """spine: 3x3x3 blocks at the coarsest level (context for telling the levels apart)."""
    spine_classes: int = 26
    """spine: classes of the level head: background + common vertebra ids 1..25 (C1..L6)."""
    bone_hu: float = 200.0
    """spine: HU from which the bone head's target counts a voxel as bone."""
    bone_consistent: bool = True
    """spine: the HU output crosses bone_hu exactly where the bone head says bone."""
    spine_lifting: Literal["rays", "axis"] = "rays"
    """spine: 'rays' samples each view along its real (cone-beam) rays; 'axis' copies every
    view pixel along the view's axis, ignoring the magnification, as X2CT-GAN's lifting does
    (kept to measure what the ray geometry is worth, docs/quality.md)."""
    spine_level_head: Literal["classes", "ordinal"] = "classes"
    """spine: 'classes' gives logits of background and each level (softmax, Dice + CE);
    'ordinal' gives a vertebra logit and the level index as one number per voxel (Dice + CE on
    the vertebra mask, Huber on the index), so a level off by one costs less than one off by
    five and rare thoracic levels are not outvoted by the lumbar ones (docs/quality.md)."""

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if self.family == "spine":
            self._check_spine()
        elif self.view_size not in (None, self.input_size):
            raise ValueError("view_size is a spine-family setting: x2ct-gan views are input_size")
        levels = len(self.dense_blocks)
        if levels < 1 or any(n < 0 for n in self.dense_blocks):
            raise ValueError(f"dense_blocks must be non-negative counts, got {self.dense_blocks}")
        bottom, remainder = divmod(self.input_size, 2**levels)
        if self.family == "x2ct-gan" and (remainder or bottom < 2):
            raise ValueError(
                f"input_size {self.input_size} must be a multiple of 2**{levels} with at least 2 "
                f"voxels left at the bottom level (got {self.input_size / 2**levels:g})"
            )
        for name, value, length in (
            ("decoder_channels", self.decoder_channels, levels + 1),
            ("branch_decoder_blocks", self.branch_decoder_blocks, levels),
            ("fused_decoder_blocks", self.fused_decoder_blocks, levels),
        ):
            if len(value) != length:
                raise ValueError(f"{name} needs {length} entries for {levels} levels, got {value}")
        if min(*self.branch_decoder_blocks, *self.fused_decoder_blocks) < 0:
            raise ValueError("decoder block counts must be >= 0")
        if self.width <= 0 or min(self.decoder_channels) < 1:
            raise ValueError("width and channel counts must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.output_kernel < 1 or self.output_kernel % 2 == 0:
            raise ValueError(f"output_kernel must be odd, got {self.output_kernel}")
        if self.discriminator_channels < 1 or self.discriminator_layers < 1:
            raise ValueError("discriminator_channels and discriminator_layers must be >= 1")

    def _check_spine(self) -> None:
        levels = len(self.spine_channels_3d)
        if levels < 3 or len(self.spine_channels_2d) != levels:
            raise ValueError(
                "spine_channels_2d and spine_channels_3d need the same length >= 3, got "
                f"{self.spine_channels_2d} and {self.spine_channels_3d}"
            )
        if min(*self.spine_channels_2d, *self.spine_channels_3d) < 1:
            raise ValueError("spine channel counts must be positive")
        if self.input_size % 2 ** (levels - 1) or self.input_size // 2 ** (levels - 1) < 2:
            raise ValueError(
                f"input_size {self.input_size} must be a multiple of 2**{levels - 1} with at "
                "least 2 voxels at the coarsest spine level"
            )
        ratio = self.xray_size / self.input_size
        if ratio < 1 or ratio != 2 ** round(math.log2(ratio)):
            raise ValueError(
                f"view_size must be input_size times a power of 2, got {self.view_size}"
            )
        if self.spine_classes < 2 or self.spine_bottom_blocks < 0:
            raise ValueError("spine_classes must be >= 2 and spine_bottom_blocks >= 0")

    @property
    def xray_size(self) -> int:
        """Side of the input radiographs in pixels (view_size, or input_size when None)."""
        return self.input_size if self.view_size is None else self.view_size

    @property
    def levels(self) -> int:
        """Number of encoder levels (downsamplings by 2)."""
        return len(self.dense_blocks)

    @property
    def bottom_size(self) -> int:
        """Edge of the 3D grid the decoders start from (input_size / 2**levels)."""
        return self.input_size // 2**self.levels

    def scaled(self, channels: int) -> int:
        """A generator channel count after the width multiplier."""
        return scaled_channels(channels, self.width)
