"""The lateral field moved onto the spine of a first reconstruction (``predict_views``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

from x2ct.inference.inputs import RECENTRE_MIN_MM, prepare_views, recentre_lateral
from x2ct.inference.predictor import DataGeometry, Predictor
from x2ct.inference.reconstruct import RECENTRE_PASSES, predict_views
from x2ct.io import Radiograph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "xray"))
from test_field import film  # the synthetic films of the field tests

SIZE, VOXEL_MM = 16, 20.0
"""A small cube: 16 voxels of 20 mm (320 mm, the shipped models' field)."""


@dataclass
class FakePredictor:
    """Reconstructs a spine at a fixed place on the lateral film: its labels sit at the film
    column ``spine_col`` as seen through the field last cut (``reach_mm``: how far from the
    middle of its field the network can still place it)."""

    spine_col: float
    reach_mm: float = 1000.0
    geometry: DataGeometry = field(default_factory=DataGeometry)
    calls: int = 0
    lateral_centre: float = 0.0

    size, voxel_mm, view_size = SIZE, VOXEL_MM, 32

    def predict_both(self, frontal: np.ndarray, lateral: np.ndarray):
        self.calls += 1
        to_iso = 1.0 / self.geometry.magnification  # film pixels are 1 mm
        offset_mm = (self.spine_col - self.lateral_centre) * to_iso
        offset_mm = float(np.clip(offset_mm, -self.reach_mm, self.reach_mm))
        labels = np.zeros((SIZE,) * 3, np.int16)
        h = int(np.clip(round((SIZE - 1) / 2.0 + offset_mm / VOXEL_MM), 0, SIZE - 1))
        labels[4:12, h, 6:10] = 20  # a column of one voxel along H: the centroid is at h
        return np.zeros((SIZE,) * 3, np.float32), labels


@pytest.fixture(scope="module")
def views():
    """A frontal and a lateral film (1 mm pixels) cut for the default model."""
    frontal = Radiograph(film("frontal", 150), (1.0, 1.0), "ap")
    lateral = Radiograph(film("lateral", 200), (1.0, 1.0), "lat")
    return prepare_views(frontal, lateral, Predictor.from_model("default"))


def _follow(fake: FakePredictor, monkeypatch) -> None:
    """Let the fake know where ``predict_views`` cut the lateral field before each pass."""
    import x2ct.inference.reconstruct as module

    original = module.recentre_lateral

    def tracked(lateral, spine, predictor):
        moved = original(lateral, spine, predictor)
        if moved is not None:
            fake.lateral_centre = moved.crop.center[1]
        return moved

    monkeypatch.setattr(module, "recentre_lateral", tracked)


def test_the_lateral_field_moves_onto_the_spine(views):
    body_centre = views[1].crop.center[1]
    fake = FakePredictor(spine_col=body_centre + 60.0, lateral_centre=body_centre)
    spine = fake.predict_both(None, None)[1] > 0
    moved = recentre_lateral(views[1], spine, fake)
    assert moved is not None and moved.crop.method == "spine of a first reconstruction"
    # the labels' centroid is a whole voxel (20 mm at the isocentre) here
    step = VOXEL_MM * DataGeometry().magnification
    assert moved.crop.center[1] == pytest.approx(body_centre + 60.0, abs=step / 2 + 1e-6)
    assert moved.crop.center[0] == views[1].crop.center[0]  # rows stay
    assert moved.crop.side == views[1].crop.side
    assert not np.array_equal(moved.image, views[1].image)


def test_nothing_moves_for_a_given_field_a_small_move_or_no_spine(views):
    centre = views[1].crop.center[1]
    fake = FakePredictor(spine_col=centre + 80.0, lateral_centre=centre)
    spine = fake.predict_both(None, None)[1] > 0
    given = replace(views[1], crop=replace(views[1].crop, method="given"))
    assert recentre_lateral(given, spine, fake) is None
    assert recentre_lateral(views[1], np.zeros_like(spine), fake) is None
    centred = np.zeros_like(spine)
    centred[:, SIZE // 2 - 1 : SIZE // 2 + 1] = True  # centroid (SIZE - 1) / 2: no move
    assert recentre_lateral(views[1], centred, fake) is None
    assert RECENTRE_MIN_MM <= VOXEL_MM


def test_predict_views_recentres_until_the_spine_is_in_the_middle(views, monkeypatch):
    centre = views[1].crop.center[1]
    fake = FakePredictor(spine_col=centre - 70.0, reach_mm=40.0, lateral_centre=centre)
    _follow(fake, monkeypatch)
    used, _, labels = predict_views(views, fake, recentre=True)
    # the network sees at most 40 of the spine's 59 mm offset at first: a second move follows
    assert fake.calls == 1 + RECENTRE_PASSES
    step = VOXEL_MM * DataGeometry().magnification
    assert used[1].crop.center[1] == pytest.approx(fake.spine_col, abs=step / 2 + 1e-6)
    assert used[0] is views[0] and labels is not None


def test_without_recentring_one_pass_and_the_views_as_given(views, monkeypatch):
    centre = views[1].crop.center[1]
    fake = FakePredictor(spine_col=centre + 60.0, lateral_centre=centre)
    _follow(fake, monkeypatch)
    used, _, _ = predict_views(views, fake, recentre=False)
    assert fake.calls == 1 and used == views
