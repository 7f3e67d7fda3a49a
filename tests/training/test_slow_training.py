"""A short training of the ``cpu`` preset on phantoms lowers the validation MAE0.

The data are x2ct's spine phantoms prepared by ``x2ct.prepare`` when both stages are installed,
else the phantom-like synthetic cases of ``train_cases.spine_like_case``.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from train_cases import make_spine_folder

from x2ct.config import apply_overrides, load_config
from x2ct.data.dataset import CaseDataset
from x2ct.metrics import table1
from x2ct.models import build_generator
from x2ct.training.checkpoint import seed_everything
from x2ct.training.loop import train


def _data(tmp_path, config, n_train: int = 16, n_test: int = 4):
    """A prepared data folder of phantoms (or synthetic spine-like cases)."""
    try:
        from x2ct.phantoms import write_phantoms
        from x2ct.prepare.pipeline import prepare_dataset
    except (ImportError, AttributeError):
        size = config.model.input_size
        return make_spine_folder(tmp_path / "data", n_train, n_test, size, seed=3), "synthetic"
    n = n_train + n_test
    write_phantoms(tmp_path / "phantoms", n, seed=3, config=config.phantoms, workers=2)
    prepare_dataset(tmp_path / "phantoms", tmp_path / "data", config, workers=2)
    return tmp_path / "data", "phantoms"


def _initial_mae0(config, data) -> float:
    """MAE0 of the untrained generator (the loop builds it with the same seed)."""
    seed_everything(config.train.seed)
    generator = build_generator(config.model).eval()
    cases = CaseDataset.from_folder(data, "test", config.model.input_size)
    values = []
    with torch.no_grad():
        for item in cases:
            fake = generator(item["xray1"][None], item["xray2"][None]).clamp(0, 1)
            values.append(table1(item["ct"][0].numpy(), fake[0, 0].numpy())["MAE0"])
    return float(np.mean(values))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_short_cpu_training_lowers_validation_mae0(tmp_path):
    config = load_config("cpu")
    data, kind = _data(tmp_path, config)
    config = apply_overrides(
        config,
        ["train.epochs_constant=3", "train.epochs_decay=2", "train.checkpoint_every=0"],
    )
    start = _initial_mae0(config, data)
    result = train(data, config, tmp_path / "run", quiet=True)
    assert result.stopped == "finished"
    with (tmp_path / "run" / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    maes = [float(r["val_MAE0"]) for r in rows]
    print(f"{kind}: MAE0 before training {start:.4f}, per epoch {[round(m, 4) for m in maes]}")
    assert maes[-1] < 0.5 * start
    assert result.best_value == pytest.approx(min(maes))
    assert (tmp_path / "run" / "validation" / "epoch_0005.png").is_file()
