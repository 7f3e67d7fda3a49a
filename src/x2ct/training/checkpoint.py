"""Writing the checkpoints of a run folder, and the random states they carry.

Run folder files written here (atomically, by rank 0; ``x2ct.models.runfolder`` reads them):
- ``checkpoints/last.pt``: everything to resume (weights, Adam states, GradScaler, epoch, step,
  position in the epoch, running epoch sums, best value, the RNG states of every rank).
- ``checkpoints/epoch_NNNN.pt``: a copy of last.pt after every ``train.checkpoint_every`` epochs.
- ``checkpoints/best.pt``: the weights (no optimiser state) at the best validation value.
Every file holds the full config (``config``) and loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from x2ct.atomic import atomic_path


def rng_state() -> dict[str, Any]:
    """The state of every random generator of this process (python, numpy, torch CPU and CUDA)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (kind, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore generators saved by ``rng_state``."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def stream_seed(seed: int, rank: int) -> int:
    """Seed of a rank's training stream (dropout): distinct per rank, fixed by the run's seed."""
    return int(np.random.SeedSequence([seed, rank, 7]).generate_state(1, dtype=np.uint32)[0])


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write a checkpoint atomically (a crash never leaves a partial file under ``path``)."""
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def copy_checkpoint(source: str | Path, target: str | Path) -> Path:
    """Copy a checkpoint file atomically."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)
