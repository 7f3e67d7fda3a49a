"""Radiograph perturbations: range, identity at strength 0, what each one changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from x2ct.xray.perturb import KINDS, perturb, random_perturbations


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
