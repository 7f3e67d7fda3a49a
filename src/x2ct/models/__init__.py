"""X2CT-GAN networks: the biplanar generator and the conditional 3D PatchGAN discriminator.

Frames: a CT is (N, 1, D, H, W) (the model frame of ``x2ct.volume``); xray1 is the frontal view
(N, 1, S, S), rows = D, cols = W; xray2 the lateral view, rows = D, cols = H. X-rays are in [0, 1];
the generator's output is ReLU (unbounded above) for a target in [0, 1].

The torch-based names load on first use, so that ``x2ct.models.config`` (read with every
configuration) stays cheap to import.
"""

from __future__ import annotations

from x2ct.lazy import lazy_exports

_EXPORTS = {
    "ModelConfig": "config",
    "PatchDiscriminator3D": "discriminator",
    "conditional_input": "discriminator",
    "patch_grid": "discriminator",
    "X2CTGenerator": "generator",
    "count_parameters": "layers",
    "init_weights": "layers",
    "build_generator": "build",
    "build_model": "build",
    "build_spine_network": "build",
    "build_discriminator": "build",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports("x2ct.models", _EXPORTS, globals())
