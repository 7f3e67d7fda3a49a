"""The two synthetic radiographs of a case: DRR rendering plus the 2D preprocessing.

``aligned``: rays traverse the whole CT (all the tissue a real radiograph would see), the
isocentre is the cube centre and the detector footprint at the isocentre is exactly the cube
face, so image rows and the cube's D axis cover the same anatomy. Only the slab of slices that
rays through the detector can reach is rendered.
``paper``: the crop is rendered on a square detector covering its largest face, then each view
goes through the seed's threshold / contour / crop / pad / resize steps.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from x2ct.config import ProjectConfig
from x2ct.drr import geometry_from_config
from x2ct.drr.radiograph import display, settings_summary
from x2ct.drr.radiograph import line_integrals as drr_line_integrals
from x2ct.prepare.crop import shifted_affine
from x2ct.prepare.resample import area_downsample, pool_factors
from x2ct.volume import Volume
from x2ct.xray import preprocess


def noise_seed(prepare_seed: int, case_name: str) -> int:
    """Seed of a case's quantum noise: fixed by the split seed and the case name, so a case's
    views are the same whenever and wherever it is rendered, and differ between cases."""
    return zlib.crc32(f"{prepare_seed}:{case_name}".encode())


def detector_pixels(config: ProjectConfig) -> int:
    """Detector side in pixels: the configured one, else twice the X-ray size (anti-aliasing)."""
    return config.drr.detector_pixels or 2 * config.xray.size


def block_average(volume: Volume, target_mm: float, limit: int = 4) -> Volume:
    """Average blocks of whole voxels so that no axis is finer than needed for ``target_mm``."""
    factors = pool_factors(target_mm / np.asarray(volume.spacing), limit)
    if np.all(factors == 1):
        return volume
    pooled, scale, start = area_downsample(volume.array, factors)
    index_map = np.eye(4)
    index_map[:3, :3] = np.diag(scale)
    index_map[:3, 3] = start
    return Volume(pooled, volume.affine @ index_map, volume.source)


def _reachable_slab(
    ct: Volume, center_index: np.ndarray, field_mm: float, config: ProjectConfig
) -> tuple[int, int]:
    """D index range [start, stop) that rays hitting the detector can cross."""
    spacing = np.asarray(ct.spacing)
    half = field_mm / 2.0
    if config.drr.geometry == "cone":
        # A ray leaving the isocentre plane at D offset h reaches h * (sad + depth) / sad at depth.
        depth = max(
            abs(center_index[axis] - edge) * spacing[axis]
            for axis in (1, 2)
            for edge in (0, ct.shape[axis] - 1)
        )
        half *= (config.drr.sad_mm + depth) / config.drr.sad_mm
    reach = half / spacing[0] + 2
    start = max(int(np.floor(center_index[0] - reach)), 0)
    stop = min(int(np.ceil(center_index[0] + reach)) + 1, ct.shape[0])
    return start, stop


def render_detector(
    ct: Volume,
    center_world: np.ndarray | None,
    field_mm: float | None,
    config: ProjectConfig,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Line integrals of the frontal and lateral views, (2, P, P) float32, and geometry info.

    Args:
        ct: the CT in HU in the model frame (whole scan for aligned mode, the crop for paper).
        center_world: RAS position (mm) of the isocentre (the cube centre); None for paper mode.
        field_mm: edge of the field of view at the isocentre in mm; None for paper mode (the
            detector then covers the largest face of ``ct`` around its centre).
        config: settings (``drr`` and ``xray.size`` for the default detector size).
        seed: seeds the quantum noise of ``drr.physics: poly`` (per case, so a case's views
            are the same whenever it is prepared).
    """
    pixels = detector_pixels(config)
    if field_mm is None or center_world is None:
        source, slab = ct, (0, ct.shape[0])
        field = float(max(np.array(ct.shape) * np.array(ct.spacing)))
        center_world = ct.center_world()
    else:
        center_index = ct.world_to_voxel(center_world)
        slab = _reachable_slab(ct, center_index, field_mm, config)
        source, field = ct.with_array(ct.array[slab[0] : slab[1]]), field_mm
        source = Volume(
            source.array, shifted_affine(ct.affine, np.array([slab[0], 0, 0])), ct.source
        )
    # The views end at xray.size pixels over the field: voxels finer than that only cost time.
    # Averaging whole blocks keeps every line integral (sums along the ray are unchanged) and
    # acts as the anti-aliasing filter across it.
    source = block_average(source, field / config.xray.size)
    center_index = source.world_to_voxel(center_world)
    isocenter = (center_index - (np.array(source.shape) - 1) / 2.0) * np.array(source.spacing)
    geometry = geometry_from_config(
        config.drr, pixels=pixels, field_mm=field, isocenter_mm=tuple(isocenter)
    )
    line_integrals = drr_line_integrals(source, geometry, config.drr, seed=seed)
    info = {
        "detector_pixels": pixels,
        "detector_spacing_mm": float(np.atleast_1d(geometry.detector_spacing_mm)[0]),
        "isocenter_mm_from_grid_centre": [round(float(v), 4) for v in isocenter],
        "magnification": float(geometry.magnification),
        "field_mm": field_mm,
        "rendered_slices": list(slab),
        **settings_summary(config.drr),
    }
    return line_integrals, info


def render_views(
    ct: Volume,
    center_world: np.ndarray | None,
    field_mm: float | None,
    config: ProjectConfig,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(xray1, xray2, info): the preprocessed frontal and lateral views, (S, S) uint8 each.

    The detector images of ``render_detector`` go through the 8-bit display of the ``drr``
    section (its fixed window, or a DR system's processing) and then the 2D preprocessing of
    the ``xray`` section.
    """
    line_integrals, info = render_detector(ct, center_world, field_mm, config, seed=seed)
    if config.xray.mode == "paper":
        # The seed's pipeline normalised every DRR by its own maximum before its 2D steps.
        peak = line_integrals.max(axis=(1, 2), keepdims=True)
        images = np.rint(255.0 * line_integrals / np.maximum(peak, 1e-12)).astype(np.uint8)
    else:
        images = display(line_integrals, config.drr, pixel_mm=info["detector_spacing_mm"])
    info["line_integral_max"] = [round(float(line_integrals[v].max()), 4) for v in range(2)]
    return preprocess(images[0], config.xray), preprocess(images[1], config.xray), info
