"""Settings of the synthetic spine CT generator (section ``phantoms``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhantomConfig:
    """How phantoms are drawn; every per-case choice is sampled from these ranges with the seed."""

    matrix: int = 256
    """In-plane voxels (H and W)."""
    slices: int | None = None
    """Slices (D); None = enough to cover the chosen levels plus a margin."""
    inplane_spacing_mm: tuple[float, float] = (0.6, 1.0)
    slice_spacing_mm: tuple[float, float] = (1.0, 2.5)
    levels: tuple[int, int] = (4, 7)
    """Range of the number of vertebrae per case."""
    lumbar_bias: float = 0.8
    """Probability that the run of levels ends at L5 (abdominal CT); otherwise it ends higher."""
    size_variation: float = 0.15
    fracture_probability: float = 0.15
    osteoporosis_probability: float = 0.2
    scoliosis_probability: float = 0.25
    max_cobb_deg: float = 45.0
    degenerated_disc_probability: float = 0.2
    table_probability: float = 0.5
    noise_hu: float = 20.0
    blur_mm: float = 0.6
