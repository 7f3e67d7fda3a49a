"""Builders of the initialised generator and discriminator of a model configuration."""

from __future__ import annotations

from x2ct.config.model import ModelConfig
from x2ct.models.discriminator import PatchDiscriminator3D
from x2ct.models.generator import X2CTGenerator


def build_generator(cfg: ModelConfig, gradient_checkpointing: bool = False) -> X2CTGenerator:
    """The generator for ``cfg``, initialised N(0, 0.02) with zero biases.

    ``forward(xray1, xray2)``: (N, 1, S, S) each -> CT (N, 1, S, S, S). With
    ``gradient_checkpointing`` the parts of every decoder level (each view's up-sampling and
    compression, the fused decoder, the views' blocks) are recomputed in the backward pass
    instead of keeping their activations: same outputs and gradients, less memory, more time.
    ``set_gradient_checkpointing(flag)`` (or the attribute of that name) switches it later.
    """
    return X2CTGenerator(cfg, gradient_checkpointing=gradient_checkpointing)


def build_discriminator(cfg: ModelConfig) -> PatchDiscriminator3D:
    """The conditional PatchGAN for ``cfg``, initialised N(0, 0.02) with zero biases.

    ``forward(ct, xray1, xray2)``: ct (N, 1, S, S, S), X-rays (N, 1, S, S) -> (N, 1, P, P, P).
    """
    return PatchDiscriminator3D(cfg)


def build_spine_network(cfg: ModelConfig, geometry):
    """SpineNet for ``cfg`` and the data's ray geometry (``x2ct.models.spine.LiftGeometry``)."""
    from x2ct.models.spine import SpineNet

    return SpineNet(cfg, geometry)


def build_model(config, settings: dict | None = None):
    """The generator of a project config, whatever its family (weights as initialised).

    ``settings`` are the data settings (manifest ``settings``): the spine family lifts along the
    rays of that data's geometry; the config's ``drr`` and ``prepare`` sections fill the gaps.
    """
    if config.model.family == "spine":
        from x2ct.models.spine import lift_geometry

        return build_spine_network(
            config.model, lift_geometry(settings, config.drr, config.prepare)
        )
    return build_generator(config.model)
