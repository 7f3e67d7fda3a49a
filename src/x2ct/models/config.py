"""Settings of the X2CT-GAN networks (section ``model``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the generator and discriminator; defaults are the paper-size network at 128^3."""

    input_size: int = 128
    """X-ray side and CT cube edge in voxels."""
    width: float = 1.0
    """Multiplier on every channel count (smaller presets)."""
    stem_channels: int = 64
    growth_rate: int = 32
    bottleneck_factor: int = 4
    dense_blocks: tuple[int, ...] = (6, 12, 24, 16, 6)
    skip_channels: tuple[int, ...] = (16, 16, 32, 64, 128)
    decoder_channels: tuple[int, ...] = (256, 128, 64, 32, 16)
    dropout: float = 0.5
    discriminator_channels: int = 64
