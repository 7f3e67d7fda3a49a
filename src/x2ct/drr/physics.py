"""X-ray physics of the DRR: HU -> linear attenuation, Beer-Lambert, the fixed 8-bit window.

Units: linear attenuation mu in 1/mm, lengths in mm, line integrals p = integral of mu dl
dimensionless. The functions accept numpy arrays or torch tensors and return the same kind.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from x2ct.config.drr import DRRConfig
from x2ct.errors import InputError

if TYPE_CHECKING:
    import torch

WATER_MU_RHO_NIST: tuple[tuple[float, float], ...] = (
    (30.0, 0.3756),
    (40.0, 0.2683),
    (50.0, 0.2269),
    (60.0, 0.2059),
    (80.0, 0.1837),
    (100.0, 0.1707),
)
"""Mass attenuation coefficient of liquid water, (keV, cm^2/g), NIST XCOM / NISTIR 5632.

Water has a density of 1 g/cm^3, so the second column is also mu in 1/cm."""


def mu_water(energy_kev: float = 70.0) -> float:
    """Linear attenuation coefficient of water in 1/mm at an effective photon energy.

    Log-log interpolation of the NIST table, the usual way to interpolate attenuation between
    grid energies; 70 keV gives 0.1937 /cm = 0.01937 /mm. Raises InputError outside 30-100 keV.
    """
    energies = [e for e, _ in WATER_MU_RHO_NIST]
    if not (energies[0] <= energy_kev <= energies[-1]):
        raise InputError(
            "DRR energy",
            f"an effective energy in [{energies[0]:g}, {energies[-1]:g}] keV",
            f"{energy_kev!r}",
        )
    log_mu = np.interp(
        math.log(energy_kev), np.log(energies), np.log([m for _, m in WATER_MU_RHO_NIST])
    )
    return float(math.exp(log_mu)) / 10.0  # 1/cm -> 1/mm


def hu_to_mu(hu: Any, energy_kev: float = 70.0) -> Any:
    """HU -> linear attenuation in 1/mm: mu = mu_water(E) * (1 + HU / 1000), clipped at 0.

    Air (-1000 HU) and anything below becomes 0. Accepts a numpy array (returns float32 or the
    float dtype given) or a torch tensor (differentiable, same dtype and device).
    """
    scale = mu_water(energy_kev)
    if isinstance(hu, np.ndarray) or np.isscalar(hu):
        hu = np.asarray(hu)
        dtype = hu.dtype if np.issubdtype(hu.dtype, np.floating) else np.float32
        return np.maximum(hu.astype(dtype, copy=False) * (scale / 1000.0) + scale, 0).astype(dtype)
    return (hu * (scale / 1000.0) + scale).clamp(min=0)


def transmission(line_integrals: Any) -> Any:
    """Beer-Lambert: the fraction I / I0 = exp(-p) of the primary beam that reaches the detector."""
    if isinstance(line_integrals, np.ndarray):
        return np.exp(-line_integrals)
    return (-line_integrals).exp()


def water_equivalent_mm(line_integrals: Any, energy_kev: float = 70.0) -> Any:
    """Line integrals -> water-equivalent path length in mm (p / mu_water).

    With the linear HU model this is integral of (1 + HU / 1000) dl, independent of the energy:
    the energy only matters for the Beer-Lambert transmission.
    """
    return line_integrals / mu_water(energy_kev)


def to_uint8(
    line_integrals: Any,
    config: DRRConfig | None = None,
    *,
    window_water_mm: tuple[float, float] | None = None,
    energy_kev: float | None = None,
) -> Any:
    """Radiograph-like 8-bit image (bone bright) through a fixed window on the line integrals.

    grey = 255 * clip((p / mu_water - lo) / (hi - lo), 0, 1), rounded, with (lo, hi) the window in
    mm of water-equivalent path (``config.window_water_mm`` unless given). More attenuation is
    brighter, as on a radiograph, and the same window serves every patient.

    Args:
        line_integrals: (..., rows, cols) numpy array or torch tensor of p (dimensionless).
        config: the DRR section (default ``DRRConfig()``); explicit keywords override it.

    Returns:
        uint8 array (numpy) or tensor (torch) of the same shape.
    """
    config = config or DRRConfig()
    lo, hi = window_water_mm if window_water_mm is not None else config.window_water_mm
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise InputError("DRR window", "a window (lo, hi) in mm with hi > lo", f"({lo}, {hi})")
    water = water_equivalent_mm(
        line_integrals, config.energy_kev if energy_kev is None else energy_kev
    )
    scaled = (water - lo) * (255.0 / (hi - lo))
    if isinstance(scaled, np.ndarray):
        return np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)
    tensor: torch.Tensor = scaled
    return tensor.detach().clamp(0.0, 255.0).round().to(dtype=_torch_uint8())


def _torch_uint8() -> Any:
    import torch

    return torch.uint8
