"""Polyenergetic DRRs: material decomposition, projected mass thickness, spectral Beer-Lambert.

For each ray, the energy-integrating detector signal relative to the unattenuated beam is

    I / I0 = sum_E w(E) exp(-sum_m (mu/rho)_m(E) t_m) / sum_E w(E),   w(E) = phi(E) E

with phi the tube spectrum at the detector (``x2ct.drr.spectra``), (mu/rho)_m the mass
attenuation of material m (``x2ct.drr.materials``) and t_m = integral of rho f_m dl the
projected mass thickness of that material in g/cm^2 (rho the density and f_m the fraction of
material m from the voxel's HU). The t_m are line integrals of the CT, so the same renderer as
the monoenergetic path computes them (``render`` with ``units='mu'``), one volume per material
in one batched call; the spectral sum is then per pixel (``transmission_from_thickness``
exactly, or interpolated from a table per spectrum, ``x2ct.drr.spectral_sum``, as the
renders do). ``effective_line_integrals`` returns -ln(I / I0), the quantity a radiography
system's log step gives.

Shapes: volumes (N, 1, D, H, W) or (D, H, W) in HU; images (N, V, rows, cols) (V views in the
order given). Units: HU, mm (spacing), g/cm^2 (t), keV.
"""

from __future__ import annotations

from typing import Any

import torch

from x2ct.drr.geometry import ConeBeam, ParallelBeam
from x2ct.drr.materials import (
    BONE_MIN_HU,
    DENSITY_AT_0_HU,
    DENSITY_SLOPES,
    MIXING_HU,
    bone_fraction,
    hu_to_density,
    material_fractions,
)
from x2ct.drr.render import render
from x2ct.drr.spectra import tube_spectrum
from x2ct.drr.spectral_sum import tabulated_transmission

MM_PER_CM = 10.0


def _as_tensor(volume: Any) -> tuple[torch.Tensor, bool]:
    """(N, 1, D, H, W) float tensor and whether the input was a single (D, H, W) volume."""
    tensor = torch.as_tensor(volume)
    if not tensor.is_floating_point():
        tensor = tensor.float()
    single = tensor.ndim == 3
    if single:
        tensor = tensor[None, None]
    if tensor.ndim != 5 or tensor.shape[1] != 1:
        raise ValueError(f"volume must be (D, H, W) or (N, 1, D, H, W), got {tuple(tensor.shape)}")
    return tensor, single


def density_volumes(hu: torch.Tensor) -> torch.Tensor:
    """(N, 1, D, H, W) HU -> (N, 2, D, H, W) g/cm^3: [all matter, bone].

    The first channel is the whole density (DeepDRR's fit), the second its bone part
    (density x bone fraction); matter that is not bone is the difference.
    """
    if hu.requires_grad and torch.is_grad_enabled():
        density = hu_to_density(hu)
        return torch.cat([density, bone_fraction(hu) * density], dim=1)
    # The same formulas written into one buffer: a CT has tens of millions of voxels, and
    # fresh full-size temporaries cost more than the arithmetic (docs/drr.md, speed).
    out = torch.empty((hu.shape[0], 2, *hu.shape[2:]), dtype=hu.dtype, device=hu.device)
    density, bone = out[:, 0:1], out[:, 1:2]
    low, high = DENSITY_SLOPES  # low > high: the smaller line is the one of the HU's sign
    torch.mul(hu, low, out=density)
    torch.mul(hu, high, out=bone)
    torch.minimum(density, bone, out=density).add_(DENSITY_AT_0_HU).clamp_(min=0.0)
    # bone_fraction's ramp: (HU - (BONE_MIN_HU - MIXING_HU)) / (2 MIXING_HU), clipped to [0, 1]
    torch.sub(hu, BONE_MIN_HU - MIXING_HU, out=bone)
    bone.mul_(0.5 / MIXING_HU).clamp_(0.0, 1.0).mul_(density)
    return out


def material_thickness(
    hu: Any,
    geometry: ConeBeam | ParallelBeam,
    views: tuple[str, ...] = ("frontal", "lateral"),
    *,
    spacing_mm: tuple[float, float, float],
) -> torch.Tensor:
    """Projected mass thickness: (N, V, 2, rows, cols) in g/cm^2, [non-bone matter, bone].

    ``hu``: (D, H, W) or (N, 1, D, H, W) HU volume (numpy or torch) in the model frame. Air
    is counted with the soft tissue (``x2ct.drr.spectral_sum.PROJECTED``): their mass
    attenuations differ by a few per cent at 20-120 keV and air holds little of the mass along
    a ray, so one projection is saved for a change of -ln(I / I0) below 1e-4 where rays cross
    no gas and below 0.3 % of it through 12 mm of lung-density gas
    (tests/drr/test_polyenergetic.py).
    """
    volume, _ = _as_tensor(hu)
    n, shape = volume.shape[0], volume.shape[2:]
    stacked = density_volumes(volume).reshape(2 * n, 1, *shape)
    lines = render(stacked, geometry, views, spacing_mm=spacing_mm, units="mu")
    rows, cols = lines.shape[-2:]
    lines = lines.reshape(n, 2, len(views), rows, cols).transpose(1, 2) / MM_PER_CM
    return torch.stack([lines[:, :, 0] - lines[:, :, 1], lines[:, :, 1]], dim=2)


def material_thickness_exact(
    hu: Any,
    geometry: ConeBeam | ParallelBeam,
    views: tuple[str, ...] = ("frontal", "lateral"),
    *,
    spacing_mm: tuple[float, float, float],
) -> torch.Tensor:
    """(N, V, 3, rows, cols) g/cm^2 of each of MATERIALS (air, soft tissue, bone), one
    projection per material: the reference that ``material_thickness`` is checked against."""
    volume, _ = _as_tensor(hu)
    n = volume.shape[0]
    density = hu_to_density(volume)
    fractions = material_fractions(volume)
    stacked = torch.stack([density * f for f in fractions], dim=1)
    stacked = stacked.reshape(n * len(fractions), 1, *volume.shape[2:])
    lines = render(stacked, geometry, views, spacing_mm=spacing_mm, units="mu")
    rows, cols = lines.shape[-2:]
    thickness = lines.reshape(n, len(fractions), len(views), rows, cols).transpose(1, 2)
    return thickness / MM_PER_CM


def effective_line_integrals(
    hu: Any,
    geometry: ConeBeam | ParallelBeam,
    views: tuple[str, ...] = ("frontal", "lateral"),
    *,
    spacing_mm: tuple[float, float, float],
    kvp: tuple[float, ...] = (80.0, 90.0),
) -> torch.Tensor:
    """-ln(I / I0) of the polyenergetic beam: (N, V, rows, cols), or (V, rows, cols) for one
    (D, H, W) volume. ``kvp`` gives each view's tube voltage (one value per view)."""
    if len(kvp) != len(views):
        raise ValueError(f"one kVp per view: {len(views)} views, {len(kvp)} values")
    _, single = _as_tensor(hu)
    thickness = material_thickness(hu, geometry, views, spacing_mm=spacing_mm)
    images = [
        tabulated_transmission(thickness[:, v], tube_spectrum(kv)) for v, kv in enumerate(kvp)
    ]
    lines = -torch.log(torch.stack(images, dim=1).clamp(min=torch.finfo(thickness.dtype).tiny))
    return lines[0] if single else lines
