"""Configurations shared by the phantom tests."""

from __future__ import annotations

from x2ct.phantoms import PhantomConfig

SMALL = PhantomConfig(matrix=128, inplane_spacing_mm=(1.2, 1.4), slice_spacing_mm=(1.5, 2.0))
"""A small (128 x 128 in plane, coarse voxels: fast) but anatomically complete configuration."""
