"""The seed's Table 1 metrics, computed exactly as the original X2CT-GAN test script did.

Inputs are one case in the network's intensity convention: (D, H, W) float arrays in [0, 1],
with 0 = -1024 HU and 1 = 1476 HU. These numbers exist to compare with the seed's published
values; they are inflated (see ``corrected`` and docs/metrics.md for why and by how much).

Definitions (real = R01, fake = clip(F01, 0, 1)):
- MAE0, MSE0: mean |R01 - F01| and mean (R01 - F01)^2 on the [0, 1] floats.
- CosineSimilarity: <R01, F01> / (|R01| |F01|) over the flattened volume.
- "CT scale": R = int32(R01 * 2500), F = int32(F01 * 2500) (truncation, float32 product as in
  the seed), MAE = mean |R - F|, MSE = mean (R - F)^2 (HU^2 up to the truncation),
  PSNR-3D = 20 log10(4095 / sqrt(MSE)), 100 dB when MSE = 0.
- PSNR-k (k = 1, 2, 3 for axes D, H, W): mean over the slices along axis k of the per-slice
  PSNR with peak 4095; a slice with zero error counts 100 dB. PSNR-avg = mean of PSNR-1..3.
- SSIM-k: scikit-image ``structural_similarity`` with the slices along axis k as channels
  (7x7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance, data_range 1.0, 3-pixel border
  dropped), i.e. the mean over slices of the 2D SSIM. SSIM = mean of SSIM-1..3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from x2ct.config.evaluate import TABLE1_KEYS
from x2ct.errors import InputError
from x2ct.scaling import CT_RANGE

PEAK = 4095.0
"""Peak value of the seed's PSNR: the 12-bit maximum, not the 2500-wide target range."""

ZERO_ERROR_PSNR = 100.0
"""PSNR (dB) that the seed assigns to a volume or slice with zero squared error."""

EXTRA_KEYS: tuple[str, ...] = ("SSIM-1", "SSIM-2", "SSIM-3")
"""Per-axis SSIM values that ``table1`` also returns (their mean is ``SSIM``)."""

SSIM_MIN_SIZE = 7
"""scikit-image's default window (7) must fit in every slice."""


def check_pair(real: np.ndarray, fake: np.ndarray, what: str, min_size: int = 1) -> None:
    """Raise InputError unless ``real`` and ``fake`` are finite 3D arrays of one shape."""
    real = np.asarray(real)
    fake = np.asarray(fake)
    if real.ndim != 3:
        raise InputError(what, "a 3D (D, H, W) real volume", f"shape {real.shape}")
    if fake.shape != real.shape:
        raise InputError(what, f"a prediction of shape {real.shape}", f"shape {fake.shape}")
    if min(real.shape) < min_size:
        raise InputError(what, f"at least {min_size} voxels along each axis", f"shape {real.shape}")
    for name, array in (("real", real), ("fake", fake)):
        if not np.all(np.isfinite(array)):
            raise InputError(what, f"finite values in the {name} volume", "NaN or inf")


def _to_ct_scale(volume01: np.ndarray) -> np.ndarray:
    """[0, 1] -> int32 on the 0..2500 scale by truncation, computed in float32 like the seed."""
    return (np.asarray(volume01, dtype=np.float32) * np.float32(CT_RANGE)).astype(np.int32)


def psnr_from_mse(mse: np.ndarray | float, peak: float) -> np.ndarray:
    """20 log10(peak / sqrt(mse)) in dB, with ZERO_ERROR_PSNR where mse == 0 (the seed's rule)."""
    mse = np.asarray(mse, dtype=np.float64)
    safe = np.where(mse > 0, mse, 1.0)
    return np.where(mse > 0, 20.0 * np.log10(peak / np.sqrt(safe)), ZERO_ERROR_PSNR)


