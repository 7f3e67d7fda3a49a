"""What the training loop counts and returns: LoopState (saved in last.pt) and TrainResult."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from x2ct.training.run import StopRequest
from x2ct.training.step import LOSS_KEYS


@dataclass
class LoopState:
    """Counters saved in last.pt (epoch and batch_in_epoch: where training continues)."""

    epoch: int = 0
    batch_in_epoch: int = 0
    step: int = 0
    sums: list[float] = field(default_factory=lambda: [0.0] * len(LOSS_KEYS))
    """Running sums of the step losses (LOSS_KEYS order) in the current epoch."""
    epoch_seconds: float = 0.0
    elapsed: float = 0.0
    """Training + validation seconds over the whole run (resumes included)."""
    best_value: float | None = None
    best_epoch: int | None = None
    schedule: list[int] | None = None
    """(epochs_constant, epochs_decay) fitted to the time budget, once decided."""

    def record_validation(self, value: float | None, lower_is_better: bool, epoch: int) -> bool:
        """Keep ``value`` (of the best metric, after ``epoch`` epochs) if it is the best so far;
        return whether it was (None, no validation this epoch, never is)."""
        if value is None:
            return False
        best = self.best_value
        if best is not None and (value >= best if lower_is_better else value <= best):
            return False
        self.best_value, self.best_epoch = value, epoch
        return True


@dataclass
class TrainResult:
    """How a call of ``train`` ended.

    ``stopped`` is 'finished', 'max_steps', 'time budget', 'signal' or 'already done';
    ``epochs`` counts completed epochs; ``metrics`` holds the last validation means.
    """

    run_dir: Path
    stopped: str
    epochs: int
    step: int
    best_metric: str
    best_value: float | None
    best_epoch: int | None
    metrics: dict[str, float]
    generator: torch.nn.Module | None = field(default=None, repr=False)
    """The trained generator (unwrapped, on the training device, train mode)."""
    discriminator: torch.nn.Module | None = field(default=None, repr=False)


def stop_reason(stop: StopRequest, state: LoopState, tcfg: Any, started: float) -> str | None:
    """Why training should stop after this step, or None."""
    if stop.requested:
        return "signal"
    if tcfg.max_steps is not None and state.step >= tcfg.max_steps:
        return "max_steps"
    if tcfg.max_minutes is not None and (time.monotonic() - started) / 60 >= tcfg.max_minutes:
        return "time budget"
    return None
