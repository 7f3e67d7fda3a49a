"""The seed's Table 1 metrics against hand-computed values and an independent loop version."""

from __future__ import annotations

import math

import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.metrics import TABLE1_KEYS, mean_table, table1

PEAK = 4095.0


def ssim_2d_reference(x: np.ndarray, y: np.ndarray) -> float:
    """SSIM of two 2D images by explicit 7x7 patches at every centre >= 3 pixels from the border.

    Uniform window, sample (ddof 1) variances, K1 0.01, K2 0.03, data range 1.
    """
    c1, c2 = 0.01**2, 0.03**2
    rows, cols = x.shape
    values = []
    for r in range(3, rows - 3):
        for c in range(3, cols - 3):
            a = x[r - 3 : r + 4, c - 3 : c + 4].ravel()
            b = y[r - 3 : r + 4, c - 3 : c + 4].ravel()
            mu_a, mu_b = a.mean(), b.mean()
            var_a, var_b = a.var(ddof=1), b.var(ddof=1)
            cov = ((a - mu_a) * (b - mu_b)).sum() / (a.size - 1)
            num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
            den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
            values.append(num / den)
    return float(np.mean(values))


def reference_table1(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """Slice-by-slice Python loops over the seed's definitions."""
    fake = np.clip(fake, 0, 1)
    R = (real.astype(np.float32) * np.float32(2500)).astype(np.int64)
    F = (fake.astype(np.float32) * np.float32(2500)).astype(np.int64)
    out = {
        "MAE0": float(np.mean(np.abs(real.astype(np.float64) - fake))),
        "MSE": float(np.mean((R - F) ** 2)),
        "MAE": float(np.mean(np.abs(R - F))),
    }
    out["PSNR-3D"] = 100.0 if out["MSE"] == 0 else 20 * math.log10(PEAK / math.sqrt(out["MSE"]))
    for axis in range(3):
        psnrs, ssims = [], []
        for i in range(real.shape[axis]):
            r = np.take(R, i, axis=axis)
            f = np.take(F, i, axis=axis)
            mse = float(np.mean((r - f) ** 2))
            psnrs.append(100.0 if mse == 0 else 20 * math.log10(PEAK / math.sqrt(mse)))
            ssims.append(
                ssim_2d_reference(np.take(real, i, axis=axis), np.take(fake, i, axis=axis))
            )
        out[f"PSNR-{axis + 1}"] = float(np.mean(psnrs))
        out[f"SSIM-{axis + 1}"] = float(np.mean(ssims))
    return out


def test_keys_are_the_decided_ones() -> None:
    result = table1(np.full((8, 8, 8), 0.5), np.full((8, 8, 8), 0.5))
    assert tuple(result)[: len(TABLE1_KEYS)] == (
        "MAE0", "MSE0", "MAE", "MSE", "CosineSimilarity", "PSNR-3D",
        "PSNR-1", "PSNR-2", "PSNR-3", "PSNR-avg", "SSIM",
    )  # fmt: skip
    assert {"SSIM-1", "SSIM-2", "SSIM-3"} <= set(result)


def test_identical_volumes_score_100_db() -> None:
    rng = np.random.default_rng(1)
    real = rng.random((8, 8, 8)).astype(np.float32)
    result = table1(real, real.copy())
    assert result["MAE0"] == 0 and result["MSE"] == 0
    for key in ("PSNR-3D", "PSNR-1", "PSNR-2", "PSNR-3", "PSNR-avg"):
        assert result[key] == 100.0
    assert result["SSIM"] == pytest.approx(1.0)
    assert result["CosineSimilarity"] == pytest.approx(1.0)


def test_one_wrong_voxel_by_hand() -> None:
    # 0.5 and 0.625 are exact in float32: R = 1250, F = int(1562.5) = 1562, error 312 in one voxel.
    real = np.full((8, 8, 8), 0.5, dtype=np.float32)
    fake = real.copy()
    fake[2, 5, 6] = 0.625
    result = table1(real, fake)
    n = 512
    assert result["MAE0"] == pytest.approx(0.125 / n, rel=1e-12)
    assert result["MSE0"] == pytest.approx(0.125**2 / n, rel=1e-12)
    assert result["MAE"] == pytest.approx(312 / n, rel=1e-12)
    assert result["MSE"] == pytest.approx(312**2 / n, rel=1e-12)
    assert result["PSNR-3D"] == pytest.approx(20 * math.log10(PEAK / math.sqrt(312**2 / n)))
    # Along every axis: 7 zero-error slices at 100 dB and one with MSE 312^2 / 64.
    one_slice = 20 * math.log10(PEAK / (312 / 8))
    for key in ("PSNR-1", "PSNR-2", "PSNR-3", "PSNR-avg"):
        assert result[key] == pytest.approx((7 * 100 + one_slice) / 8)
    dot = 511 * 0.25 + 0.5 * 0.625
    cosine = dot / (math.sqrt(n * 0.25) * math.sqrt(511 * 0.25 + 0.625**2))
    assert result["CosineSimilarity"] == pytest.approx(cosine, rel=1e-12)


def test_truncation_not_rounding() -> None:
    # 0.9999 * 2500 = 2499.75 truncates to 2499: an error of 1 everywhere (rounding would give 0).
    real = np.ones((8, 8, 8), dtype=np.float32)
    fake = np.full((8, 8, 8), 0.9999, dtype=np.float32)
    result = table1(real, fake)
    assert result["MAE"] == 1.0 and result["MSE"] == 1.0
    expected = 20 * math.log10(PEAK)  # 72.245 dB: peak over an RMS error of 1
    for key in ("PSNR-3D", "PSNR-1", "PSNR-2", "PSNR-3"):
        assert result[key] == pytest.approx(expected)
    assert result["MAE0"] == pytest.approx(1e-4, rel=1e-3)


def test_fake_is_clipped_to_unit_range() -> None:
    real = np.zeros((8, 8, 8))
    real[4:] = 1.0
    fake = np.where(real > 0, 1.7, -0.3)
    result = table1(real, fake)
    assert result["MAE0"] == 0.0 and result["PSNR-3D"] == 100.0


def test_random_volumes_match_independent_loops() -> None:
    rng = np.random.default_rng(7)
    real = rng.random((8, 9, 10)).astype(np.float32)
    fake = (real + 0.2 * rng.standard_normal(real.shape)).astype(np.float32)
    real[:, :, 0] = 0.3
    fake[:, :, 0] = 0.3  # one zero-error slice along W
    result = table1(real, fake)
    expected = reference_table1(real, fake)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    assert result["PSNR-avg"] == pytest.approx(np.mean([expected[f"PSNR-{k}"] for k in (1, 2, 3)]))
    assert result["SSIM"] == pytest.approx(np.mean([expected[f"SSIM-{k}"] for k in (1, 2, 3)]))
    flat_real = real.astype(np.float64).ravel()
    flat_fake = np.clip(fake, 0, 1).astype(np.float64).ravel()
    cosine = flat_real @ flat_fake / math.sqrt((flat_real @ flat_real) * (flat_fake @ flat_fake))
    assert result["CosineSimilarity"] == pytest.approx(cosine, rel=1e-12)


def test_mean_table_is_the_plain_case_mean() -> None:
    cases = [
        {"PSNR-3D": 20.0, "SSIM": 0.25},
        {"PSNR-3D": 30.0, "SSIM": 0.75},
        {"PSNR-3D": 100.0, "SSIM": 0.5},
    ]
    assert mean_table(cases) == {"PSNR-3D": 50.0, "SSIM": 0.5}
    with pytest.raises(InputError):
        mean_table([{"a": 1.0}, {"b": 1.0}])
    with pytest.raises(InputError):
        mean_table([])


@pytest.mark.parametrize(
    ("real", "fake"),
    [
        (np.zeros((8, 8, 8)), np.zeros((8, 8, 9))),
        (np.zeros((8, 8, 6)), np.zeros((8, 8, 6))),
        (np.full((8, 8, 8), 1.5), np.zeros((8, 8, 8))),
        (np.zeros((8, 8)), np.zeros((8, 8))),
        (np.zeros((8, 8, 8)), np.full((8, 8, 8), np.nan)),
    ],
)
def test_bad_inputs_raise_input_error(real: np.ndarray, fake: np.ndarray) -> None:
    with pytest.raises(InputError):
        table1(real, fake)


def test_scaling_is_done_in_float32_like_the_seed() -> None:
    # float32(0.7) * 2500 is 1750 in float32 but 1749.99997 (-> 1749) in float64; the seed
    # multiplied float32 arrays, so both of these truncate to 1750 and the error is zero.
    real = np.full((8, 8, 8), 0.7, dtype=np.float32)
    fake = np.full((8, 8, 8), np.nextafter(np.float32(0.7), np.float32(1)), dtype=np.float32)
    assert np.float64(real[0, 0, 0]) * 2500 < 1750
    result = table1(real, fake)
    assert result["MAE"] == 0.0 and result["PSNR-3D"] == 100.0
