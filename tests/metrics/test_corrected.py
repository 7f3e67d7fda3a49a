"""Corrected metrics (true data range, no 100 dB slices, 3D SSIM) against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from x2ct.config.evaluate import EvaluateConfig
from x2ct.errors import InputError
from x2ct.metrics import CORRECTED_KEYS, corrected
from x2ct.scaling import CT_RANGE


def ssim_3d_reference(x: np.ndarray, y: np.ndarray, L: float) -> float:
    """3D SSIM by explicit 7x7x7 patches at every centre >= 3 voxels from the border."""
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    values = []
    D, H, W = x.shape
    for d in range(3, D - 3):
        for h in range(3, H - 3):
            for w in range(3, W - 3):
                a = x[d - 3 : d + 4, h - 3 : h + 4, w - 3 : w + 4].ravel()
                b = y[d - 3 : d + 4, h - 3 : h + 4, w - 3 : w + 4].ravel()
                cov = ((a - a.mean()) * (b - b.mean())).sum() / (a.size - 1)
                num = (2 * a.mean() * b.mean() + c1) * (2 * cov + c2)
                den = (a.mean() ** 2 + b.mean() ** 2 + c1) * (a.var(ddof=1) + b.var(ddof=1) + c2)
                values.append(num / den)
    return float(np.mean(values))


def test_default_range_is_the_target_span() -> None:
    assert EvaluateConfig().data_range_hu == CT_RANGE == 2500.0


def test_uniform_offset_by_hand() -> None:
    real = np.zeros((8, 8, 8))
    fake = real + 10.0
    result = corrected(real, fake)
    assert tuple(result) == CORRECTED_KEYS
    assert result["MAE-HU"] == pytest.approx(10.0)
    assert result["RMSE-HU"] == pytest.approx(10.0)
    psnr = 20 * math.log10(2500 / 10)  # 47.96 dB
    for key in ("PSNR-true-3D", "PSNR-true-1", "PSNR-true-2", "PSNR-true-3", "PSNR-true-avg"):
        assert result[key] == pytest.approx(psnr)
    # Constant patches: SSIM = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1) with C1 = (0.01 L)^2.
    c1 = (0.01 * 2500) ** 2
    assert result["SSIM-3D"] == pytest.approx(c1 / (100 + c1))
    assert result["zero-error-slices"] == 0
    assert result["data-range-HU"] == 2500.0


def test_one_wrong_voxel_counts_every_slice() -> None:
    shape = (8, 9, 10)
    n = 8 * 9 * 10
    real = np.full(shape, 40.0)
    fake = real.copy()
    e = 300.0
    fake[1, 2, 3] += e
    result = corrected(real, fake)
    assert result["MAE-HU"] == pytest.approx(e / n)
    assert result["RMSE-HU"] == pytest.approx(e / math.sqrt(n))
    assert result["PSNR-true-3D"] == pytest.approx(20 * math.log10(2500 * math.sqrt(n) / e))
    for k, slices in ((1, 8), (2, 9), (3, 10)):
        # one slice of n / slices voxels has RMS error e / sqrt(n / slices), all others 0.
        mean_rmse = e / math.sqrt(n / slices) / slices
        assert result[f"PSNR-true-{k}"] == pytest.approx(20 * math.log10(2500 / mean_rmse))
    assert result["zero-error-slices"] == 7 + 8 + 9


def test_identical_volumes() -> None:
    real = np.random.default_rng(3).normal(0, 300, (8, 8, 8))
    result = corrected(real, real.copy())
    assert result["MAE-HU"] == 0 and math.isinf(result["PSNR-true-3D"])
    assert math.isinf(result["PSNR-true-1"])
    assert result["SSIM-3D"] == pytest.approx(1.0)
    assert result["zero-error-slices"] == 8 * 3


def test_data_range_override_shifts_psnr() -> None:
    rng = np.random.default_rng(4)
    real = rng.normal(0, 200, (8, 8, 8))
    fake = real + rng.normal(0, 50, real.shape)
    default = corrected(real, fake)
    narrow = corrected(real, fake, data_range=1000.0)
    shift = 20 * math.log10(2500 / 1000)
    assert default["PSNR-true-3D"] - narrow["PSNR-true-3D"] == pytest.approx(shift)
    assert narrow["data-range-HU"] == 1000.0


def test_ssim_3d_matches_patchwise_reference() -> None:
    rng = np.random.default_rng(5)
    real = rng.uniform(-1024, 1476, (8, 9, 8))
    fake = real + rng.normal(0, 400, real.shape)
    result = corrected(real, fake)
    assert result["SSIM-3D"] == pytest.approx(ssim_3d_reference(real, fake, 2500.0), rel=1e-9)


@pytest.mark.parametrize("data_range", [0.0, -5.0, math.inf, math.nan])
def test_bad_data_range(data_range: float) -> None:
    with pytest.raises(InputError):
        corrected(np.zeros((8, 8, 8)), np.zeros((8, 8, 8)), data_range=data_range)


def test_shape_mismatch() -> None:
    with pytest.raises(InputError):
        corrected(np.zeros((8, 8, 8)), np.zeros((8, 8, 7)))
