"""Tungsten-anode X-ray tube spectra for polyenergetic DRRs, tabulated from ``xpecgen``.

The table (``data/tungsten_spectra.npz``) holds, for tube voltages 60-120 kVp every 5 kV, the
photon fluence at the detector per keV bin and per microgray of air kerma there, on 1 keV bins
from 10 keV up. Each spectrum is xpecgen's model of a tungsten anode (Hernandez & Boone 2014's
semi-empirical bremsstrahlung plus characteristic lines) at a 12 degree anode angle, hardened
by the aluminium filtration that gives the half-value layer of the IEC 61267 RQR beam quality
of that voltage (RQR 4-9: 2.19, 2.58, 3.01, 3.48, 3.97, 5.00 mm Al at 60, 70, 80, 90, 100,
120 kV; voltages in between get a linearly interpolated HVL). Air kerma per fluence is
xpecgen's fluence-to-dose table, whose values are in mGy cm^2 (its docstring says Gy cm^2, but
2.8e-10 at 60 keV equals E (mu_en/rho)_air = 60 keV x 0.0304 cm^2/g (NIST) = 2.9e-13 Gy cm^2;
tests/drr/test_spectra.py checks this). ``python -m x2ct.drr.spectra`` rewrites the table (about two
minutes; needs xpecgen); x2ct only reads it, so rendering needs neither xpecgen nor a download.

Units: keV, mm of Al, photons / mm^2 / keV-bin / uGy.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from x2ct.errors import InputError

TABLE = Path(__file__).resolve().parent / "data" / "tungsten_spectra.npz"
ANODE_ANGLE_DEG = 12.0
"""Anode angle of general radiography tubes (and xpecgen's default)."""
RQR_HVL_MM_AL = {60: 2.19, 70: 2.58, 80: 3.01, 90: 3.48, 100: 3.97, 120: 5.00}
"""First half-value layer of IEC 61267 beam qualities RQR 4-9 (mm Al, air kerma)."""
TABULATED_KVP = tuple(range(60, 121, 5))
LOWEST_KEV = 10.0
"""Lowest tabulated energy: 3 mm Al pass less than 1e-9 of the photons below it."""


@dataclass(frozen=True)
class Spectrum:
    """One tube spectrum: photon fluence per keV bin at the detector per uGy of air kerma.

    ``energies_kev`` (E,) are bin centres 1 keV apart; ``fluence_per_ugy`` (E,) is in photons /
    mm^2 per bin per uGy; ``filtration_mm_al`` and ``hvl_mm_al`` describe the beam.
    """

    kvp: float
    energies_kev: np.ndarray
    fluence_per_ugy: np.ndarray
    filtration_mm_al: float
    hvl_mm_al: float

    def photon_weights(self) -> np.ndarray:
        """(E,) fraction of the photons in each bin (sums to 1)."""
        return self.fluence_per_ugy / self.fluence_per_ugy.sum()

    def mean_energy_kev(self) -> float:
        """Fluence-weighted mean photon energy."""
        return float((self.photon_weights() * self.energies_kev).sum())


@lru_cache(maxsize=1)
def _table() -> dict[str, np.ndarray]:
    with np.load(TABLE) as data:
        return {key: data[key] for key in data.files}


def tube_spectrum(kvp: float) -> Spectrum:
    """The spectrum at ``kvp`` (60-120): tabulated, or interpolated linearly between the two
    nearest tabulated voltages with no photon above ``kvp``, renormalised to 1 uGy."""
    table = _table()
    voltages = table["kvp"]
    if not (voltages[0] <= kvp <= voltages[-1]):
        raise InputError(
            "kvp", f"a tube voltage in [{voltages[0]:g}, {voltages[-1]:g}] kVp", repr(kvp)
        )
    energies = table["energies_kev"]
    upper = int(np.searchsorted(voltages, kvp))
    lower = max(upper - 1, 0)
    if voltages[upper] == kvp:
        lower = upper
    span = float(voltages[upper] - voltages[lower]) or 1.0
    t = (kvp - voltages[lower]) / span
    fluence = (1 - t) * table["fluence_per_ugy"][lower] + t * table["fluence_per_ugy"][upper]
    fluence = np.where(energies <= kvp, fluence, 0.0)
    kerma = (fluence * table["kerma_per_fluence_ugy"]).sum()
    fluence = fluence / kerma
    filtration = (1 - t) * table["filtration_mm_al"][lower] + t * table["filtration_mm_al"][upper]
    hvl = (1 - t) * table["hvl_mm_al"][lower] + t * table["hvl_mm_al"][upper]
    return Spectrum(float(kvp), energies.copy(), fluence, float(filtration), float(hvl))


def rqr_hvl(kvp: float) -> float:
    """HVL (mm Al) of the RQR quality at ``kvp``, linear between the tabulated voltages."""
    voltages = sorted(RQR_HVL_MM_AL)
    return float(np.interp(kvp, voltages, [RQR_HVL_MM_AL[v] for v in voltages]))


def compute_spectrum(kvp: float) -> dict[str, float | np.ndarray]:
    """One table row with xpecgen: the filtered spectrum whose air-kerma HVL is ``rqr_hvl``.

    Returns energies (keV, 1 keV bins from LOWEST_KEV to kvp), photons per bin (arbitrary
    scale), the Al filtration (mm) and the HVL reached (mm).
    """
    from scipy.optimize import brentq
    from xpecgen import xpecgen as xg

    count = round(kvp - LOWEST_KEV) + 1
    raw = xg.calculate_spectrum(kvp, ANODE_ANGLE_DEG, LOWEST_KEV, count, epsrel=0.5, monitor=None)
    mu_al = xg.get_mu(13)
    to_dose = xg.get_fluence_to_dose()
    target_cm = rqr_hvl(kvp) / 10.0

    def hvl_error(filter_cm: float) -> float:
        beam = raw.clone()
        beam.attenuate(filter_cm, mu_al)
        return beam.hvl(0.5, to_dose, mu_al) - target_cm

    filter_cm = brentq(hvl_error, 0.0, 2.0, xtol=1e-6)
    beam = raw.clone()
    beam.attenuate(filter_cm, mu_al)
    energies = np.asarray(beam.x, dtype=float)
    photons = np.asarray(beam.y, dtype=float) * 1.0  # density per keV x 1 keV bins
    for energy, number, _width in beam.discrete:
        photons[int(np.argmin(np.abs(energies - energy)))] += number
    return {
        "energies_kev": energies,
        "photons": np.clip(photons, 0.0, None),
        "filtration_mm_al": filter_cm * 10.0,
        "hvl_mm_al": (hvl_error(filter_cm) + target_cm) * 10.0,
    }


def write_table(path: Path = TABLE) -> Path:
    """Compute every tabulated spectrum with xpecgen and write the table (atomically)."""
    from xpecgen import xpecgen as xg

    from x2ct.atomic import atomic_path

    energies = np.arange(LOWEST_KEV, max(TABULATED_KVP) + 1.0, 1.0)
    kerma_mgy_cm2 = np.asarray(xg.get_fluence_to_dose()(energies), dtype=float)
    # A fluence of 1 photon / mm^2 is 100 photons / cm^2, and 1 mGy is 1000 uGy.
    kerma_per_fluence_ugy = kerma_mgy_cm2 * 1e3 * 100.0
    rows, filtration, hvl = [], [], []
    for kvp in TABULATED_KVP:
        row = compute_spectrum(kvp)
        photons = np.zeros_like(energies)
        photons[: len(row["photons"])] = row["photons"]
        photons /= (photons * kerma_per_fluence_ugy).sum()  # per uGy of air kerma
        rows.append(photons)
        filtration.append(row["filtration_mm_al"])
        hvl.append(row["hvl_mm_al"])
        print(f"{kvp} kVp: {row['filtration_mm_al']:.2f} mm Al, HVL {row['hvl_mm_al']:.2f} mm")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            kvp=np.asarray(TABULATED_KVP, dtype=float),
            energies_kev=energies,
            fluence_per_ugy=np.stack(rows),
            kerma_per_fluence_ugy=kerma_per_fluence_ugy,
            filtration_mm_al=np.asarray(filtration),
            hvl_mm_al=np.asarray(hvl),
        )
    return path


if __name__ == "__main__":
    print(f"wrote {write_table(Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE)}")
