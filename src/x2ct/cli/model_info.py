"""Network sizes for ``x2ct info --model``."""

from __future__ import annotations

from x2ct.cli.common import console


def print_model_info(preset: str) -> None:
    """Print the generator/discriminator parameter counts and output shape of a preset.

    ``preset`` is a preset name (``paper``) or a YAML file. The networks are built on the meta
    device, so this costs no memory or compute even at paper size.
    """
    import torch

    from x2ct.config import load_config
    from x2ct.models import build_discriminator, build_generator, count_parameters

    cfg = load_config(preset).model
    with torch.device("meta"):
        generator = build_generator(cfg)
        discriminator = build_discriminator(cfg)
    s = cfg.input_size
    console.print(f"generator parameters: {count_parameters(generator)}", highlight=False)
    console.print(f"discriminator parameters: {count_parameters(discriminator)}", highlight=False)
    console.print(f"output shape: (1, 1, {s}, {s}, {s})", highlight=False)
