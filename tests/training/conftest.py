"""Shared fixtures of the training tests: one small synthetic data folder per session."""

from __future__ import annotations

import pytest
from train_cases import make_folder


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """4 training and 2 test cases at 16^3 (read-only for the tests)."""
    return make_folder(tmp_path_factory.mktemp("data"), n_train=4, n_test=2, size=16)


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """The tiny test networks gain nothing from threads, and on a busy machine OpenMP threads
    competing for cores slow a step down by an order of magnitude."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
