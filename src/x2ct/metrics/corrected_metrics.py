"""Corrected image metrics in HU: the true data range, no 100 dB slices, 3D SSIM.

The seed's Table 1 (``compat.table1``) uses a 4095 peak for data that span 2500 HU (+4.29 dB on
every PSNR) and scores every zero-error slice 100 dB, which rewards empty background rather than
anatomy. The values here use the range the data actually span and give no slice a made-up
value.

Definitions (real R, fake F in HU, float64, no clipping, no truncation; L = data range in HU):
- MAE-HU = mean |R - F|, RMSE-HU = sqrt(mean (R - F)^2).
- PSNR-true-3D = 20 log10(L / RMSE) over the whole volume; +inf only if F == R everywhere.
- PSNR-true-k (k = 1, 2, 3 for axes D, H, W) = 20 log10(L / mean_i RMSE_i), RMSE_i the RMS error
  of slice i along axis k. Every slice counts with its real error (zero-error slices count 0,
  nothing is set to 100 dB or dropped); the mean of slice RMSEs is <= the volume RMSE, so these
  are >= PSNR-true-3D, and their spread across axes shows where the error concentrates.
  PSNR-true-avg = mean of PSNR-true-1..3.
- SSIM-3D = scikit-image ``structural_similarity`` on the volumes with ``data_range=L`` (7x7x7
  uniform window, K1 0.01, K2 0.03, sample covariance, 3-voxel border dropped).
- zero-error-slices = number of slices, over the three axes, with exactly zero error (the slices
  the seed would score 100 dB; a diagnostic of how much empty background a case has).
"""

from __future__ import annotations

import math

import numpy as np

from x2ct.config.evaluate import EvaluateConfig
from x2ct.errors import InputError
from x2ct.metrics.compat import SSIM_MIN_SIZE, check_pair, slice_mse

DEFAULT_DATA_RANGE_HU = EvaluateConfig.data_range_hu
"""2500 HU: the range -1024..1476 HU that the network's [0, 1] output spans."""

CORRECTED_KEYS: tuple[str, ...] = (
    "MAE-HU",
    "RMSE-HU",
    "PSNR-true-3D",
    "PSNR-true-1",
    "PSNR-true-2",
    "PSNR-true-3",
    "PSNR-true-avg",
    "SSIM-3D",
    "zero-error-slices",
    "data-range-HU",
)
"""Keys of ``corrected``; distinct from the Table 1 keys so that both fit in one row."""


def _psnr(rmse: float, data_range: float) -> float:
    """20 log10(L / RMSE) in dB; +inf for RMSE = 0 (identical volumes)."""
    return math.inf if rmse == 0.0 else float(20.0 * np.log10(data_range / rmse))


def corrected(
    real_hu: np.ndarray, fake_hu: np.ndarray, data_range: float | None = None
) -> dict[str, float]:
    """Corrected PSNR / SSIM / MAE of one case, in HU.

    Args:
        real_hu: (D, H, W) true CT in HU (e.g. 2500 * real01 - 1024); each axis >= 7 voxels.
        fake_hu: (D, H, W) prediction in HU on the same grid (the caller clips the network output
            to [0, 1] before converting, as for Table 1).
        data_range: L in HU for PSNR and SSIM; None = DEFAULT_DATA_RANGE_HU (2500 HU, the span of
            the network target), the same for every case so that cases are comparable.

    Returns:
        dict with the keys of CORRECTED_KEYS: errors in HU, PSNRs in dB, SSIM-3D unitless,
        zero-error-slices a count, data-range-HU the L used.

    Raises:
        InputError: shapes differ, not 3D, an axis shorter than 7, non-finite values, or a data
            range that is not a positive finite number.
    """
    check_pair(real_hu, fake_hu, "corrected", min_size=SSIM_MIN_SIZE)
    L = DEFAULT_DATA_RANGE_HU if data_range is None else float(data_range)
    if not (math.isfinite(L) and L > 0.0):
        raise InputError("corrected", "a positive finite data range in HU", f"{data_range!r}")
    real = np.asarray(real_hu, dtype=np.float64)
    fake = np.asarray(fake_hu, dtype=np.float64)
    diff = real - fake
    squared = diff**2
    rmse = float(np.sqrt(squared.mean()))
    out: dict[str, float] = {
        "MAE-HU": float(np.abs(diff).mean()),
        "RMSE-HU": rmse,
        "PSNR-true-3D": _psnr(rmse, L),
    }
    zero_slices = 0
    for axis in range(3):
        per_slice = slice_mse(squared, axis)
        zero_slices += int(np.count_nonzero(per_slice == 0.0))
        out[f"PSNR-true-{axis + 1}"] = _psnr(float(np.sqrt(per_slice).mean()), L)
    out["PSNR-true-avg"] = float(np.mean([out[f"PSNR-true-{k}"] for k in (1, 2, 3)]))

    from skimage.metrics import structural_similarity

    out["SSIM-3D"] = float(structural_similarity(real, fake, data_range=L))
    out["zero-error-slices"] = float(zero_slices)
    out["data-range-HU"] = L
    return {key: out[key] for key in CORRECTED_KEYS}
