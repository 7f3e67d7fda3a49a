"""Parameter counts at paper size (from the reference) and ModelConfig validation."""

from __future__ import annotations

import pytest
import torch

from x2ct.config import load_config
from x2ct.models import ModelConfig, build_discriminator, build_generator, count_parameters
from x2ct.models.original import OriginalArrangement

# Reference (shared/reference/x2ct-gan.md): 61.74 M with the 24,834 unused view-output params.
PAPER_GENERATOR = 61_715_633
PAPER_UNUSED_VIEW_OUTPUTS = 24_834
PAPER_DISCRIMINATOR = 11_055_169


def meta_networks(cfg: ModelConfig):
    # The meta device allocates nothing: counting 60 M parameters costs milliseconds.
    with torch.device("meta"):
        return build_generator(cfg), build_discriminator(cfg)


def test_paper_generator_parameter_count():
    generator, _ = meta_networks(ModelConfig())
    assert count_parameters(generator) == PAPER_GENERATOR


def test_original_arrangement_adds_exactly_the_unused_view_outputs():
    generator, _ = meta_networks(ModelConfig())
    with torch.device("meta"):
        original = OriginalArrangement(generator)
    assert count_parameters(original) - PAPER_GENERATOR == PAPER_UNUSED_VIEW_OUTPUTS
    # Each view: one 3x3x3 conv 16 -> 16 with bias and the 7^3 conv 16 -> 1 with bias.
    assert PAPER_UNUSED_VIEW_OUTPUTS == 2 * ((16 * 16 * 27 + 16) + (16 * 343 + 1))


def test_paper_discriminator_parameter_count():
    _, discriminator = meta_networks(ModelConfig())
    assert count_parameters(discriminator) == PAPER_DISCRIMINATOR
    # Independent arithmetic: biased first and last conv, bias-free middle convs (k = 4^3).
    k = 64
    expected = (3 * 64 * k + 64) + 64 * 128 * k + 128 * 256 * k + 256 * 512 * k + (512 * k + 1)
    assert expected == PAPER_DISCRIMINATOR


def test_paper_preset_is_the_reference_network():
    cfg = load_config("paper").model
    assert cfg == ModelConfig()
    generator, discriminator = meta_networks(cfg)
    assert count_parameters(generator) == PAPER_GENERATOR
    assert count_parameters(discriminator) == PAPER_DISCRIMINATOR


@pytest.mark.parametrize("name", ["cpu", "tiny"])
def test_smaller_presets_keep_the_structure(name):
    cfg = load_config(name).model
    paper = ModelConfig()
    assert cfg.input_size < paper.input_size
    generator, discriminator = meta_networks(cfg)
    assert 0 < count_parameters(generator) < PAPER_GENERATOR
    assert 0 < count_parameters(discriminator) < PAPER_DISCRIMINATOR
    assert len(cfg.decoder_channels) == cfg.levels + 1


@pytest.mark.parametrize(
    "changes",
    [
        {"input_size": 48},  # not a multiple of 2**5
        {"input_size": 32},  # 1 voxel left at the bottom of 5 levels
        {"decoder_channels": (16, 16, 32, 64, 128)},  # one short
        {"branch_decoder_blocks": (1, 2)},
        {"width": 0.0},
        {"dropout": 1.0},
        {"output_kernel": 4},
    ],
)
def test_invalid_configs_are_rejected(changes):
    with pytest.raises(ValueError):
        ModelConfig(**changes)


def test_width_multiplier_scales_channels():
    cfg = ModelConfig(width=0.5)
    assert cfg.scaled(64) == 32 and cfg.scaled(16) == 8
    assert ModelConfig(width=0.01).scaled(16) == 1
