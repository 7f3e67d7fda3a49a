"""The shipped models: they load, list, and reproduce their card's hold-out bone Dice.

The card (``card.json``) records the hold-out set (base seed, count, ``x2ct phantoms``
defaults) and the bone Dice of each case. The fast test regenerates the first cases of that
set, prepares them with the model's data settings and checks each case's bone Dice within 0.02
of the card; the slow test redoes the whole set and checks the mean.
"""

from __future__ import annotations

import numpy as np
import pytest

from x2ct.config.phantoms import PhantomConfig
from x2ct.inference.evaluation import evaluate_run
from x2ct.inference.predictor import Predictor, model_data_config
from x2ct.models.folder import list_models, read_card, resolve_model, shipped_names
from x2ct.phantoms.writer import run_batch
from x2ct.prepare.pipeline import prepare_dataset

TOLERANCE = 0.02
MAX_SIZE_MB = 25.0


def test_default_model_is_shipped_within_the_size_limit():
    names = shipped_names()
    assert names, "x2ct ships at least one model"
    default = resolve_model("default")
    assert default.name in names
    infos = list_models()
    assert infos[0].default and infos[0].folder == default
    for info in infos:
        assert info.size_mb <= MAX_SIZE_MB, info.name
        card = info.card
        for key in ("name", "family", "steps", "wall_minutes", "data", "holdout", "limits"):
            assert key in card, f"{info.name}: card lacks {key}"


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_model_loads_and_predicts_labels(name):
    predictor = Predictor.from_model(name)
    size, view = predictor.size, predictor.view_size
    rng = np.random.default_rng(0)
    x1 = rng.integers(0, 255, (view, view), dtype=np.uint8)
    x2 = rng.integers(0, 255, (view, view), dtype=np.uint8)
    volume = predictor.predict(x1, x2)
    assert volume.shape == (size,) * 3 and volume.min() >= 0.0 and volume.max() <= 1.0
    if predictor.has_labels:
        labels = predictor.predict_labels(x1, x2)
        assert labels.shape == (size,) * 3
        # reconstruct's single pass gives what the two separate calls give
        one_volume, one_labels = predictor.predict_both(x1, x2)
        np.testing.assert_allclose(one_volume, volume, rtol=0, atol=1e-6)
        np.testing.assert_array_equal(one_labels, labels)


def reproduce(tmp_path, name: str, n: int) -> tuple[dict, dict]:
    card = read_card(resolve_model(name))["holdout"]
    phantoms = run_batch(tmp_path / "phantoms", n, card["seed"], PhantomConfig(), workers=2)
    assert not phantoms.failures
    report = prepare_dataset(
        tmp_path / "phantoms", tmp_path / "data", model_data_config(name), workers=2
    )
    assert not report.failures
    result = evaluate_run(
        None, tmp_path / "data", split="all", out_dir=tmp_path / "eval", model=name, clinical=False
    )
    dice = {row["case"]: float(row["Dice"]) for row in result.rows if row["method"] == "x2ct"}
    return card, dice


@pytest.mark.parametrize("name", shipped_names())
def test_card_bone_dice_reproduces_on_the_first_holdout_phantoms(tmp_path, name):
    card, dice = reproduce(tmp_path, name, 3)
    for case, value in dice.items():
        assert value == pytest.approx(card["per_case_bone_Dice"][case], abs=TOLERANCE), case


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_names())
def test_card_bone_dice_reproduces_on_the_whole_holdout_set(tmp_path, name):
    card = read_card(resolve_model(name))["holdout"]
    _, dice = reproduce(tmp_path, name, card["cases"])
    mean = float(np.mean(list(dice.values())))
    assert mean == pytest.approx(card["metrics"]["Dice"], abs=TOLERANCE)
