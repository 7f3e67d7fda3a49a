"""Small phantoms shared by the phantom tests."""

from __future__ import annotations

import pytest
from phantom_cases import SMALL

from x2ct.phantoms import PhantomConfig, generate_phantom


@pytest.fixture(scope="session")
def small_config() -> PhantomConfig:
    return SMALL


@pytest.fixture(scope="session")
def small_phantoms():
    """Eight small phantoms of varied cases, with their tissue maps."""
    return [generate_phantom(seed, SMALL, tissue_map=True) for seed in range(8)]
