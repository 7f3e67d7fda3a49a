"""The spectral sum from a table per spectrum against the exact sum (x2ct.drr.spectral_sum)."""

from __future__ import annotations

import pytest
import torch

import x2ct.drr.spectral_sum as spectral_sum
from x2ct.drr.spectra import tube_spectrum
from x2ct.drr.spectral_sum import (
    MAX_THICKNESS,
    tabulated_transmission,
    transmission_from_thickness,
)

TOLERANCE = 2e-4
"""On -ln(I / I0): a hundredth of one grey level of a processed 8-bit view (about 0.02)."""


def _thicknesses(n: int, seed: int) -> torch.Tensor:
    """(2, n, n) g/cm^2 over the whole table, with a share of near-air rays (the hardest)."""
    generator = torch.Generator().manual_seed(seed)
    u = torch.rand(2, n, n, generator=generator, dtype=torch.float64)
    thickness = u**2 * torch.tensor(MAX_THICKNESS, dtype=torch.float64)[:, None, None]
    thickness[:, : n // 10] *= 1e-3
    return thickness


@pytest.mark.parametrize("kvp", [60.0, 80.0, 90.0, 120.0])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_the_table_gives_the_exact_line_integral(kvp, dtype):
    spectrum = tube_spectrum(kvp)
    thickness = _thicknesses(96, seed=int(kvp))
    exact = -torch.log(transmission_from_thickness(thickness, spectrum))
    table = -torch.log(tabulated_transmission(thickness.to(dtype), spectrum)).double()
    assert table.dtype == torch.float64 and table.shape == exact.shape
    assert (table - exact).abs().max() < TOLERANCE
    assert exact.max() > 10  # the rays span the table, not only its easy corner


def test_a_coarser_table_misses_the_tolerance(monkeypatch):
    """The tolerance is tight enough to tell the table's size: a 64 x 64 grid fails it."""
    monkeypatch.setattr(spectral_sum, "NODES", spectral_sum.NODES // 4)
    monkeypatch.setattr(spectral_sum, "_TABLES", {})
    spectrum = tube_spectrum(80.0)
    thickness = _thicknesses(96, seed=80)
    exact = -torch.log(transmission_from_thickness(thickness, spectrum))
    table = -torch.log(tabulated_transmission(thickness, spectrum))
    assert (table - exact).abs().max() > TOLERANCE


def test_rays_beyond_the_table_take_the_exact_sum():
    spectrum = tube_spectrum(80.0)
    thickness = torch.tensor(
        [[[100.0, 10.0]], [[1.0, 40.0]]], dtype=torch.float64
    )  # (2, 1, 2): beyond in soft tissue, beyond in bone
    exact = transmission_from_thickness(thickness, spectrum)
    assert torch.allclose(tabulated_transmission(thickness, spectrum), exact, rtol=1e-12, atol=0)


def test_batches_keep_their_shape_and_a_rounding_below_zero_is_air():
    spectrum = tube_spectrum(90.0)
    thickness = _thicknesses(8, seed=1).reshape(2, 1, 8, 8).expand(2, 3, 8, 8).movedim(0, 1)
    batch = tabulated_transmission(thickness.contiguous(), spectrum)  # (3, 2, 8, 8) -> (3, 8, 8)
    assert batch.shape == (3, 8, 8) and torch.equal(batch[0], batch[2])
    air = tabulated_transmission(torch.full((2, 2, 2), -1e-7, dtype=torch.float64), spectrum)
    assert torch.allclose(air, torch.ones_like(air), atol=1e-12)
    with pytest.raises(ValueError, match="2, rows, cols"):
        tabulated_transmission(torch.zeros(3, 4, 4), spectrum)


def test_gradients_come_from_the_exact_sum_and_are_finite_in_air():
    spectrum = tube_spectrum(80.0)
    thickness = _thicknesses(6, seed=2)
    thickness[:, 0, 0] = 0.0  # a ray through air: sqrt(t) would have no derivative there
    thickness.requires_grad_(True)
    tabulated_transmission(thickness, spectrum).sum().backward()
    table_grad = thickness.grad.clone()
    thickness.grad = None
    transmission_from_thickness(thickness, spectrum).sum().backward()
    assert torch.isfinite(table_grad).all() and torch.equal(table_grad, thickness.grad)
