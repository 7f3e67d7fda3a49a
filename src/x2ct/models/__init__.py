"""X2CT-GAN networks: the biplanar generator and the conditional 3D PatchGAN discriminator.

Frames: a CT is (N, 1, D, H, W) (the model frame of ``x2ct.volume``); xray1 is the frontal view
(N, 1, S, S), rows = D, cols = W; xray2 the lateral view, rows = D, cols = H. X-rays are in [0, 1];
the generator's output is ReLU (unbounded above) for a target in [0, 1].

Importing this package imports torch; ``x2ct.models.config`` alone stays light.
"""

from __future__ import annotations

from x2ct.models.config import ModelConfig
from x2ct.models.discriminator import PatchDiscriminator3D, conditional_input, patch_grid
from x2ct.models.generator import X2CTGenerator
from x2ct.models.layers import count_parameters, init_weights

__all__ = [
    "ModelConfig",
    "PatchDiscriminator3D",
    "X2CTGenerator",
    "build_discriminator",
    "build_generator",
    "conditional_input",
    "count_parameters",
    "init_weights",
    "patch_grid",
]


def build_generator(cfg: ModelConfig, gradient_checkpointing: bool = False) -> X2CTGenerator:
    """The generator for ``cfg``, initialised N(0, 0.02) with zero biases.

    ``forward(xray1, xray2)``: (N, 1, S, S) each -> CT (N, 1, S, S, S). With
    ``gradient_checkpointing`` each decoder level is recomputed in the backward pass instead of
    keeping its activations (same outputs and gradients, less memory, more time); the attribute
    of the same name can also be switched later.
    """
    return X2CTGenerator(cfg, gradient_checkpointing=gradient_checkpointing)


def build_discriminator(cfg: ModelConfig) -> PatchDiscriminator3D:
    """The conditional PatchGAN for ``cfg``, initialised N(0, 0.02) with zero biases.

    ``forward(ct, xray1, xray2)``: ct (N, 1, S, S, S), X-rays (N, 1, S, S) -> (N, 1, P, P, P).
    """
    return PatchDiscriminator3D(cfg)
