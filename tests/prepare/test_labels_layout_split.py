"""Label selection presets, dataset layouts and the grouped split."""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.data.split import grouped_split
from x2ct.errors import InputError, MissingFileError
from x2ct.levels import LEVEL_NAMES
from x2ct.prepare.labels import check_integer_labels, parse_ids, resolve, to_common_ids
from x2ct.prepare.layout import detect_layout, discover


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_parse_ids_and_presets():
    assert parse_ids("1-3,7") == (1, 2, 3, 7)
    assert resolve("totalseg-v2", "csv") == ("totalseg-v2", tuple(range(27, 51)))
    assert resolve("auto", "verse")[1] == (*range(1, 26), 28)
    assert resolve("26-50", "csv") == ("custom", tuple(range(26, 51)))
    with pytest.raises(InputError):
        parse_ids("L1-L5")
    with pytest.raises(InputError):
        parse_ids("5-1")


def test_common_numbering_of_totalsegmentator_ids():
    # TotalSegmentator v2: 27 = L5, 31 = L1, 32 = T12, 26 = S1 (not selected).
    ids = np.array([0, 26, 27, 31, 32, 50], dtype=np.float32)
    common = to_common_ids(ids, "totalseg-v2", resolve("totalseg-v2", "")[1])
    assert [LEVEL_NAMES[v - 1] if v else "-" for v in common] == ["-", "-", "L5", "L1", "T12", "C1"]
    v1 = to_common_ids(np.array([18, 22, 41.0]), "totalseg-v1", resolve("totalseg-v1", "")[1])
    assert [LEVEL_NAMES[v - 1] for v in v1] == ["L5", "L1", "C1"]


def test_float_valued_labels_are_refused():
    with pytest.raises(InputError, match="integer-valued"):
        check_integer_labels(np.array([[[0.0, 0.5]]]), "seg.nii.gz")
    check_integer_labels(np.array([[[0.0, 20.0]]]), "seg.nii.gz")


def test_ctspine1k_layout_pairs_and_reports_orphans(tmp_path):
    touch(tmp_path / "volumes" / "COLONOG" / "a.nii.gz")
    touch(tmp_path / "labels" / "COLONOG" / "a_seg.nii.gz")
    touch(tmp_path / "volumes" / "COLONOG" / "b.nii.gz")  # no labels
    touch(tmp_path / "labels" / "COLONOG" / "c_seg.nii.gz")  # no CT
    layout, cases = discover(tmp_path)
    assert layout == "ctspine1k"
    by_name = {c.name: c for c in cases}
    assert by_name["a"].labels.name == "a_seg.nii.gz"
    assert by_name["b"].labels is None and by_name["c"].ct is None


def test_verse_layout_groups_by_subject(tmp_path):
    touch(tmp_path / "rawdata" / "sub-verse004" / "sub-verse004_split-1_ct.nii.gz")
    touch(tmp_path / "derivatives" / "sub-verse004" / "sub-verse004_split-1_seg-vert_msk.nii.gz")
    touch(tmp_path / "rawdata" / "sub-verse004" / "sub-verse004_split-2_ct.nii.gz")
    touch(tmp_path / "derivatives" / "sub-verse004" / "sub-verse004_split-2_seg-vert_msk.nii.gz")
    layout, cases = discover(tmp_path)
    assert layout == "verse" and len(cases) == 2
    assert {c.group for c in cases} == {"sub-verse004"}


def test_totalseg_layout_and_csv(tmp_path):
    touch(tmp_path / "ts" / "s0001" / "ct.nii.gz")
    touch(tmp_path / "ts" / "s0001" / "segmentations.nii.gz")
    layout, cases = discover(tmp_path / "ts")
    assert (
        layout == "totalseg"
        and cases[0].name == "s0001"
        and cases[0].labels.name == "segmentations.nii.gz"
    )
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text(
        "case,ct,labels,patient\nx,ts/s0001/ct.nii.gz,ts/s0001/segmentations.nii.gz,p1\n"
    )
    layout, cases = discover(csv_path)
    assert layout == "csv" and cases[0].group == "p1" and cases[0].ct.is_absolute()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,image\n")
    with pytest.raises(InputError, match="case, ct, labels"):
        discover(bad)


def test_unknown_layout_and_missing_source(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="dataset layout"):
        detect_layout(tmp_path / "empty")
    with pytest.raises(MissingFileError):
        discover(tmp_path / "nowhere")


def test_grouped_split_keeps_patients_together_and_is_seeded():
    cases = [f"c{i:02d}" for i in range(20)]
    groups = [f"p{i // 2}" for i in range(20)]  # two scans per patient
    train, test = grouped_split(cases, groups, 0.8, seed=3)
    assert len(test) == 4 and len(train) == 16
    patient = dict(zip(cases, groups, strict=True))
    assert not {patient[c] for c in train} & {patient[c] for c in test}
    assert (train, test) == grouped_split(
        list(reversed(cases)), list(reversed(groups)), 0.8, seed=3
    )
    assert grouped_split(cases, groups, 0.8, seed=4) != (train, test)


def test_split_of_tiny_sets():
    assert grouped_split(["a"], ["a"], 0.8) == (["a"], [])
    train, test = grouped_split(["a", "b"], ["a", "b"], 0.8)
    assert len(train) == 1 and len(test) == 1
    with pytest.raises(InputError):
        grouped_split(["a"], ["a"], 0.0)
