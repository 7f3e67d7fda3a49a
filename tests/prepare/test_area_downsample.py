"""Block averaging of a CT before resampling or rendering (x2ct.prepare.resample.area_downsample)."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.prepare.resample import area_downsample


def _reference(array: np.ndarray, factors: tuple[int, int, int]) -> np.ndarray:
    """The block means in float64, written as a reshape (trailing voxels dropped)."""
    n = [s // f for s, f in zip(array.shape, factors, strict=True)]
    cut = array[: n[0] * factors[0], : n[1] * factors[1], : n[2] * factors[2]].astype(np.float64)
    blocks = cut.reshape(n[0], factors[0], n[1], factors[1], n[2], factors[2])
    return blocks.mean(axis=(1, 3, 5))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("factors", [(1, 2, 2), (3, 1, 4), (2, 3, 1), (4, 4, 4), (1, 1, 3)])
def test_block_means_of_every_axis_and_remainder(factors, order):
    rng = np.random.default_rng(3)
    array = np.asarray(rng.uniform(-1024, 3000, size=(13, 18, 23)), np.float32, order=order)
    before = array.copy()
    pooled, scale, offset = area_downsample(array, np.array(factors))
    expected = _reference(array, factors)
    assert pooled.dtype == np.float32 and pooled.shape == expected.shape
    assert pooled.flags["C_CONTIGUOUS"]  # as the renderer and torch.from_numpy take it best
    # float32 sums of sum(factors) terms per block, each step rounding once
    tolerance = sum(factors) * np.finfo(np.float32).eps * np.abs(array).max()
    assert np.abs(pooled.astype(np.float64) - expected).max() <= tolerance
    assert np.array_equal(array, before)  # the input is never written
    assert np.array_equal(scale, factors)
    assert np.array_equal(offset, (np.array(factors) - 1) / 2.0)


def test_integer_ct_is_averaged_in_float():
    array = np.arange(4 * 4 * 4, dtype=np.int16).reshape(4, 4, 4)
    pooled, _, _ = area_downsample(array, np.array([2, 2, 2]))
    assert pooled.dtype == np.float32
    assert np.array_equal(pooled, _reference(array, (2, 2, 2)))  # exact: halves of integers


def test_no_pooling_returns_the_input():
    array = np.zeros((3, 4, 5), dtype=np.float32)
    pooled, scale, offset = area_downsample(array, np.array([1, 1, 1]))
    assert pooled is array and np.all(scale == 1) and np.all(offset == 0)


@pytest.mark.parametrize("threads", [2, 3, 50])
def test_slabs_on_threads_give_the_same_blocks(threads):
    """Each thread sums whole blocks of its own slab along D: bit for bit one thread's result."""
    rng = np.random.default_rng(4)
    array = rng.uniform(-1024, 3000, size=(23, 10, 12)).astype(np.float32)
    factors = np.array([2, 2, 3])
    alone, _, _ = area_downsample(array, factors, threads=1)
    shared, _, _ = area_downsample(array, factors, threads=threads)
    assert shared.shape == (11, 5, 4) and np.array_equal(shared, alone)


@pytest.mark.parametrize("factors", [(5, 1, 1), (1, 0, 1), (2, 2, -1)])
def test_factors_that_do_not_fit_are_refused(factors):
    with pytest.raises(ValueError, match="do not fit"):
        area_downsample(np.zeros((4, 6, 6), np.float32), np.array(factors))
