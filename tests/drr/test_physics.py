"""HU -> attenuation, Beer-Lambert and the fixed 8-bit window, against the NIST table and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from x2ct.drr import DRRConfig, hu_to_mu, mu_water, to_uint8, transmission, water_equivalent_mm
from x2ct.errors import InputError


def test_mu_water_matches_nist_grid_points_and_70_kev():
    # NIST XCOM water, cm^2/g (= 1/cm at 1 g/cm^3); x2ct works in 1/mm
    assert mu_water(60.0) == pytest.approx(0.02059, rel=1e-9)
    assert mu_water(80.0) == pytest.approx(0.01837, rel=1e-9)
    assert mu_water(70.0) == pytest.approx(0.01937, abs=5e-6)  # 0.1937 /cm, spine-anatomy.md §5
    # log-log interpolation, computed here by hand
    t = (math.log(70) - math.log(60)) / (math.log(80) - math.log(60))
    expected = math.exp(math.log(0.2059) + t * (math.log(0.1837) - math.log(0.2059))) / 10
    assert mu_water(70.0) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("energy", [10.0, 150.0, float("nan")])
def test_mu_water_rejects_energies_outside_the_table(energy):
    with pytest.raises(InputError, match="keV"):
        mu_water(energy)


def test_hu_to_mu_numpy_and_torch():
    hu = np.array([-2000.0, -1000.0, 0.0, 1000.0, 2500.0], dtype=np.float32)
    mw = mu_water(70.0)
    expected = np.array([0.0, 0.0, mw, 2 * mw, 3.5 * mw])
    got = hu_to_mu(hu)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    got_t = hu_to_mu(torch.from_numpy(hu).double(), energy_kev=70.0)
    assert got_t.dtype == torch.float64
    np.testing.assert_allclose(got_t.numpy(), expected, rtol=1e-12, atol=1e-15)
    # integer HU arrays become float32
    assert hu_to_mu(np.array([0, 1000], dtype=np.int16)).dtype == np.float32
    # another energy scales water
    assert hu_to_mu(np.array([0.0]), energy_kev=100.0)[0] == pytest.approx(0.01707)


def test_transmission_is_beer_lambert():
    p = np.array([0.0, 1.0, 5.0])
    np.testing.assert_allclose(transmission(p), [1.0, math.exp(-1), math.exp(-5)])
    np.testing.assert_allclose(transmission(torch.tensor(p)).numpy(), np.exp(-p))


def test_water_equivalent_path_is_energy_independent_for_water():
    # 200 mm of water at any energy is 200 mm water-equivalent
    for energy in (40.0, 70.0, 100.0):
        p = mu_water(energy) * 200.0
        assert water_equivalent_mm(p, energy) == pytest.approx(200.0)


def test_to_uint8_fixed_window():
    config = DRRConfig(window_water_mm=(100.0, 300.0), energy_kev=70.0)
    mw = mu_water(70.0)
    water = np.array([0.0, 100.0, 210.0, 300.0, 500.0])
    out = to_uint8(water * mw, config)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [0, 0, 140, 255, 255])  # 110 / 200 * 255 = 140.25
    out_t = to_uint8(torch.tensor(water * mw), config)
    assert out_t.dtype == torch.uint8
    np.testing.assert_array_equal(out_t.numpy(), out)
    # keywords override the config; more attenuation is brighter
    ramp = to_uint8(np.linspace(0, 0.01, 50), window_water_mm=(0.0, 0.5))
    assert np.all(np.diff(ramp.astype(int)) >= 0) and ramp[-1] > ramp[0]


def test_to_uint8_is_not_normalised_per_image():
    # two "patients": the thinner one must stay darker, not be stretched to the same maximum
    thin, thick = np.full((4, 4), 0.01 * 150), np.full((4, 4), 0.01 * 300)
    assert to_uint8(thin).max() < to_uint8(thick).max()


def test_to_uint8_rejects_a_bad_window():
    with pytest.raises(InputError, match="window"):
        to_uint8(np.zeros(3), window_water_mm=(10.0, 10.0))


def test_default_window_keeps_a_large_abdomen_in_range():
    # lateral path of a 400-mm wide abdomen (0.95 water-equivalent) plus 40 mm of extra bone path
    lo, hi = DRRConfig().window_water_mm
    assert lo <= 0.0 and hi >= 0.95 * 400 + 40
