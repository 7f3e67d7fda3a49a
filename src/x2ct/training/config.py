"""Settings of training (section ``train``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class TrainConfig:
    """Losses, optimiser, schedule and run bookkeeping (defaults: the paper's)."""

    batch_size: int = 1
    epochs_constant: int = 50
    epochs_decay: int = 50
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.99)
    weight_gan: float = 0.1
    weight_mse: float = 10.0
    weight_projection: float = 10.0
    adversarial: bool = True
    """False trains the generator with MSE + projection only (the X2CT-CNN ablation)."""
    seed: int = 0
    amp: Literal["none", "bf16", "fp16"] = "none"
    gradient_checkpointing: bool = False
    checkpoint_every: int = 10
    best_metric: str = "MAE0"
    num_workers: int = 0
    augment: bool = False
    max_minutes: float | None = None
    device: str = "auto"
