"""Settings of the 2D radiograph preprocessing (section ``xray``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class XrayConfig:
    """The seed's 2D steps (``paper``) or the field-of-view preserving ``aligned`` mode."""

    mode: Literal["aligned", "paper"] = "aligned"
    size: int = 128
    threshold: int = 30
    """paper mode: grey level (0-255) above which a pixel counts as 'bright part'."""
    morphology_kernel: int = 5
    """paper mode: side of the square structuring element for opening and closing."""
