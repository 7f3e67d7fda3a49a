"""The mean-volume and back-projection baselines on synthetic blob volumes."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.errors import InputError
from x2ct.inference.baselines import (
    BackprojectionBaseline,
    MeanVolumeBaseline,
    backproject,
    load_baseline,
    save_baseline,
)

SHAPE = (12, 16, 20)  # D, H, W all different, so a swapped axis cannot pass
XRAY_SIZE = 24


def to_xray(projection: np.ndarray, size: int = XRAY_SIZE) -> np.ndarray:
    """(rows, cols) projection in [0, 1] -> (size, size) uint8, pixel-centre-aligned linear resize."""
    rows, cols = projection.shape
    r = np.clip((np.arange(size) + 0.5) * rows / size - 0.5, 0, rows - 1)
    c = np.clip((np.arange(size) + 0.5) * cols / size - 0.5, 0, cols - 1)
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    r1, c1 = np.minimum(r0 + 1, rows - 1), np.minimum(c0 + 1, cols - 1)
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    top = projection[r0][:, c0] * (1 - fc) + projection[r0][:, c1] * fc
    bottom = projection[r1][:, c0] * (1 - fc) + projection[r1][:, c1] * fc
    return np.round(255 * np.clip(top * (1 - fr) + bottom * fr, 0, 1)).astype(np.uint8)


def blob_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bright ball at a random place on a dim background, and its two mean projections."""
    d, h, w = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    centre = [rng.uniform(3, n - 3) for n in SHAPE]
    ball = ((d - centre[0]) ** 2 + (h - centre[1]) ** 2 + (w - centre[2]) ** 2) <= 3.0**2
    ct = np.where(ball, 0.8, 0.1).astype(np.float32)
    frontal = ct.mean(axis=1) / 0.5  # (D, W), mean along H
    lateral = ct.mean(axis=2) / 0.5  # (D, H), mean along W
    return ct, to_xray(frontal), to_xray(lateral)


def test_mean_volume_is_the_voxelwise_mean() -> None:
    volumes = [np.full(SHAPE, v, dtype=np.float32) for v in (0.1, 0.2, 0.6)]
    volumes[0][0, 0, 0] = 1.0
    baseline = MeanVolumeBaseline().fit(iter(volumes))
    prediction = baseline.predict(np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    assert prediction.shape == SHAPE and prediction.dtype == np.float32
    assert prediction[1, 1, 1] == pytest.approx(0.3)
    assert prediction[0, 0, 0] == pytest.approx((1.0 + 0.2 + 0.6) / 3)
    assert baseline.n_cases == 3


def test_mean_volume_rejects_mixed_shapes_and_no_data() -> None:
    with pytest.raises(InputError):
        MeanVolumeBaseline().fit([np.zeros(SHAPE), np.zeros((12, 16, 21))])
    with pytest.raises(InputError):
        MeanVolumeBaseline().fit([])
    with pytest.raises(InputError):
        MeanVolumeBaseline().predict()
    with pytest.raises(InputError):
        MeanVolumeBaseline().fit([np.full(SHAPE, 1.5)])


def test_backprojection_beats_the_mean_volume_on_held_out_blobs() -> None:
    rng = np.random.default_rng(0)
    train = [blob_case(rng) for _ in range(20)]
    test = [blob_case(rng) for _ in range(5)]
    mean = MeanVolumeBaseline().fit(ct for ct, _, _ in train)
    backprojection = BackprojectionBaseline(bins=32).fit(train)
    mse_mean = np.mean([np.mean((mean.predict(x1, x2) - ct) ** 2) for ct, x1, x2 in test])
    mse_bp = np.mean([np.mean((backprojection.predict(x1, x2) - ct) ** 2) for ct, x1, x2 in test])
    assert mse_bp < 0.7 * mse_mean


def test_backprojection_geometry() -> None:
    x1 = np.array([[0.1, 0.4], [0.9, 1.0]])  # rows D, cols W
    x2 = np.array([[0.4, 0.0, 0.1], [0.25, 1.0, 0.5]])  # rows D, cols H
    s = backproject(x1, x2, (2, 3, 2))
    for d in range(2):
        for h in range(3):
            for w in range(2):
                assert s[d, h, w] == pytest.approx(np.sqrt(x1[d, w] * x2[d, h]))


def gaussian_image(size: int, row: float, col: float, sigma: float = 2.0) -> np.ndarray:
    r, c = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return 0.05 + 0.9 * np.exp(-((r - row) ** 2 + (c - col) ** 2) / (2 * sigma**2))


def to_pixel(index: int, n_volume: int, n_xray: int) -> float:
    """X-ray coordinate of voxel ``index``'s centre when n_volume voxels span n_xray pixels."""
    return (index + 0.5) * n_xray / n_volume - 0.5


def test_orientation_brightest_voxel_at_the_intersection() -> None:
    d0, h0, w0 = 7, 5, 13
    D, H, W = SHAPE
    xray1 = gaussian_image(XRAY_SIZE, to_pixel(d0, D, XRAY_SIZE), to_pixel(w0, W, XRAY_SIZE))
    xray2 = gaussian_image(XRAY_SIZE, to_pixel(d0, D, XRAY_SIZE), to_pixel(h0, H, XRAY_SIZE))
    identity = BackprojectionBaseline.from_dict(
        {"bins": 1, "shape": SHAPE, "knots_s": [0.0, 1.0], "knots_ct": [0.0, 1.0]}
    )
    volume = identity.predict(xray1, xray2)
    assert volume.shape == SHAPE
    assert np.unravel_index(np.argmax(volume), SHAPE) == (d0, h0, w0)


def test_fitted_lookup_is_bright_where_the_blob_is() -> None:
    rng = np.random.default_rng(1)
    baseline = BackprojectionBaseline(bins=16).fit([blob_case(rng) for _ in range(10)])
    ct, x1, x2 = blob_case(rng)
    prediction = baseline.predict(x1, x2)
    assert prediction[ct > 0.5].mean() > prediction[ct < 0.5].mean() + 0.3


def test_save_and_load_both_baselines(tmp_path) -> None:
    rng = np.random.default_rng(2)
    train = [blob_case(rng) for _ in range(4)]
    _, x1, x2 = blob_case(rng)
    for baseline in (
        MeanVolumeBaseline().fit(c for c, _, _ in train),
        BackprojectionBaseline(bins=8).fit(train),
    ):
        path = save_baseline(baseline, tmp_path / f"{baseline.kind}.npz")
        loaded = load_baseline(path)
        assert type(loaded) is type(baseline)
        np.testing.assert_array_equal(loaded.predict(x1, x2), baseline.predict(x1, x2))
        copy = type(baseline).from_dict(baseline.to_dict())
        np.testing.assert_array_equal(copy.predict(x1, x2), baseline.predict(x1, x2))


def test_bad_xrays_and_files(tmp_path) -> None:
    baseline = BackprojectionBaseline(bins=4).fit([blob_case(np.random.default_rng(3))])
    with pytest.raises(InputError):
        baseline.predict(np.full((8, 8), 200.0), np.zeros((8, 8)))  # float not divided by 255
    with pytest.raises(InputError):
        baseline.predict(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8))
    with pytest.raises(FileNotFoundError):
        load_baseline(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError):
        load_baseline(tmp_path / "junk.npz")
