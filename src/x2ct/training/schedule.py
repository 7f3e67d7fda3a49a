"""Learning-rate schedule: constant for N epochs, then linear decay over M epochs.

With N = ``epochs_constant``, M = ``epochs_decay`` and a 0-based epoch index e::

    factor(e) = 1                          for 0 <= e < N
    factor(e) = (N + M - e) / (M + 1)      for N <= e < N + M

i.e. the points e = N - 1 (factor 1) and e = N + M (factor 0, not trained) are the ends of a
straight line and every decay epoch lies strictly between them: the first decay epoch trains at
M / (M + 1) of the base rate, the last one at 1 / (M + 1). No training epoch has a learning rate
of 0 (the original code's off-by-one gave its last epoch lr = 0). The rate is a pure function of
the epoch index, so a resumed run uses exactly the rates of an uninterrupted one (a schedule
fitted to a time budget is decided once, after the first epoch, and saved in the checkpoint).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from x2ct.config.train import TrainConfig
from x2ct.errors import InputError


def total_epochs(cfg: TrainConfig) -> int:
    """Number of training epochs, N + M."""
    return cfg.epochs_constant + cfg.epochs_decay


def lr_factor(epoch: int, epochs_constant: int, epochs_decay: int) -> float:
    """Multiplier of the base learning rate in 0-based ``epoch`` (see the module docstring)."""
    if epoch < 0 or epoch >= epochs_constant + epochs_decay:
        raise InputError(
            "train schedule",
            f"an epoch in 0..{epochs_constant + epochs_decay - 1}",
            f"epoch {epoch}",
        )
    if epoch < epochs_constant:
        return 1.0
    return (epochs_constant + epochs_decay - epoch) / (epochs_decay + 1)


def lr_at(epoch: int, cfg: TrainConfig) -> float:
    """Learning rate of both optimisers during 0-based ``epoch``."""
    return cfg.lr * lr_factor(epoch, cfg.epochs_constant, cfg.epochs_decay)


def fit_schedule(epochs_constant: int, epochs_decay: int, epochs_fit: int) -> tuple[int, int]:
    """Shrink (N, M) in proportion to ``epochs_fit`` epochs in total (never grows it).

    Used with a time budget after the first epoch (``train.fit_schedule_to_budget``): N' keeps
    at least that first, constant-rate epoch. A schedule without constant epochs is kept.
    """
    total = epochs_constant + epochs_decay
    if epochs_fit >= total or epochs_constant < 1:
        return epochs_constant, epochs_decay
    fitted = max(1, epochs_fit)
    constant = min(fitted, max(1, round(fitted * epochs_constant / total)))
    return constant, fitted - constant


def set_lr(optimizers: Iterable[torch.optim.Optimizer], lr: float) -> None:
    """Set the learning rate of every parameter group of the given optimisers."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = lr
