"""Network sizes for ``x2ct info --model``."""

from __future__ import annotations

from x2ct.cli.common import NotAvailableError


def print_model_info(preset: str) -> None:
    """Print the generator/discriminator parameter counts and output shape of a preset."""
    raise NotAvailableError(f"x2ct info --model {preset}: the models are not available yet")
