"""The learning-rate schedule: constant, then linear towards 0 without reaching it."""

from __future__ import annotations

import itertools

import pytest
import torch

from x2ct.config import load_config
from x2ct.config.train import TrainConfig
from x2ct.errors import InputError
from x2ct.training.schedule import fit_schedule, lr_at, lr_factor, set_lr, total_epochs


def test_paper_preset_lr_per_epoch():
    cfg = load_config("paper").train
    assert (cfg.epochs_constant, cfg.epochs_decay, cfg.lr) == (50, 50, 2e-4)
    assert total_epochs(cfg) == 100
    lrs = [lr_at(e, cfg) for e in range(100)]
    # Independent form: a line through (epoch 49, 2e-4) and (epoch 100, 0), capped at 2e-4.
    for epoch, lr in enumerate(lrs):
        assert lr == pytest.approx(2e-4 * min(1.0, (100 - epoch) / 51), rel=1e-12), epoch
    assert lrs[:50] == [2e-4] * 50
    assert lrs[50] == pytest.approx(2e-4 * 50 / 51)
    assert lrs[99] == pytest.approx(2e-4 / 51)
    assert all(lr > 0 for lr in lrs)
    assert all(a > b for a, b in itertools.pairwise(lrs[49:]))
    # Equal steps over the decay: the line ends at 0 one epoch after the last one.
    steps = {round(a - b, 15) for a, b in itertools.pairwise(lrs[49:])}
    assert len(steps) == 1 and steps.pop() == pytest.approx(2e-4 / 51)


def test_schedule_edges():
    assert [lr_factor(e, 0, 3) for e in range(3)] == pytest.approx([3 / 4, 2 / 4, 1 / 4])
    assert [lr_factor(e, 2, 0) for e in range(2)] == [1.0, 1.0]
    with pytest.raises(InputError):
        lr_factor(5, 2, 3)
    with pytest.raises(InputError):
        lr_factor(-1, 2, 3)


def test_set_lr_sets_every_group():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    opts = [torch.optim.Adam(a.parameters()), torch.optim.Adam(b.parameters())]
    set_lr(opts, 1.5e-5)
    assert all(g["lr"] == 1.5e-5 for o in opts for g in o.param_groups)


def test_config_rejects_values_that_cannot_train():
    with pytest.raises(ValueError, match=r"train\.batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="at least one epoch"):
        TrainConfig(epochs_constant=0, epochs_decay=0)


def test_fit_schedule_to_a_budget():
    assert fit_schedule(50, 50, 200) == (50, 50)  # fits: unchanged, never extended
    assert fit_schedule(50, 50, 10) == (5, 5)
    assert fit_schedule(10, 30, 8) == (2, 6)
    assert fit_schedule(3, 1, 1) == (1, 0)  # only the epoch already trained
    assert fit_schedule(3, 1, 0) == (1, 0)
    assert fit_schedule(0, 5, 2) == (0, 5)  # no constant epoch to keep: left alone
    for n, m, fit in [(7, 3, 4), (1, 9, 5), (9, 1, 2)]:
        a, b = fit_schedule(n, m, fit)
        assert a + b == fit and a >= 1
