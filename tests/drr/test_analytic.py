"""Analytic checks: a uniform cube and a sphere give mu x chord length; magnification = SDD / SAD."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.drr import ConeBeam, ParallelBeam, detector_for, render

MU = 0.02  # 1/mm, about water


def _grid_mm(shape, spacing):
    """Voxel-centre coordinates (D, H, W) in mm relative to the grid centre."""
    return np.meshgrid(
        *[(np.arange(n) - (n - 1) / 2.0) * s for n, s in zip(shape, spacing, strict=True)],
        indexing="ij",
    )


def _pixels_mm(geometry, view, shape, spacing):
    det = detector_for(geometry, view, shape, spacing)
    rows, cols = det.centres_mm()
    return np.asarray(rows), np.asarray(cols)


# ----------------------------------------------------------------------------- uniform cube
SHAPE, SPACING = (24, 30, 28), (1.5, 1.0, 1.25)
BOX = (slice(4, 20), slice(5, 25), slice(6, 22))  # 24 x 20 x 20 mm, off-centre in D and W


def _cube_volume():
    volume = np.zeros(SHAPE)
    volume[BOX] = MU
    return volume


def _box_mm(axis):
    sl, n, s = BOX[axis], SHAPE[axis], SPACING[axis]
    return (sl.start - 0.5 - (n - 1) / 2.0) * s, (sl.stop - 0.5 - (n - 1) / 2.0) * s


@pytest.mark.parametrize("view,ray,col", [("frontal", 1, 2), ("lateral", 2, 1)])
@pytest.mark.parametrize("cone", [True, False])
def test_uniform_cube_gives_mu_times_chord(view, ray, col, cone):
    geometry = (
        ConeBeam(sad_mm=200.0, sdd_mm=300.0, detector_pixels=(41, 43), detector_spacing_mm=1.1)
        if cone
        else ParallelBeam(detector_pixels=(41, 43), detector_spacing_mm=0.9)
    )
    image = render(_cube_volume(), geometry, views=view, spacing_mm=SPACING, units="mu")[0]
    u, v = _pixels_mm(geometry, view, SHAPE, SPACING)
    front, back = _box_mm(ray)
    side = back - front
    checked = 0
    for i, ui in enumerate(u):
        for j, vj in enumerate(v):
            if cone:
                # transverse position of the ray at the front and back faces of the cube
                scale = (np.array([front, back]) + 200.0) / 300.0
                cos = 300.0 / np.sqrt(300.0**2 + ui**2 + vj**2)
            else:
                scale, cos = np.ones(2), 1.0
            d_pos, c_pos = scale * ui, scale * vj
            lo_d, hi_d = _box_mm(0)
            lo_c, hi_c = _box_mm(col)
            # well inside the cube's side faces (one voxel of margin for the interpolation)
            if (
                d_pos.min() > lo_d + SPACING[0]
                and d_pos.max() < hi_d - SPACING[0]
                and c_pos.min() > lo_c + SPACING[col]
                and c_pos.max() < hi_c - SPACING[col]
            ):
                assert image[i, j] == pytest.approx(MU * side / cos, rel=1e-5)
                checked += 1
    assert checked > 50
    # the central ray (odd detector, isocentre at the grid centre) meets the cube head-on
    assert image[20, 21] == pytest.approx(MU * side, rel=1e-5)


# ----------------------------------------------------------------------------- sphere
SPHERE_SHAPE, SPHERE_SPACING = (40, 44, 42), (1.0, 0.8, 0.9)
CENTRE, RADIUS = np.array([2.0, -3.0, 1.5]), 11.0


def _sphere_volume(supersample=4):
    """Partial-volume sphere: each voxel holds MU x the fraction of it inside the sphere."""
    volume = np.zeros(SPHERE_SHAPE)
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    grid = _grid_mm(SPHERE_SHAPE, SPHERE_SPACING)
    for od in offsets:
        for oh in offsets:
            for ow in offsets:
                pos = [
                    g + o * s for g, o, s in zip(grid, (od, oh, ow), SPHERE_SPACING, strict=True)
                ]
                inside = sum((p - c) ** 2 for p, c in zip(pos, CENTRE, strict=True)) <= RADIUS**2
                volume += inside
    return MU * volume / supersample**3


@pytest.fixture(scope="module")
def sphere():
    return _sphere_volume()


@pytest.mark.parametrize("view,ray,col", [("frontal", 1, 2), ("lateral", 2, 1)])
@pytest.mark.parametrize("cone", [True, False])
def test_sphere_gives_mu_times_chord(sphere, view, ray, col, cone):
    sad, sdd = 250.0, 400.0
    geometry = (
        ConeBeam(sad_mm=sad, sdd_mm=sdd, detector_pixels=(31, 33), detector_spacing_mm=1.3)
        if cone
        else ParallelBeam(detector_pixels=(31, 33), detector_spacing_mm=0.85)
    )
    image = render(sphere, geometry, views=view, spacing_mm=SPHERE_SPACING, units="mu")[0]
    u, v = _pixels_mm(geometry, view, SPHERE_SHAPE, SPHERE_SPACING)
    errors = []
    for i, ui in enumerate(u):
        for j, vj in enumerate(v):
            # the ray as a point and a unit direction, in (D, H, W) mm about the grid centre
            start = np.zeros(3)
            direction = np.zeros(3)
            direction[ray] = 1.0
            if cone:
                start[ray] = -sad
                direction[0], direction[col] = ui / sdd, vj / sdd
            else:
                start[0], start[col] = ui, vj
            direction /= np.linalg.norm(direction)
            rel = CENTRE - start
            distance = np.linalg.norm(rel - rel.dot(direction) * direction)
            if distance < 0.7 * RADIUS:
                chord = 2.0 * np.sqrt(RADIUS**2 - distance**2)
                errors.append(image[i, j] / (MU * chord) - 1.0)
    errors = np.asarray(errors)
    assert len(errors) > 40  # centre and off-centre chords
    # voxelisation and interpolation blur the surface by about a voxel: ~1 % of a chord
    assert np.abs(errors).max() < 0.015
    assert abs(errors.mean()) < 0.005


# ----------------------------------------------------------------------------- magnification
@pytest.mark.parametrize("view,ray,col", [("frontal", 1, 2), ("lateral", 2, 1)])
@pytest.mark.parametrize("depth", [-20.0, 0.0, 20.0])
def test_magnification_is_sdd_over_source_distance(view, ray, col, depth):
    sad, sdd = 500.0, 800.0
    shape, spacing = (48, 72, 70), (1.0, 1.0, 1.0)  # the blob stays well inside
    offset = np.zeros(3)
    offset[0], offset[col], offset[ray] = 9.0, -12.0, depth  # mm from the isocentre
    grid = _grid_mm(shape, spacing)
    r2 = sum((g - o) ** 2 for g, o in zip(grid, offset, strict=True))
    blob = np.exp(-r2 / (2 * 2.0**2))  # smooth, so sampling does not bias its centroid
    geometry = ConeBeam(sad_mm=sad, sdd_mm=sdd, detector_pixels=(121, 125), detector_spacing_mm=0.6)
    image = render(blob, geometry, views=view, spacing_mm=spacing, units="mu")[0]
    u, v = _pixels_mm(geometry, view, shape, spacing)
    total = image.sum()
    row_centroid = (image.sum(1) * u).sum() / total
    col_centroid = (image.sum(0) * v).sum() / total
    magnification = sdd / (sad + depth)
    assert row_centroid == pytest.approx(9.0 * magnification, abs=0.02)
    assert col_centroid == pytest.approx(-12.0 * magnification, abs=0.02)
    if depth == 0.0:
        assert magnification == pytest.approx(geometry.magnification)


def test_parallel_beam_has_no_magnification():
    shape = (30, 30, 30)
    grid = _grid_mm(shape, (1.0, 1.0, 1.0))
    blob = np.exp(-((grid[0] - 6.0) ** 2 + grid[1] ** 2 + (grid[2] + 4.0) ** 2) / 8.0)
    geometry = ParallelBeam(detector_pixels=(61, 61), detector_spacing_mm=0.5)
    image = render(blob, geometry, views="frontal", units="mu")[0]
    u, v = _pixels_mm(geometry, "frontal", shape, (1.0, 1.0, 1.0))
    assert (image.sum(1) * u).sum() / image.sum() == pytest.approx(6.0, abs=0.02)
    assert (image.sum(0) * v).sum() / image.sum() == pytest.approx(-4.0, abs=0.02)
