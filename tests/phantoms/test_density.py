"""Cancellous bone density of the phantoms (phantoms.bone_density)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from phantom_cases import SMALL

from x2ct.config.phantoms import PhantomConfig
from x2ct.errors import InputError
from x2ct.phantoms import generate_phantom
from x2ct.phantoms.case import sample_case
from x2ct.phantoms.density import OSTEOPOROSIS_HU, draw_density, normative_hu

AGE = replace(SMALL, bone_density="age")


def test_the_normative_values_are_the_published_anchors():
    assert normative_hu(25.0) == (226.0, 44.0)
    assert normative_hu(92.0) == (89.0, 38.0)
    assert normative_hu(10.0) == (226.0, 44.0) and normative_hu(99.0) == (89.0, 38.0)
    mean, _ = normative_hu(58.5)  # halfway
    assert mean == pytest.approx((226.0 + 89.0) / 2)


def test_uniform_is_the_draw_phantoms_always_had():
    for seed in range(20):
        rng, old = np.random.default_rng(seed), np.random.default_rng(seed)
        hu, osteoporotic = draw_density(rng, "uniform", 0.2)
        was_osteoporotic = bool(old.random() < 0.2)
        was = old.uniform(60, 120) if was_osteoporotic else old.uniform(150, 300)
        assert (hu, osteoporotic) == (was, was_osteoporotic)


def test_both_models_take_the_same_random_numbers():
    for model in ("uniform", "age"):
        rng = np.random.default_rng(7)
        draw_density(rng, model, 0.2)
        assert rng.random() == pytest.approx(_third_draw(7))


def _third_draw(seed: int) -> float:
    rng = np.random.default_rng(seed)
    rng.random(2)
    return float(rng.random())


def test_the_age_model_spans_an_adult_ct_population():
    draws = [draw_density(np.random.default_rng(s), "age", 0.2) for s in range(4000)]
    hu = np.array([d[0] for d in draws])
    flagged = np.array([d[1] for d in draws])
    # cohort mean age 60 -> 226 - 137 * 35 / 67 = 154 HU at the median age
    assert 140 < np.median(hu) < 165
    assert np.percentile(hu, 95) < 260 and np.percentile(hu, 5) > 50
    assert np.array_equal(flagged, hu < OSTEOPOROSIS_HU)
    assert 0.1 < flagged.mean() < 0.35


def test_age_density_draws_the_same_anatomy_with_other_bone():
    kept = 0
    for seed in range(6):
        plain, aged = sample_case(seed, SMALL), sample_case(seed, AGE)
        assert aged.run == plain.run and aged.spacing == plain.spacing
        if aged.osteoporotic == plain.osteoporotic:  # the flag alone changes later draws
            kept += 1
            assert aged.size_factor == plain.size_factor and aged.curves == plain.curves
        assert aged.vertebrae["L1"].cancellous_hu != plain.vertebrae["L1"].cancellous_hu
    assert kept >= 3


def test_the_drawn_volume_carries_the_drawn_density():
    seed = next(s for s in range(50) if sample_case(s, AGE).vertebrae["L3"].cancellous_hu < 130)
    phantom = generate_phantom(seed, AGE)
    ct = phantom.ct
    grid = np.indices(ct.shape, dtype=float)
    for vertebra in phantom.truth["vertebrae"]:
        # voxels within a sixth of the body's depth of its centre: cancellous bone only
        centre = np.linalg.solve(
            ct.affine[:3, :3], np.asarray(vertebra["body_centre"]) - ct.affine[:3, 3]
        )
        dist2 = sum(((grid[k] - centre[k]) * ct.spacing[k]) ** 2 for k in range(3))
        core = np.median(ct.array[dist2 < (vertebra["body_depth_mm"] / 6) ** 2])
        assert abs(core - vertebra["cancellous_hu"]) < 40, (vertebra["level"], core)
    assert max(v["cancellous_hu"] for v in phantom.truth["vertebrae"]) < 160


def test_an_unknown_density_model_is_refused():
    with pytest.raises(InputError, match="bone_density"):
        sample_case(0, PhantomConfig(bone_density="dense"))
