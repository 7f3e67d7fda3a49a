"""Checkpoint helpers: RNG capture/restore, paths, atomic files and run-folder errors."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from x2ct.errors import InputError, MissingFileError
from x2ct.models.runfolder import checkpoint_path, load_checkpoint, load_run
from x2ct.training.checkpoint import (
    rng_state,
    save_checkpoint,
    set_rng_state,
)


def _draws() -> tuple:
    return (random.random(), float(np.random.rand()), float(np.random.randn()), torch.rand(3))


def test_rng_state_round_trip_through_a_checkpoint(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn()  # leaves a cached Gaussian in numpy's state
    path = save_checkpoint(tmp_path / "c.pt", {"format": 1, "rng": rng_state()})
    expected = _draws()
    _draws()  # move every generator on
    set_rng_state(load_checkpoint(path)["rng"])
    again = _draws()
    assert again[:3] == expected[:3] and torch.equal(again[3], expected[3])


def test_checkpoint_paths(tmp_path):
    assert checkpoint_path(tmp_path, "best").name == "best.pt"
    assert checkpoint_path(tmp_path, "last").name == "last.pt"
    assert checkpoint_path(tmp_path, 7).name == "epoch_0007.pt"
    assert checkpoint_path(tmp_path, "12").name == "epoch_0012.pt"
    with pytest.raises(InputError):
        checkpoint_path(tmp_path, "first")


def test_foreign_files_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="x2ct checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="unreadable"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(MissingFileError):
        load_checkpoint(tmp_path / "missing.pt")


def test_load_run_errors(tmp_path):
    with pytest.raises(MissingFileError, match=r"config\.yaml"):
        load_run(tmp_path)
    (tmp_path / "config.yaml").write_text("name: x\n")
    with pytest.raises(MissingFileError, match=r"last\.pt"):
        load_run(tmp_path)
