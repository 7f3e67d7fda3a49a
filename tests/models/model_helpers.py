"""Small network configurations shared by the model tests (fast on 2 CPU cores)."""

from __future__ import annotations

from x2ct.models import ModelConfig


def small_config(size: int = 32, width: float = 0.125, **overrides) -> ModelConfig:
    """A narrow network with the full structure; 4 levels at 32, 5 levels from 64 up."""
    levels = 4 if size < 64 else 5
    settings = {
        "input_size": size,
        "width": width,
        "dense_blocks": (2, 1, 1, 1, 1)[:levels],
        "decoder_channels": (16, 16, 32, 64, 128, 256)[: levels + 1],
        "branch_decoder_blocks": (1, 2, 2, 2, 2)[:levels],
        "fused_decoder_blocks": (1, 1, 1, 1, 1)[:levels],
        "discriminator_channels": 4,
    }
    settings.update(overrides)
    return ModelConfig(**settings)
