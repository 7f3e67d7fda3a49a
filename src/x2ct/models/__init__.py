"""The networks: X2CT-GAN's biplanar generator and conditional 3D PatchGAN discriminator, and
SpineNet (``x2ct.models.spine``).

Frames: a CT is (N, 1, D, H, W) (the model frame of ``x2ct.volume``); xray1 is the frontal view
(N, 1, S, S), rows = D, cols = W; xray2 the lateral view, rows = D, cols = H. X-rays are in [0, 1];
the generator's output is ReLU (unbounded above) for a target in [0, 1].
"""

from __future__ import annotations

from x2ct.config.model import ModelConfig
from x2ct.models.build import (
    build_discriminator,
    build_generator,
    build_model,
    build_spine_network,
)
from x2ct.models.discriminator import PatchDiscriminator3D, conditional_input, patch_grid
from x2ct.models.generator import X2CTGenerator
from x2ct.models.layers import count_parameters, init_weights

__all__ = [
    "ModelConfig",
    "PatchDiscriminator3D",
    "X2CTGenerator",
    "build_discriminator",
    "build_generator",
    "build_model",
    "build_spine_network",
    "conditional_input",
    "count_parameters",
    "init_weights",
    "patch_grid",
]
