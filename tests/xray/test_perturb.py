"""Radiograph perturbations: range, identity at strength 0, what each one changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from x2ct.xray.perturb import (
    KINDS,
    _affine,
    move_volume,
    perturb,
    random_perturbations,
    random_perturbations_with_geometry,
    view_geometry,
)


def phantom_view(size: int = 64) -> torch.Tensor:
    """A dark body with a bright column (the spine) and a soft gradient, values in [0.1, 0.9]."""
    cols = torch.linspace(0.0, 1.0, size)
    image = 0.3 + 0.2 * cols[None, :].expand(size, size).clone()
    image[:, size // 2 - 4 : size // 2 + 4] = 0.9
    image[:4] = 0.1
    return image.double()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_strength_zero_is_identity_and_range_is_kept(kind):
    image = phantom_view()
    same = perturb(image, kind, 0.0, np.random.default_rng(0))
    assert torch.allclose(same, image, atol=1e-6), kind
    changed = perturb(image, kind, 1.0, np.random.default_rng(0))
    assert changed.shape == image.shape and changed.dtype == image.dtype
    assert float(changed.min()) >= 0.0 and float(changed.max()) <= 1.0
    assert not torch.allclose(changed, image, atol=1e-3), kind


def test_each_perturbation_changes_what_it_names():
    image, rng = phantom_view(), np.random.default_rng(1)
    noisy = perturb(image, "noise", 1.0, rng)
    assert float((noisy - image)[8:, :20].std()) == pytest.approx(0.04, rel=0.15)
    blurred = perturb(image, "blur", 1.0, rng)
    edge = image.shape[1] // 2 - 4
    assert float(blurred[20, edge]) < float(image[20, edge])  # the spine's edge softens
    sharpened = perturb(image, "sharpen", 1.0, rng)
    assert float(sharpened[20, edge - 1]) < float(image[20, edge - 1])  # undershoot beside it
    bordered = perturb(image, "collimation", 1.0, np.random.default_rng(3))
    assert float((bordered != image).double().mean()) >= 0.05
    rotated = perturb(image, "rotation", 1.0, rng)
    column = rotated[:, image.shape[1] // 2 - 6 : image.shape[1] // 2 + 6]
    assert float(column[10].argmax()) != float(column[-10].argmax())  # the column tilts


def test_unknown_kind_and_bad_strength_are_refused():
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb(phantom_view(), "vignette", 0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="strength"):
        perturb(phantom_view(), "noise", 1.5, np.random.default_rng(0))


def test_random_perturbations_are_reproducible_from_the_generator():
    image = phantom_view()
    a = random_perturbations(image, 0.5, np.random.default_rng(7))
    b = random_perturbations(image, 0.5, np.random.default_rng(7))
    assert torch.equal(a, b)
    assert torch.equal(random_perturbations(image, 0.0, np.random.default_rng(7)), image)


def _blobs() -> torch.Tensor:
    """A (D, H, W) = (48, 48, 48) volume with three off-centre Gaussian blobs (no symmetry)."""
    d, h, w = torch.meshgrid(*(torch.arange(48, dtype=torch.float64),) * 3, indexing="ij")
    volume = torch.zeros(48, 48, 48, dtype=torch.float64)
    for cd, ch, cw in ((14, 20, 30), (30, 26, 18), (24, 32, 24)):
        volume += torch.exp(-((d - cd) ** 2 + (h - ch) ** 2 + (w - cw) ** 2) / 18.0)
    return volume


@pytest.mark.parametrize(
    ("frontal", "lateral", "axis", "view"),
    [
        ((4.0, 1.0), (0.0, 1.0), 1, (4.0, 1.0)),  # rotation seen by the frontal view
        ((0.0, 1.0), (-5.0, 1.0), 2, (-5.0, 1.0)),  # rotation seen by the lateral view
        ((0.0, 1.08), (0.0, 1.08), 1, (0.0, 1.08)),  # magnification seen by the frontal view
        ((0.0, 0.92), (0.0, 0.92), 2, (0.0, 0.92)),  # magnification seen by the lateral view
    ],
)
def test_a_moved_volume_projects_to_the_moved_view(frontal, lateral, axis, view):
    volume = _blobs()
    projected = volume.sum(axis)  # parallel rays: frontal along H (D, W), lateral along W (D, H)
    moved_view = _affine(projected, *view)
    view_of_moved = move_volume(volume, frontal, lateral).sum(axis)
    if view[1] != 1.0:  # a zoom also stretches the ray direction: path lengths scale with it
        view_of_moved = view_of_moved / view[1]
    error = (view_of_moved - moved_view).abs().max() / projected.abs().max()
    unmoved = (projected - moved_view).abs().max() / projected.abs().max()
    assert error < 0.02 and unmoved > 0.1, (float(error), float(unmoved))


def test_view_geometry_takes_what_the_perturbation_takes():
    image = torch.rand(32, 32, generator=torch.Generator().manual_seed(0))
    for kind in ("rotation", "magnification"):
        a, b = np.random.default_rng(3), np.random.default_rng(3)
        perturb(image, kind, 1.0, a)
        angle, zoom = view_geometry(kind, 1.0, b)
        assert (angle, zoom) != (0.0, 1.0) and a.random() == b.random()
    with pytest.raises(ValueError, match="geometric"):
        view_geometry("noise", 1.0, np.random.default_rng(0))


def test_random_geometry_is_the_one_applied_and_the_draws_are_unchanged():
    image = phantom_view()
    seen = set()
    for seed in range(40):
        plain = random_perturbations(image, 0.5, np.random.default_rng(seed))
        rng = np.random.default_rng(seed)
        perturbed, (angle, zoom) = random_perturbations_with_geometry(image, 0.5, rng)
        assert torch.equal(plain, perturbed)  # the same image from the same draws
        seen.add((angle != 0.0, zoom != 1.0))
        # only the geometric kinds, replayed from the reported pair, move the image alike
        only = random_perturbations_with_geometry(image, 0.0, np.random.default_rng(seed))
        assert only[1] == (0.0, 1.0) and torch.equal(only[0], image)
        if (angle, zoom) != (0.0, 1.0):
            assert abs(zoom - 1.0) <= 0.08 * 1.08 + 1e-12 and abs(angle) <= 5.0
    assert seen == {(False, False), (True, False), (False, True), (True, True)}


def test_both_geometric_kinds_compose_into_the_reported_pair():
    image = phantom_view()
    rng = np.random.default_rng(11)
    perturbed, (angle, zoom) = random_perturbations_with_geometry(image, 1.0, rng)
    assert angle != 0.0 and zoom != 1.0
    replay = np.random.default_rng(11)
    expected = image
    for kind in KINDS:  # the same order and draws, the geometric pair applied in one step
        replay.random()
        strength = float(replay.uniform(0.0, 1.0))
        if kind == "rotation":
            view_geometry(kind, strength, replay)
        elif kind == "magnification":
            view_geometry(kind, strength, replay)
            expected = _affine(expected, angle, zoom).clamp(0, 1)
        else:
            expected = KINDS[kind](expected, strength, replay)
    # one resampling instead of two: equal up to the interpolation of a smooth image
    assert float((perturbed - expected).abs().mean()) < 0.02
    assert float((perturbed - image).abs().mean()) > 0.05


def test_labels_move_by_nearest_neighbour_and_keep_their_values():
    labels = torch.zeros(32, 32, 32, dtype=torch.float64)
    labels[8:14, 10:22, 10:22] = 20
    labels[16:22, 10:22, 10:22] = 21
    moved = move_volume(labels, (4.0, 1.06), (-3.0, 1.06), mode="nearest")
    assert set(moved.unique().tolist()) <= {0.0, 20.0, 21.0}
    assert not torch.equal(moved, labels)
    # a 6 % zoom grows each level's volume by about 1.06^3
    for level in (20.0, 21.0):
        ratio = float((moved == level).sum() / (labels == level).sum())
        assert 1.08 < ratio < 1.32, ratio
