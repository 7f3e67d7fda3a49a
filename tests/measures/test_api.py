"""compare_measures, Genant rule, figure, input errors and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from x2ct.cli import app
from x2ct.errors import InputError
from x2ct.io import write_volume
from x2ct.levels import genant_grade
from x2ct.measures import compare_measures, draw_measures, measure_volume
from x2ct.measures.records import VertebraMeasures
from x2ct.measures.spine import grade_fractures
from x2ct.volume import Volume


@pytest.fixture(scope="module")
def normal_measures(normal_phantom):
    return measure_volume(normal_phantom.ct, normal_phantom.labels)


def test_compare_identical_measures_gives_zero_errors(normal_measures):
    result = compare_measures(normal_measures, normal_measures)
    assert result["summary"]["vertebrae_paired"] >= 4
    for key, value in result["measures"].items():
        assert value["mae"] == pytest.approx(0.0, abs=1e-9), key
    assert result["cobb"]["abs_error_deg"] == pytest.approx(0.0, abs=1e-9)
    assert result["grades"]["agreement"] == 1.0
    # The JSON form compares the same way (rounding only).
    again = compare_measures(normal_measures.to_dict(), normal_measures)
    assert again["measures"]["height_anterior_mm"]["mae"] < 1e-3


def test_compare_truth_with_itself_and_pairs_by_position(normal_phantom, normal_measures):
    result = compare_measures(normal_phantom.truth, normal_phantom.truth)
    assert result["measures"]["wedge_angle_deg"]["mae"] == 0.0
    renamed = normal_measures.to_dict()
    renamed["level_naming"] = "relative"
    for k, v in enumerate(renamed["vertebrae"]):
        v["level"] = f"V{k + 1}"
    by_position = compare_measures(renamed, normal_phantom.truth)
    by_level = compare_measures(normal_measures, normal_phantom.truth)
    assert by_position["summary"]["vertebrae_paired"] == by_level["summary"]["vertebrae_paired"]


@pytest.mark.parametrize(
    "loss, grade", [(0.0, 0), (0.19, 0), (0.21, 1), (0.25, 1), (0.3, 2), (0.4, 2), (0.41, 3)]
)
def test_genant_thresholds(loss, grade):
    assert genant_grade(loss) == grade


def _record(level, ha, hm, hp):
    return VertebraMeasures(
        level,
        0,
        True,
        1000,
        (0.0, 0.0, 0.0),
        height_anterior_mm=ha,
        height_middle_mm=hm,
        height_posterior_mm=hp,
    )


def test_grades_read_against_the_neighbours_shape():
    # Unnamed levels: the neighbours' own shape is the reference. Normal bodies here are 10 %
    # lower in front (Ha/Hp = 0.9); the middle one lost 30 % of its anterior height against
    # that shape: 0.9 * 0.7 = 0.63.
    rows = [_record(f"V{k}", 18.0, 18.0, 20.0) for k in range(1, 6)]
    rows[2] = _record("V3", 0.63 * 20.0, 17.0, 20.0)
    grade_fractures(rows, 2)
    assert [r.genant_grade for r in rows] == [0, 0, 2, 0, 0]
    assert rows[2].height_loss == pytest.approx(0.30, abs=1e-6)
    assert rows[2].deformity_type == "wedge"


def test_grades_read_against_each_levels_normal_shape():
    # Named levels: each ratio is divided by its level's normal (Bonczar 2024 VBHa / VBHp,
    # L1 24.5/26.6 ... L5 27.4/24.1), so an L4 with 22 % anterior loss next to an L5 that is
    # normally 14 % taller in front is not read against L5's shape. The patient is 5 % smaller.
    normal = {"L1": (24.5, 26.6), "L2": (25.8, 27.0), "L3": (26.8, 26.7)}
    normal |= {"L4": (26.9, 25.8), "L5": (27.4, 24.1)}
    rows = [_record(lv, 0.95 * ha, 0.9 * 0.95 * hp, 0.95 * hp) for lv, (ha, hp) in normal.items()]
    rows[3] = _record("L4", 0.95 * 26.9 * 0.78, 0.9 * 0.95 * 25.8, 0.95 * 25.8)
    grade_fractures(rows, 2)
    assert [r.genant_grade for r in rows] == [0, 0, 0, 1, 0]
    assert rows[3].height_loss == pytest.approx(0.22, abs=1e-6)
    assert all(r.height_loss == pytest.approx(0.0, abs=1e-6) for r in rows if r.level != "L4")


def test_figure_is_written(tmp_path, normal_phantom, normal_measures):
    path = draw_measures(normal_phantom.ct, normal_measures, tmp_path / "m.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_labels_on_another_grid_are_refused(normal_phantom):
    shifted = normal_phantom.labels.affine.copy()
    shifted[0, 3] += 1.0
    with pytest.raises(InputError, match="grid"):
        measure_volume(normal_phantom.ct, Volume(normal_phantom.labels.array, shifted, "l.nii"))


def test_volume_without_bone_is_refused():
    water = Volume(np.zeros((20, 30, 30), np.float32), np.diag([2.0, 2.0, 2.0, 1.0]), "w.nii")
    with pytest.raises(InputError, match="bone"):
        measure_volume(water)


def test_cli_writes_csv_json_png(tmp_path, normal_phantom):
    ct, labels = tmp_path / "ct.nii.gz", tmp_path / "seg.nii.gz"
    write_volume(normal_phantom.ct, ct)
    write_volume(normal_phantom.labels, labels)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["measure", str(ct), "--labels", str(labels), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "measures.json").read_text())
    assert data["schema"] == "x2ct-measures/1"
    lines = (out / "measures.csv").read_text().splitlines()
    assert lines[0].startswith("level,label,complete") and len(lines) == len(data["vertebrae"]) + 1
    assert (out / "measures.png").stat().st_size > 20_000


def test_cli_bad_input_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["measure", str(tmp_path / "missing.nii.gz")])
    assert result.exit_code == 2
    assert "missing.nii.gz" in result.output and "Traceback" not in result.output


def test_endplate_tilts_do_not_depend_on_the_normals_sign():
    from x2ct.measures.measure import tilts

    rng = np.random.default_rng(3)
    for normal in rng.normal(size=(200, 3)):
        normal /= np.linalg.norm(normal)
        up = tilts(normal)
        assert up == pytest.approx(tilts(-normal), abs=1e-12)
        assert all(-90.0 <= angle <= 90.0 for angle in up)
    # a plane tilted 10 degrees to the patient's left (RAS normal leaning towards -x)
    tilt = np.radians(10.0)
    assert tilts(np.array([-np.sin(tilt), 0.0, np.cos(tilt)]))[0] == pytest.approx(10.0)
    assert tilts(-np.array([-np.sin(tilt), 0.0, np.cos(tilt)]))[0] == pytest.approx(10.0)
