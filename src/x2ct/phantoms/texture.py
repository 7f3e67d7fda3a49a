"""Smooth noise textures of the soft tissues: 2D fields at key slices, interpolated along D."""

from __future__ import annotations

import numpy as np

from x2ct.phantoms.sdf import Grid

KEY_SPACING_MM = 10.0
"""Distance between two key slices (mm along D)."""


def _upsampler(n: int, m: int) -> np.ndarray:
    """(n, m) matrix of linear interpolation from m samples to n samples over the same extent."""
    pos = np.clip((np.arange(n) + 0.5) * m / n - 0.5, 0, m - 1)
    lo = np.minimum(np.floor(pos).astype(int), m - 2)
    f = pos - lo
    mat = np.zeros((n, m), dtype=np.float32)
    mat[np.arange(n), lo] = 1 - f
    mat[np.arange(n), lo + 1] += f
    return mat


class KeyTexture:
    """Smooth noise of unit-ish std: 2D fields at key slices every KEY_SPACING_MM, linear along D.

    Keys are drawn at a quarter of the in-plane resolution and upsampled (plenty for features of
    several mm), lazily and each from its own seed, so a key does not depend on which slabs are
    asked for; ``slab(d0, d1)`` returns the (d1 - d0, H, W) part of the volume.
    """

    def __init__(self, seed: int, grid: Grid, feature_mm: float) -> None:
        self.seed = seed
        self.grid = grid
        self.small = (max(grid.shape[1] // 4, 8), max(grid.shape[2] // 4, 8))
        self.sigma = feature_mm / (grid.spacing[1] * grid.shape[1] / self.small[0])
        self.keys: dict[int, np.ndarray] = {}

    def key(self, k: int) -> np.ndarray:
        if k not in self.keys:
            from scipy import ndimage

            h, w = self.grid.shape[1:]
            rng = np.random.default_rng([self.seed, k])
            field = ndimage.gaussian_filter(
                rng.standard_normal(self.small).astype(np.float32), self.sigma
            )
            field = _upsampler(h, self.small[0]) @ field @ _upsampler(w, self.small[1]).T
            self.keys[k] = field / (field.std() + 1e-6)
        return self.keys[k]

    def slab(self, d0: int, d1: int) -> np.ndarray:
        pos = np.arange(d0, d1) * self.grid.spacing[0] / KEY_SPACING_MM
        k0 = np.floor(pos).astype(int)
        f = (pos - k0).astype(np.float32)
        out = np.empty((d1 - d0, *self.grid.shape[1:]), dtype=np.float32)
        for i, (k, fi) in enumerate(zip(k0, f, strict=True)):
            np.multiply(self.key(k), 1 - fi, out=out[i])
            out[i] += fi * self.key(k + 1)
        return out
