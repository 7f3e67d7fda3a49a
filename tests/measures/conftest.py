"""Small phantoms with known truth for the measure tests (session-scoped: built once)."""

from __future__ import annotations

import pytest

from x2ct.phantoms import PhantomConfig, generate_phantom

BASE = dict(
    matrix=128,
    inplane_spacing_mm=(1.2, 1.4),
    slice_spacing_mm=(1.5, 2.0),
    organs=False,
    ribs=False,
    osteoporosis_probability=0.0,
)


@pytest.fixture(scope="session")
def normal_phantom():
    config = PhantomConfig(**BASE, fracture_probability=0.0, scoliosis_probability=0.0)
    return generate_phantom(3, config)


@pytest.fixture(scope="session")
def scoliosis_phantom():
    config = PhantomConfig(**BASE, cobb_deg=25.0, levels=(7, 7), fracture_probability=0.0)
    return generate_phantom(1, config)
