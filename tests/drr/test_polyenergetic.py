"""Polyenergetic DRR physics against reference values and analytic results.

Materials against NIST's tabulated ICRU-44 attenuation, spectra against their beam qualities
and the air-kerma formula, the projected mass thickness of a uniform slab against density x
path, the spectral transmission against a direct sum, beam hardening, and the detector steps.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from x2ct.config.drr import DRRConfig
from x2ct.drr import ParallelBeam
from x2ct.drr.detector import add_scatter, gaussian_blur, photons_per_pixel, quantum_noise
from x2ct.drr.materials import (
    AIR,
    BONE,
    MATERIALS,
    SOFT_TISSUE,
    bone_fraction,
    hu_to_density,
    mass_attenuation,
    material_fractions,
)
from x2ct.drr.polyenergetic import (
    density_volumes,
    effective_line_integrals,
    material_thickness,
    material_thickness_exact,
)
from x2ct.drr.spectra import RQR_HVL_MM_AL, TABULATED_KVP, tube_spectrum
from x2ct.drr.spectral_sum import transmission_from_thickness
from x2ct.errors import InputError

# NISTIR 5632 (X-ray mass attenuation coefficients), cm^2/g, as quoted in
# shared/reference/spine-anatomy.md section 5.
NIST_BONE = {40: 0.6655, 60: 0.3148, 80: 0.2229, 100: 0.1855}
NIST_SOFT = {40: 0.2688, 60: 0.2048, 80: 0.1823, 100: 0.1693}
NIST_WATER_AIR_KERMA_60KEV = 0.03041  # (mu_en/rho) of air at 60 keV, cm^2/g (NIST)


@pytest.mark.parametrize(("material", "table"), [(BONE, NIST_BONE), (SOFT_TISSUE, NIST_SOFT)])
def test_mixture_rule_reproduces_nist_icru44_tables(material, table):
    energies = sorted(table)
    values = mass_attenuation(material, energies)
    for energy, value in zip(energies, values, strict=True):
        assert value == pytest.approx(table[energy], rel=2e-3), energy


def test_material_fractions_are_a_smooth_partition_of_unity():
    hu = np.linspace(-1200, 2000, 3201)
    air, soft, bone = material_fractions(hu)
    assert np.allclose(air + soft + bone, 1.0)
    assert min(air.min(), soft.min(), bone.min()) >= 0.0
    at = {value: i for i, value in enumerate(hu)}
    assert bone[at[350.0]] == pytest.approx(0.5) and bone[at[400.0]] == 1.0
    assert bone[at[300.0]] == 0.0 and air[at[-800.0]] == pytest.approx(0.5)
    assert np.abs(np.diff(bone)).max() <= 1.0 / 100.0 + 1e-12  # no jump: 1 HU steps


def test_density_fit_is_deepdrrs_two_lines():
    hu = np.array([-1000.0, -500.0, 0.0, 1000.0])
    expected = [max(0.001029 * h + 1.03, 0) if h < 0 else 0.0005886 * h + 1.03 for h in hu]
    assert np.allclose(hu_to_density(hu), expected)
    tensor = hu_to_density(torch.tensor(hu))
    assert isinstance(tensor, torch.Tensor) and np.allclose(tensor.numpy(), expected)


def test_density_channels_written_in_place_equal_the_formulas():
    # float64, HU across every kink: air, the sign change, both ends of the bone ramp
    hu = torch.linspace(-1100.0, 1600.0, 5401, dtype=torch.float64).reshape(1, 1, 1, 1, -1)
    hu = torch.cat([hu, hu.flip(-1)])  # two cases: the batch axis is kept apart
    density = hu_to_density(hu)
    expected = torch.cat([density, bone_fraction(hu) * density], dim=1)
    # the same ramp with its operations reordered: equal to float64 rounding (values ~ 1 g/cm^3)
    torch.testing.assert_close(density_volumes(hu), expected, rtol=0, atol=1e-13)
    # the autograd path (a new tensor per step) gives the same values
    with_grad = density_volumes(hu.clone().requires_grad_(True))
    assert with_grad.requires_grad and torch.equal(with_grad.detach(), expected)


@pytest.mark.parametrize("kvp", [60, 80, 100, 120])
def test_tabulated_spectra_have_the_rqr_half_value_layer(kvp):
    """HVL recomputed from the table (air kerma behind Al) equals the IEC 61267 value."""
    spectrum = tube_spectrum(kvp)
    al = mass_attenuation_al(spectrum.energies_kev)
    from x2ct.drr.spectra import _table

    kerma = _table()["kerma_per_fluence_ugy"]

    def transmitted(mm):
        return float((spectrum.fluence_per_ugy * kerma * np.exp(-al * mm / 10.0)).sum())

    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if transmitted(mid) > 0.5 else (lo, mid)
    assert lo == pytest.approx(RQR_HVL_MM_AL[kvp], rel=0.03)
    assert transmitted(0.0) == pytest.approx(1.0, rel=1e-9)  # normalised to 1 uGy
    assert spectrum.fluence_per_ugy[spectrum.energies_kev > kvp].sum() == 0.0


def mass_attenuation_al(energies):
    """Linear attenuation of aluminium (2.699 g/cm^3) in 1/cm, Elam tables."""
    import xraydb

    return np.asarray(xraydb.mu_elam("Al", np.asarray(energies) * 1000.0)) * 2.699


def test_air_kerma_per_fluence_is_energy_times_mass_energy_absorption():
    """60 keV photons: K / fluence = E (mu_en/rho)_air (NIST), in uGy mm^2."""
    from x2ct.drr.spectra import _table

    table = _table()
    k60 = float(table["kerma_per_fluence_ugy"][list(table["energies_kev"]).index(60.0)])
    joules = 60e3 * 1.602176634e-19
    # Gy cm^2 per photon = J x cm^2/g x 1000 g/kg; 1 photon/mm^2 = 100 photons/cm^2; Gy -> uGy
    expected = joules * NIST_WATER_AIR_KERMA_60KEV * 1000.0 * 100.0 * 1e6
    assert k60 == pytest.approx(expected, rel=0.06)


def test_interpolated_spectrum_stops_at_its_voltage_and_hardens_with_it():
    assert min(TABULATED_KVP) == 60 and max(TABULATED_KVP) == 120
    mid = tube_spectrum(82.5)
    assert mid.fluence_per_ugy[mid.energies_kev > 82.5].sum() == 0.0
    means = [tube_spectrum(k).mean_energy_kev() for k in (60, 70, 82.5, 90, 120)]
    assert means == sorted(means)
    with pytest.raises(InputError, match="kvp"):
        tube_spectrum(150)


def test_uniform_slab_thickness_is_density_times_path():
    """A 100 mm slab of 0 HU (1.03 g/cm^3) and one of 1000 HU, parallel beam, float64."""
    for hu, soft, bone in ((0.0, 1.03, 0.0), (1000.0, 0.0, 0.0005886 * 1000 + 1.03)):
        volume = torch.full((1, 1, 8, 20, 20), hu, dtype=torch.float64)
        thickness = material_thickness(volume, ParallelBeam(), spacing_mm=(5.0, 5.0, 5.0))
        assert thickness.shape == (1, 2, 2, 8, 20)
        centre = thickness[0, :, :, 4, 10]  # (views, materials) g/cm^2
        expected = torch.tensor([soft * 10.0, bone * 10.0], dtype=torch.float64)
        assert torch.allclose(centre, expected.expand(2, 2), rtol=1e-9)


def test_two_projections_match_the_three_material_reference():
    """Air counted as soft tissue: -ln(I / I0) of a body changes by under 1e-4 where the rays
    cross no gas, and by under 0.3 % of its value through 12 mm of lung-density gas."""
    generator = torch.Generator().manual_seed(0)
    body = torch.full((1, 1, 16, 32, 32), -1000.0)
    body[..., 4:28, 4:28] = 40.0 + 30.0 * torch.randn(1, 1, 16, 24, 24, generator=generator)
    body[..., 12:20, 12:20] = 900.0  # a bone column
    body[..., 6:9, 6:9] = -900.0  # gas
    spectrum = tube_spectrum(80)
    fast = transmission_from_thickness(
        material_thickness(body, ParallelBeam(), spacing_mm=(4.0, 4.0, 4.0))[:, 0], spectrum
    )
    exact = transmission_from_thickness(
        material_thickness_exact(body, ParallelBeam(), spacing_mm=(4.0, 4.0, 4.0))[:, 0],
        spectrum,
        MATERIALS,
    )
    difference = (torch.log(fast) - torch.log(exact)).abs()[0]  # (rows, cols)
    q = -torch.log(exact)[0]
    no_gas = torch.ones_like(q, dtype=torch.bool)
    no_gas[:, 6:9] = False  # frontal columns whose rays cross the gas
    inside = q > 0.1
    assert float(difference[inside & no_gas].max()) < 1e-4
    assert float((difference / q)[inside].max()) < 3e-3
    assert AIR in MATERIALS


def test_spectral_sum_and_beam_hardening_in_float64():
    """I / I0 equals the direct energy sum; -ln(I / I0) per cm falls as the water path grows."""
    spectrum = tube_spectrum(80)
    keep = spectrum.fluence_per_ugy > 0
    energies = spectrum.energies_kev[keep]
    weights = spectrum.fluence_per_ugy[keep] * energies
    mu_soft = mass_attenuation(SOFT_TISSUE, energies)
    thickness = torch.zeros(4, 2, 1, 1, dtype=torch.float64)
    thickness[:, 0, 0, 0] = torch.tensor([1.0, 5.0, 10.0, 20.0])  # g/cm^2 of soft tissue
    signal = transmission_from_thickness(thickness, spectrum)[:, 0, 0]
    for t, value in zip((1.0, 5.0, 10.0, 20.0), signal.tolist(), strict=True):
        direct = float((weights * np.exp(-mu_soft * t)).sum() / weights.sum())
        assert value == pytest.approx(direct, rel=1e-12)
    per_gram = (-torch.log(signal) / thickness[:, 0, 0, 0]).tolist()
    assert per_gram == sorted(per_gram, reverse=True)  # the beam hardens


def test_bone_contrast_rises_as_the_voltage_falls():
    """2 cm of bone behind 15 cm of tissue: its extra -ln(I / I0) is larger at 70 than at 110 kVp."""
    thickness = torch.tensor([[[[15.0 * 1.03]], [[0.0]]], [[[15.0 * 1.03]], [[2.0 * 1.62]]]])
    contrast = []
    for kvp in (70, 110):
        signal = transmission_from_thickness(thickness.double(), tube_spectrum(kvp))
        q = -torch.log(signal)
        contrast.append(float(q[1] - q[0]))
    assert contrast[0] > 1.2 * contrast[1]


def test_effective_line_integrals_take_one_kvp_per_view():
    volume = np.zeros((8, 16, 16), np.float32)
    lines = effective_line_integrals(volume, ParallelBeam(), spacing_mm=(4.0,) * 3, kvp=(70, 90))
    assert lines.shape == (2, 8, 16)
    assert float(lines[0].mean()) > float(lines[1].mean())  # softer beam, more attenuation
    with pytest.raises(ValueError, match="one kVp per view"):
        effective_line_integrals(volume, ParallelBeam(), spacing_mm=(4.0,) * 3, kvp=(70,))


def test_quantum_noise_has_poisson_variance():
    signal = torch.full((200, 200), 0.25, dtype=torch.float64)
    photons = photons_per_pixel(tube_spectrum(80), kerma_ugy=2.5, pixel_mm=0.2)
    noisy = quantum_noise(signal, photons=photons, generator=torch.Generator().manual_seed(1))
    assert float(noisy.mean()) == pytest.approx(0.25, rel=2e-3)
    expected_std = (0.25 / photons) ** 0.5
    assert float(noisy.std()) == pytest.approx(expected_std, rel=0.03)
    again = quantum_noise(signal, photons=photons, generator=torch.Generator().manual_seed(1))
    assert torch.equal(noisy, again)


def test_blur_keeps_the_mean_and_scatter_meets_its_ratio():
    image = torch.zeros(64, 64, dtype=torch.float64)
    image[20:44, 20:44] = 1.0
    blurred = gaussian_blur(image, 2.0)
    assert float(blurred.sum()) == pytest.approx(float(image.sum()), rel=1e-9)
    primary = torch.ones(64, 64, dtype=torch.float64)
    primary[16:48, 16:48] = 0.05
    total = add_scatter(primary, spr=0.5, pixel_mm=2.0, kernel_mm=20.0)
    scatter = total - primary
    assert float(scatter[32, 32] / primary[32, 32]) == pytest.approx(0.5, rel=0.05)
    assert float(scatter.min()) >= 0.0
    assert torch.equal(add_scatter(primary, spr=0.0, pixel_mm=2.0), primary)


def test_config_refuses_settings_that_cannot_render():
    with pytest.raises(InputError, match=r"drr\.kvp"):
        DRRConfig(kvp=(50.0, 90.0))
    with pytest.raises(InputError, match=r"drr\.detector_kerma_ugy"):
        DRRConfig(detector_kerma_ugy=0.0)
    with pytest.raises(InputError, match=r"drr\.display_percentiles"):
        DRRConfig(display_percentiles=(90.0, 10.0))
