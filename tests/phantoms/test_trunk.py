"""The trunk around the spine (phantoms.trunk): its depth and the tissue behind the spine."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from phantom_cases import SMALL

from x2ct.errors import InputError
from x2ct.phantoms import generate_phantom
from x2ct.phantoms.case import sample_case
from x2ct.phantoms.trunk import (
    SAD_QUANTILES,
    SUPRASPINOUS_MM,
    UNIFORM_DEPTH_MM,
    back_cover,
    patient_mask,
    sagittal_cover,
    trunk_depth,
)

# A field that holds the whole trunk (coarse voxels keep it fast); no table behind the back.
WHOLE = replace(SMALL, matrix=192, inplane_spacing_mm=(1.9, 2.0), table_probability=0.0)
POPULATION = replace(WHOLE, trunk="population")


def test_uniform_is_the_trunk_phantoms_always_had():
    assert trunk_depth("uniform", 230.0, 1.1) == 230.0 * (0.85 + 0.15 * 1.1)
    fat = np.array([6.0, 40.0])
    assert np.array_equal(back_cover("uniform", 45.0, fat), 45.0 + fat)


def test_population_depths_follow_the_survey_percentiles():
    lo, hi = UNIFORM_DEPTH_MM
    draws = np.random.default_rng(3).uniform(lo, hi, size=40_000)
    depths = np.array([trunk_depth("population", float(d), 1.0) for d in draws])
    for probability, published in SAD_QUANTILES[1:-1]:
        assert np.percentile(depths, 100 * probability) == pytest.approx(published, abs=2.0)
    # the size factor does not stretch the survey's spread a second time
    assert trunk_depth("population", 230.0, 0.85) == trunk_depth("population", 230.0, 1.15)


def test_population_draws_the_same_anatomy_in_another_trunk():
    for seed in range(5):
        plain, other = sample_case(seed, WHOLE), sample_case(seed, POPULATION)
        assert other.run == plain.run and other.curves == plain.curves
        assert other.vertebrae == plain.vertebrae and other.spacing == plain.spacing
        changed = {k for k in plain.body if plain.body[k] != other.body[k]}
        assert changed <= {"depth"}


def test_an_unknown_trunk_model_is_refused():
    with pytest.raises(InputError, match=r"phantoms\.trunk"):
        sample_case(0, replace(SMALL, trunk="thin"))


@pytest.mark.parametrize("seed", [0, 3])
def test_the_back_skin_lies_the_fat_behind_the_spinous_tips(seed):
    fat = sample_case(seed, POPULATION).body["fat_mm"]
    covers = {}
    for config in (WHOLE, POPULATION):
        phantom = generate_phantom(seed, config)
        cover = sagittal_cover(
            patient_mask(phantom.ct.array), phantom.labels.array, phantom.ct.spacing
        )
        covers[config.trunk] = cover.tip_to_back_mm
    # the back half-follows the lordosis and its outline is rounded: 3 voxels (2 mm) of slack
    assert covers["population"] == pytest.approx(SUPRASPINOUS_MM + fat, abs=6.0)
    assert covers["uniform"] - covers["population"] > 25.0


def test_sagittal_cover_measures_a_drawn_box():
    body = np.zeros((4, 50, 20), dtype=bool)
    body[:, 5:45, 2:18] = True  # rows 5..44
    levels = np.zeros(body.shape, dtype=np.int16)
    levels[1, 20:30, 8:12] = 3  # tip at row 29
    levels[2, 22:34, 9:11] = 4  # tip at row 33
    cover = sagittal_cover(body, levels, (1.0, 2.0, 1.0))
    assert cover.tip_to_back_mm == pytest.approx(2.0 * np.median([44 - 29, 44 - 33]))
    assert cover.belly_to_tip_mm == pytest.approx(2.0 * np.median([29 - 5, 33 - 5]))
    with pytest.raises(ValueError, match="whole depth"):
        sagittal_cover(np.ones_like(body), levels, (1.0, 2.0, 1.0))


def test_mixed_draws_each_case_as_one_of_the_two_models():
    mixed = replace(SMALL, trunk="mixed")
    chosen = []
    for seed in range(40):
        case = sample_case(seed, mixed)
        alike = sample_case(seed, replace(SMALL, trunk=case.trunk))
        assert case.body == alike.body and case.vertebrae == alike.vertebrae
        assert case.run == alike.run and case.curves == alike.curves
        chosen.append(case.trunk)
    assert set(chosen) == {"uniform", "population"}
    assert 10 <= chosen.count("population") <= 30
    assert sample_case(0, SMALL).trunk == "uniform"
    assert sample_case(0, replace(SMALL, trunk="population")).trunk == "population"


def test_the_patient_is_the_largest_region_above_air():
    ct = np.full((3, 40, 40), -1000.0)
    ct[:, 5:25, 5:35] = 40.0  # the body
    ct[:, 10:14, 15:20] = -950.0  # gas inside it stays a hole, not a second patient
    ct[:, 30:34, 2:38] = 300.0  # the table, apart from the body
    mask = patient_mask(ct)
    assert mask[:, 5:25, 5:35].sum() == 3 * (20 * 30 - 4 * 5)
    assert not mask[:, 30:34].any() and not mask[:, 10:14, 15:20].any()
    assert not patient_mask(np.full((2, 4, 4), -1000.0)).any()