def slice_mse(squared_error: np.ndarray, axis: int) -> np.ndarray:
    """Mean of a (D, H, W) squared-error volume over each slice along ``axis``: shape (n_axis,)."""
    others = tuple(a for a in range(3) if a != axis)
    return squared_error.mean(axis=others)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """<a, b> / (|a| |b|) over the flattened arrays.

    The seed divides by zero when a volume is all zero; here two all-zero volumes give 1.0 and
    one all-zero volume gives 0.0, so that a dataset mean stays finite.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    norm_a = float(np.linalg.norm(a))
    norm_b = float(np.linalg.norm(b))
    if norm_a == 0.0 or norm_b == 0.0:
        return 1.0 if norm_a == norm_b else 0.0
    return float(np.dot(a, b) / (norm_a * norm_b))


def ssim_per_axis(real01: np.ndarray, fake01: np.ndarray, axis: int) -> float:
    """Mean 2D SSIM over the slices along ``axis`` of two (D, H, W) volumes in [0, 1].

    One call of scikit-image with the slices as channels, exactly as the seed's script.
    """
    from skimage.metrics import structural_similarity

    return float(
        structural_similarity(
            np.moveaxis(real01, axis, -1),
            np.moveaxis(fake01, axis, -1),
            data_range=1.0,
            channel_axis=-1,
        )
    )


def table1(real01: np.ndarray, fake01: np.ndarray) -> dict[str, float]:
    """The seed's Table 1 metrics for one case.

    Args:
        real01: (D, H, W) true CT in [0, 1] (clip(HU + 1024, 0, 2500) / 2500); each axis >= 7.
        fake01: (D, H, W) network output; clipped to [0, 1] here, as the seed did.

    Returns:
        dict with the keys of TABLE1_KEYS then EXTRA_KEYS (floats). MAE/MSE are on the 0..2500
        integer scale (HU differences up to truncation), PSNRs in dB with peak 4095.

    Raises:
        InputError: shapes differ, not 3D, an axis shorter than 7, non-finite values, or real
            values outside [0, 1].
    """
    check_pair(real01, fake01, "table1", min_size=SSIM_MIN_SIZE)
    real = np.asarray(real01, dtype=np.float64)
    if real.min() < -1e-6 or real.max() > 1.0 + 1e-6:
        found = f"values in [{real.min():.4g}, {real.max():.4g}]"
        raise InputError("table1", "a real volume in [0, 1]", found)
    real = np.clip(real, 0.0, 1.0)
    fake = np.clip(np.asarray(fake01, dtype=np.float64), 0.0, 1.0)

    diff01 = real - fake
    out: dict[str, float] = {
        "MAE0": float(np.mean(np.abs(diff01))),
        "MSE0": float(np.mean(diff01**2)),
    }
    # Truncate the float32 values as given (not the float64 copies) so that a value such as
    # 0.9999 lands on the same integer as in the seed's float32 pipeline.
    real32 = np.clip(np.asarray(real01, dtype=np.float32), 0.0, 1.0)
    fake32 = np.clip(np.asarray(fake01, dtype=np.float32), 0.0, 1.0)
    diff = (_to_ct_scale(real32) - _to_ct_scale(fake32)).astype(np.float64)
    squared = diff**2
    mse = float(squared.mean())
    out["MAE"] = float(np.abs(diff).mean())
    out["MSE"] = mse
    out["CosineSimilarity"] = cosine_similarity(real, fake)
    out["PSNR-3D"] = float(psnr_from_mse(mse, PEAK))
    for axis in range(3):
        out[f"PSNR-{axis + 1}"] = float(psnr_from_mse(slice_mse(squared, axis), PEAK).mean())
    out["PSNR-avg"] = float(np.mean([out["PSNR-1"], out["PSNR-2"], out["PSNR-3"]]))
    ssims = [ssim_per_axis(real, fake, axis) for axis in range(3)]
    out["SSIM"] = float(np.mean(ssims))
    for axis, value in enumerate(ssims):
        out[f"SSIM-{axis + 1}"] = value
    return {key: out[key] for key in (*TABLE1_KEYS, *EXTRA_KEYS)}


def mean_table(cases: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Dataset value as the seed reports it: the plain mean over cases of each per-case value.

    Args:
        cases: per-case dicts with the same keys (e.g. ``table1`` outputs).

    Returns:
        {key: mean}, keys in the order of the first case. Non-finite values propagate (use
        ``x2ct.metrics.summarise`` for a summary robust to them).

    Raises:
        InputError: no cases, or a case whose keys differ from the first one's.
    """
    if len(cases) == 0:
        raise InputError("mean_table", "at least one case", "an empty list")
    keys = list(cases[0])
    for index, case in enumerate(cases):
        if set(case) != set(keys):
            missing = sorted(set(keys) ^ set(case))
            raise InputError("mean_table", f"case {index} with the keys of case 0", f"{missing}")
    return {key: float(np.mean([float(case[key]) for case in cases])) for key in keys}
