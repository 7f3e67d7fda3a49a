"""Measures of the true phantom CT against the phantom's exact truth record."""

from __future__ import annotations

import pytest

from x2ct.measures import compare_measures, measure_volume


def _truth(phantom):
    return {v["level"]: v for v in phantom.truth["vertebrae"]}


def test_body_heights_within_1_mm_with_labels(normal_phantom):
    measures = measure_volume(normal_phantom.ct, normal_phantom.labels)
    truth = _truth(normal_phantom)
    checked = 0
    for v in measures.vertebrae:
        if not v.complete:
            continue
        t = truth[v.level]
        assert v.height_anterior_mm == pytest.approx(t["height_anterior_mm"], abs=1.0)
        assert v.height_posterior_mm == pytest.approx(t["height_posterior_mm"], abs=1.0)
        assert v.height_middle_mm == pytest.approx(t["height_middle_mm"], abs=1.0)
        checked += 1
    assert checked >= 4


def test_endplate_tilts_and_wedge_close_to_truth(normal_phantom):
    measures = measure_volume(normal_phantom.ct, normal_phantom.labels)
    errors = compare_measures(measures, normal_phantom.truth)["measures"]
    for key in ("superior_sagittal_tilt_deg", "inferior_coronal_tilt_deg", "wedge_angle_deg"):
        assert errors[key]["mae"] < 1.5, key
    assert errors["body_centre_mm"]["mae"] < 1.0


def test_cobb_angle_of_a_scoliosis_within_3_degrees(scoliosis_phantom):
    spine = scoliosis_phantom.truth["spine"]
    assert spine["cobb_deg"] == pytest.approx(25.0, abs=0.1)
    measures = measure_volume(scoliosis_phantom.ct, scoliosis_phantom.labels)
    assert measures.cobb_deg == pytest.approx(25.0, abs=3.0)
    assert {measures.cobb_upper_end, measures.cobb_lower_end} == {
        spine["cobb_upper_end"],
        spine["cobb_lower_end"],
    }


def test_without_labels_heights_and_cobb(scoliosis_phantom):
    measures = measure_volume(scoliosis_phantom.ct)
    assert measures.level_naming == "relative"
    result = compare_measures(measures, scoliosis_phantom.truth)
    assert result["summary"]["vertebrae_paired"] >= 4
    assert result["measures"]["height_anterior_mm"]["mae"] < 1.0
    assert result["measures"]["height_posterior_mm"]["mae"] < 1.0
    assert result["cobb"]["abs_error_deg"] < 3.0
