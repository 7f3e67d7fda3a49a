"""Intensity conventions shared by the HDF5 files, the network and the metrics.

- HDF5 ``ct`` stores HU + 1024 clipped at 0 (as the original X2CT code does).
- The network target is clip(HU + 1024, 0, 2500) / 2500, i.e. HU -1024..1476 mapped to [0, 1].
- Back to HU: HU = 2500 * y - 1024.
"""

from __future__ import annotations

import numpy as np

HU_OFFSET = 1024.0
CT_RANGE = 2500.0
"""Width of the HU window that the network target spans (-1024 .. 1476 HU)."""


def hu_to_stored(hu: np.ndarray) -> np.ndarray:
    """HU -> stored CT value (HU + 1024, clipped at 0), float32."""
    return np.maximum(np.asarray(hu, dtype=np.float32) + HU_OFFSET, 0.0).astype(np.float32)


def stored_to_target(stored: np.ndarray) -> np.ndarray:
    """Stored CT value -> network target in [0, 1]."""
    return (np.clip(np.asarray(stored, dtype=np.float32), 0.0, CT_RANGE) / CT_RANGE).astype(
        np.float32
    )


def hu_to_target(hu: np.ndarray) -> np.ndarray:
    """HU -> network target in [0, 1]."""
    return stored_to_target(hu_to_stored(hu))


def target_to_hu(target: np.ndarray) -> np.ndarray:
    """Network output (nominally [0, 1]) -> HU."""
    return (np.asarray(target, dtype=np.float32) * CT_RANGE - HU_OFFSET).astype(np.float32)
