"""Material decomposition of a CT for polyenergetic DRRs: HU -> density and material fractions,
and each material's mass attenuation against photon energy.

Three materials, as in DeepDRR (Unberath et al. 2018): air, soft tissue and bone.
- Density (g/cm^3) from HU by DeepDRR's two-line fit, rho = max(min(0.001029 HU + 1.030,
  0.0005886 HU + 1.030), 0): the first line holds below 0 HU, the second above.
- Fractions: DeepDRR's thresholds (air <= -800 HU < soft tissue <= 350 HU < bone), softened
  into linear ramps of ``MIXING_HU`` on each side of a threshold, so that a voxel partly filled
  with bone (partial volume) is a mixture and the fractions vary continuously (a partition of
  unity at every HU).
- Mass attenuation (cm^2/g) by the mixture rule, sum over elements of w_i (mu/rho)_i(E), with
  the elemental totals (coherent + incoherent + photoelectric) of the Elam tables in ``xraydb``
  and the ICRU Report 44 compositions below (as NIST lists them). The mixture rule reproduces
  NIST's tabulated ICRU-44 cortical bone and soft tissue to 4 digits at 40-100 keV
  (tests/drr/test_materials.py).

Units: HU, g/cm^3, cm^2/g, keV. Arrays are numpy or torch (same kind returned).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch

AIR_MAX_HU = -800.0
"""DeepDRR's threshold between air and soft tissue."""
BONE_MIN_HU = 350.0
"""DeepDRR's threshold between soft tissue and bone."""
DENSITY_SLOPES = (0.001029, 0.0005886)
"""g/cm^3 per HU of DeepDRR's density fit below and above 0 HU."""
DENSITY_AT_0_HU = 1.030
"""g/cm^3 at 0 HU in that fit."""
MIXING_HU = 50.0
"""Half width of the linear ramp at each threshold: a voxel of 350 HU is half soft tissue, half
bone; one of 400 HU is bone. Chosen as a few times the noise of a clinical CT (10-20 HU)."""


@dataclass(frozen=True)
class Material:
    """Elemental composition (mass fractions summing to 1) and nominal density (g/cm^3)."""

    name: str
    density: float
    fractions: tuple[tuple[str, float], ...]


def _material(name: str, density: float, percent: dict[str, float]) -> Material:
    total = sum(percent.values())
    return Material(name, density, tuple((k, v / total) for k, v in percent.items()))


AIR = _material("air", 0.001205, {"C": 0.0124, "N": 75.5268, "O": 23.1781, "Ar": 1.2827})
"""Dry air near sea level (NIST, ID 104)."""
SOFT_TISSUE = _material(
    "soft tissue", 1.06,
    {"H": 10.2, "C": 14.3, "N": 3.4, "O": 70.8, "Na": 0.2, "P": 0.3, "S": 0.3, "Cl": 0.2, "K": 0.3},
)  # fmt: skip
"""ICRU-44 soft tissue, adult (NIST)."""
BONE = _material(
    "bone", 1.92,
    {"H": 3.4, "C": 15.5, "N": 4.2, "O": 43.5, "Na": 0.1, "Mg": 0.2, "P": 10.3, "S": 0.3, "Ca": 22.5},
)  # fmt: skip
"""ICRU-44 cortical bone (NIST)."""
MATERIALS = (AIR, SOFT_TISSUE, BONE)
"""The decomposition's materials, in the order of ``material_fractions``' channels."""


@lru_cache(maxsize=64)
def _mass_attenuation(material: Material, energies: tuple[float, ...]) -> np.ndarray:
    import xraydb

    energies_ev = np.asarray(energies, dtype=float) * 1000.0
    total = np.zeros(len(energies), dtype=float)
    for element, weight in material.fractions:
        total += weight * np.asarray(xraydb.mu_elam(element, energies_ev, kind="total"))
    return total


def mass_attenuation(material: Material, energies_kev: Any) -> np.ndarray:
    """(mu/rho)(E) in cm^2/g of ``material`` at each energy in keV (float64 array, cached)."""
    energies = tuple(float(e) for e in np.atleast_1d(np.asarray(energies_kev, dtype=float)))
    if min(energies) <= 1.0:
        raise ValueError(f"photon energies must be above 1 keV, got {min(energies)}")
    return _mass_attenuation(material, energies).copy()


def attenuation_table(energies_kev: Any, materials: tuple[Material, ...] = MATERIALS) -> np.ndarray:
    """(M, E) mass attenuation of ``materials`` at the energies, cm^2/g (float64)."""
    return np.stack([mass_attenuation(m, energies_kev) for m in materials])


def hu_to_density(hu: Any) -> Any:
    """Mass density in g/cm^3 from HU (DeepDRR's fit); numpy or torch in, same kind out.

    max(min(a HU + c, b HU + c), 0) is written as the line of the HU's sign (a < 0 HU, b above),
    which is the same and costs one full-size array instead of three (CTs are large).
    """
    low, high = DENSITY_SLOPES
    if isinstance(hu, torch.Tensor):
        return torch.where(hu < 0, hu * low, hu * high).add_(DENSITY_AT_0_HU).clamp_(min=0.0)
    hu = np.asarray(hu)
    return np.maximum(np.where(hu < 0, hu * low, hu * high) + DENSITY_AT_0_HU, 0.0)


def bone_fraction(hu: Any) -> Any:
    """Share of bone in each voxel: the ramp around BONE_MIN_HU (numpy or torch)."""
    return _ramp(hu, BONE_MIN_HU)


def _ramp(hu: Any, threshold: float) -> Any:
    """0 below threshold - MIXING_HU, 1 above threshold + MIXING_HU, linear in between."""
    value = (hu - threshold) / (2.0 * MIXING_HU) + 0.5
    if isinstance(value, np.ndarray):
        return np.clip(value, 0.0, 1.0)
    return value.clamp(0.0, 1.0)


def material_fractions(hu: Any) -> tuple[Any, Any, Any]:
    """(air, soft tissue, bone) fractions of each voxel, summing to 1 (same shape as ``hu``)."""
    above_air = _ramp(hu, AIR_MAX_HU)
    bone = bone_fraction(hu)
    return 1.0 - above_air, above_air - bone, bone
