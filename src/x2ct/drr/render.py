"""``x2ct.drr.render``: frontal and lateral line-integral images of CT volumes (DECIDED entry point).

Accepts a ``Volume`` (HU), a numpy array or a torch tensor, single or batched, converts HU to
linear attenuation and projects with Joseph's method (``x2ct.drr.joseph``). Tensors stay on
their device and keep autograd: the images are differentiable with respect to the volume.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import torch

from x2ct.config.drr import DRRConfig
from x2ct.drr.geometry import (
    VIEWS,
    ConeBeam,
    Geometry,
    ParallelBeam,
    check_source_outside,
    geometry_from_config,
)
from x2ct.drr.joseph import plan_view, project
from x2ct.drr.physics import hu_to_mu, mu_water
from x2ct.errors import InputError
from x2ct.volume import Volume

SOURCE = "DRR input"


def _views(views: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    views = (views,) if isinstance(views, str) else tuple(views)
    if not views or any(v not in VIEWS for v in views):
        raise InputError("DRR views", f"one or more of {VIEWS}", repr(views))
    return views


def _spacing(spacing_mm: Any, source: str) -> tuple[float, float, float]:
    try:
        spacing = tuple(float(s) for s in spacing_mm)
    except (TypeError, ValueError):
        raise InputError(
            source, "spacing_mm as 3 numbers (D, H, W) in mm", repr(spacing_mm)
        ) from None
    if len(spacing) != 3 or not all(math.isfinite(s) and s > 0 for s in spacing):
        raise InputError(
            source, "spacing_mm as 3 positive numbers (D, H, W) in mm", repr(spacing_mm)
        )
    return spacing


def _as_batch(volume: Any, source: str) -> tuple[torch.Tensor, bool, bool]:
    """-> (tensor (N, D, H, W), input was batched, input was numpy/Volume)."""
    if isinstance(volume, Volume):
        return torch.from_numpy(volume.array)[None], False, True
    is_numpy = isinstance(volume, np.ndarray)
    if is_numpy:
        if not np.issubdtype(volume.dtype, np.number) or np.issubdtype(
            volume.dtype, np.complexfloating
        ):
            raise InputError(source, "a real-valued volume", f"dtype {volume.dtype}")
        if not np.all(np.isfinite(volume)):
            raise InputError(source, "finite voxel values", "NaN or inf voxels")
        if not volume.dtype.isnative:  # e.g. big-endian data straight from a file
            volume = volume.astype(volume.dtype.newbyteorder("="))
        volume = torch.from_numpy(np.ascontiguousarray(volume))
    elif not isinstance(volume, torch.Tensor):
        raise InputError(source, "a Volume, numpy array or torch tensor", type(volume).__name__)
    if volume.is_complex() or volume.dtype == torch.bool:
        raise InputError(source, "a real-valued volume", f"dtype {volume.dtype}")
    if volume.ndim == 3:
        batch, batched = volume[None], False
    elif volume.ndim == 5 and volume.shape[1] == 1:
        batch, batched = volume[:, 0], True
    else:
        raise InputError(
            source, "shape (D, H, W) or (N, 1, D, H, W)", f"shape {tuple(volume.shape)}"
        )
    if min(batch.shape[1:]) < 2 or batch.shape[0] < 1:
        raise InputError(
            source,
            "at least 2 voxels along D, H and W and one case",
            f"shape {tuple(volume.shape)}",
        )
    if not batch.is_floating_point():
        batch = batch.float()
    return batch, batched, is_numpy


def render(
    volume: Volume | np.ndarray | torch.Tensor,
    geometry: Geometry | DRRConfig | None = None,
    views: str | tuple[str, ...] = VIEWS,
    *,
    spacing_mm: tuple[float, float, float] | None = None,
    units: Literal["hu", "mu"] = "hu",
    energy_kev: float | None = None,
) -> np.ndarray | torch.Tensor:
    """Line integrals p = integral of mu dl (dimensionless) of the frontal and/or lateral view.

    Frontal (xray1): rays along H (source anterior), rows = D with superior at the top, columns
    = W with patient right on the viewer's left. Lateral (xray2): rays along W (source on the
    patient's right), rows = D, columns = H with anterior on the left. Geometry: see
    ``x2ct.drr.geometry`` (cone beam, isocentre at the grid centre by default). The voxel grid
    is taken as axis-aligned in the model frame with the given spacing; a rotation in a
    ``Volume``'s affine (oblique acquisition) is not applied.

    Args:
        volume: a ``Volume`` (HU, spacing from its affine), or an array/tensor of shape (D, H, W)
            or (N, 1, D, H, W) in the model frame. Tensors keep device and autograd.
        geometry: ``ConeBeam``, ``ParallelBeam``, a ``DRRConfig`` or None (the clinical default,
            ``DRRConfig()``).
        views: "frontal", "lateral" or a tuple of them; the order of the output's V axis.
        spacing_mm: voxel size (D, H, W) in mm for arrays and tensors (default 1 mm); ignored
            for a ``Volume``, which carries its own.
        units: "hu" (Hounsfield units, converted with ``hu_to_mu``) or "mu" (attenuation, 1/mm).
        energy_kev: effective energy for HU -> mu (default: the config's, else 70 keV).

    Returns:
        float images (V, rows, cols) for one volume or (N, V, rows, cols) for a batch; numpy
        float32 for a Volume or numpy input, a tensor (input dtype, device) for tensor input.
    """
    views = _views(views)
    source = getattr(volume, "source", None) or SOURCE
    if isinstance(geometry, DRRConfig):
        if energy_kev is None:
            energy_kev = geometry.energy_kev
        geometry = geometry_from_config(geometry)
    elif geometry is None:
        geometry = geometry_from_config(DRRConfig())
    elif not isinstance(geometry, ConeBeam | ParallelBeam):
        raise InputError(
            "DRR geometry", "ConeBeam, ParallelBeam, DRRConfig or None", type(geometry).__name__
        )
    if units not in ("hu", "mu"):
        raise InputError("DRR units", "'hu' or 'mu'", repr(units))
    energy_kev = 70.0 if energy_kev is None else energy_kev

    batch, batched, to_numpy = _as_batch(volume, source)
    if isinstance(volume, Volume):
        spacing = volume.spacing
    else:
        spacing = _spacing((1.0, 1.0, 1.0) if spacing_mm is None else spacing_mm, source)
    shape = tuple(int(n) for n in batch.shape[1:])
    check_source_outside(geometry, shape, spacing, views)

    if units == "mu":
        mu = batch
    elif batch.requires_grad and torch.is_grad_enabled():
        mu = hu_to_mu(batch, energy_kev)
    else:  # the same formula with one allocation instead of three (fresh memory is slow)
        scale = mu_water(energy_kev)
        mu = torch.mul(batch, scale / 1000.0).add_(scale).clamp_(min=0.0)
    plans = tuple(
        plan_view(v, geometry, shape, spacing, mu.dtype, mu.device, mu.shape[0]) for v in views
    )
    images = project(mu, plans)
    if not batched:
        images = images[0]
    if to_numpy:
        return images.detach().cpu().numpy().astype(np.float32, copy=False)
    return images
