"""Scans that fill the field (phantoms.scan_mm): longer scans, more levels, the same labels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from phantom_cases import SMALL

from x2ct.errors import InputError
from x2ct.phantoms import generate_phantom
from x2ct.phantoms.anatomy import LABEL_IDS
from x2ct.phantoms.case import sample_case

LONG = replace(SMALL, scan_mm=(420.0, 420.0))


def test_a_long_scan_changes_no_other_draw_of_a_case():
    for seed in range(4):
        plain = sample_case(seed, SMALL)
        long = sample_case(seed, LONG)
        assert long.run == plain.run and long.spacing == plain.spacing
        assert long.vertebrae == plain.vertebrae and long.body == plain.body
        assert long.world_centre_mm == plain.world_centre_mm
        # the labelled levels are the ones drawn without a long scan; more are drawn around them
        assert long.labelled_levels == plain.drawn == plain.labelled_levels
        assert set(plain.drawn) <= set(long.drawn) and len(long.drawn) > len(plain.drawn)
        assert long.scan_mm == 420.0 and plain.scan_mm is None


def test_the_scan_has_the_drawn_length_and_holds_the_run():
    phantom = generate_phantom(2, LONG)
    spacing_d = abs(phantom.ct.affine[2, 0])  # D runs along the inferior axis
    assert phantom.ct.shape[0] * spacing_d == pytest.approx(420.0, abs=spacing_d + 1e-6)
    assert phantom.truth["spine"]["scan_mm"] == 420.0
    complete = phantom.truth["spine"]["complete_levels"]
    assert set(phantom.truth["spine"]["run"]) <= set(complete)


def test_levels_beyond_the_neighbours_are_bone_without_a_label():
    phantom = generate_phantom(2, LONG)
    truth = phantom.truth
    unlabelled = truth["spine"]["unlabelled_levels"]
    assert unlabelled, "a 420 mm scan reaches beyond the run's neighbours"
    present = set(np.unique(phantom.labels.array).tolist()) - {0}
    assert present == {LABEL_IDS[lv] for lv in truth["spine"]["levels"]}
    assert not present & {LABEL_IDS[lv] for lv in unlabelled}
    to_index = np.linalg.inv(phantom.ct.affine)
    by_level = {v["level"]: v for v in truth["vertebrae"]}
    checked = 0
    for level in unlabelled:
        centre = to_index[:3, :3] @ np.asarray(by_level[level]["body_centre"]) + to_index[:3, 3]
        index = tuple(int(np.rint(c)) for c in centre)
        inside = all(0 <= i < n for i, n in zip(index, phantom.ct.shape, strict=True))
        if inside:  # a level cut by the scan's end may have its centre outside
            assert phantom.ct.array[index] > 100.0, level  # cancellous bone, 150-300 HU drawn
            assert phantom.labels.array[index] == 0, level
            checked += 1
    assert checked > 0


def test_a_mixed_set_holds_cases_of_either_scan_and_each_as_its_own_config_draws_it():
    mixed = replace(LONG, scan_probability=0.5, scan_inplane_spacing_mm=(1.3, 1.6))
    kinds = []
    for seed in range(12):
        case = sample_case(seed, mixed)
        if case.scan_mm is None:  # a scan that ends near the run: the case as without scan_mm
            assert case == replace(sample_case(seed, SMALL), config=mixed)
        else:  # a field-filling scan: the long case, on a wider in-plane grid
            long = sample_case(seed, LONG)
            assert replace(case, spacing=long.spacing, config=LONG) == long
            assert case.spacing[0] == long.spacing[0] and 1.3 <= case.spacing[1] <= 1.6
            assert case.spacing[1] == case.spacing[2]
        kinds.append(case.scan_mm is not None)
    assert 3 <= sum(kinds) <= 9, kinds  # even odds over 12 seeds


def test_default_cases_draw_only_labelled_levels():
    spec = sample_case(5, SMALL)
    assert spec.labelled is None and spec.labelled_levels == spec.drawn


@pytest.mark.parametrize(
    "config, match",
    [
        (replace(SMALL, scan_mm=(500.0, 400.0)), "0 < min <= max"),
        (replace(SMALL, scan_mm=(0.0, 400.0)), "0 < min <= max"),
        (replace(SMALL, scan_mm=(400.0, 400.0), slices=200), "null when phantoms.slices"),
        (replace(LONG, scan_probability=1.5), "phantoms.scan_probability"),
        (replace(LONG, scan_inplane_spacing_mm=(2.0, 1.0)), "scan_inplane_spacing_mm"),
    ],
)
def test_bad_scan_settings_are_refused(config, match):
    with pytest.raises(InputError, match=match):
        sample_case(0, config)
