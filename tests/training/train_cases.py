"""Synthetic cases and a tiny network for the training tests: a body cylinder with a bright ellipsoid.

The X-rays are the case's own projections (mean of the [0, 1] target along H for xray1 and along
W for xray2, in a fixed window), so the position and size of the ellipsoid can be learned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from x2ct.config import ProjectConfig
from x2ct.config.model import ModelConfig
from x2ct.config.train import TrainConfig
from x2ct.data.hdf5 import CaseData, write_case
from x2ct.scaling import hu_to_stored, stored_to_target

TINY_MODEL = ModelConfig(
    input_size=16,
    width=0.125,
    dense_blocks=(1, 1),
    decoder_channels=(4, 4, 8),
    branch_decoder_blocks=(1, 1),
    fused_decoder_blocks=(1, 1),
    discriminator_channels=4,
    discriminator_layers=2,
)


def synthetic_case(size: int, rng: np.random.Generator) -> CaseData:
    """One case: (size^3) ct stored as HU + 1024, uint8 xray1 / xray2 of side ``size``."""
    d, h, w = np.meshgrid(*(np.linspace(-1, 1, size),) * 3, indexing="ij")
    hu = np.full((size,) * 3, -1000.0, dtype=np.float32)
    hu[h**2 + w**2 < 0.8] = 40.0
    centre = rng.uniform(-0.35, 0.35, size=3)
    radii = rng.uniform(0.2, 0.4, size=3)
    inside = sum(((g - c) / r) ** 2 for g, c, r in zip((d, h, w), centre, radii, strict=True)) < 1
    hu[inside] = 900.0
    stored = hu_to_stored(hu)
    target = stored_to_target(stored)
    views = [target.mean(axis=1), target.mean(axis=2)]
    xrays = [np.clip(v / 0.8 * 255.0, 0, 255).astype(np.uint8) for v in views]
    return CaseData(stored, xrays[0], xrays[1])


def make_folder(
    root: Path, n_train: int = 4, n_test: int = 2, size: int = 16, seed: int = 0
) -> Path:
    """A prepared-like data folder with train.txt / test.txt; returns ``root``."""
    rng = np.random.default_rng(seed)
    names = [f"case{i:03d}" for i in range(n_train + n_test)]
    for name in names:
        write_case(root / name / "ct_xray_data.h5", synthetic_case(size, rng))
    (root / "train.txt").write_text("\n".join(names[:n_train]) + "\n")
    (root / "test.txt").write_text("\n".join(names[n_train:]) + "\n")
    return root


def tiny_config(**train: object) -> ProjectConfig:
    """The tiny test network with a short schedule; ``train`` overrides TrainConfig fields."""
    settings = {"epochs_constant": 1, "epochs_decay": 1, "checkpoint_every": 1, "image_cases": 1}
    settings.update(train)
    return ProjectConfig(name="tiny-test", model=TINY_MODEL, train=TrainConfig(**settings))


def ddp_worker(rank: int, world: int, port: int, data: Path, out: Path, config) -> None:
    """One torchrun-like process (gloo on CPU): trains, then saves its weights and step losses."""
    import os

    import torch

    from x2ct.training.loop import train

    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    losses: list[dict[str, float]] = []
    result = train(data, config, out / "run", quiet=True, on_step=lambda s, x: losses.append(x))
    state = {
        "generator": result.generator.state_dict(),
        "discriminator": result.discriminator.state_dict(),
        "losses": losses,
    }
    torch.save(state, out / f"rank{rank}.pt")


def spine_like_case(size: int, rng: np.random.Generator) -> CaseData:
    """A phantom-like case: body (muscle, fat), a curved column of vertebral bodies and discs.

    Vertebral bodies: elliptic cylinders along D with a cortical rim (1000 HU) around cancellous
    bone (250 HU), separated by discs (80 HU), and a posterior process; the column's centre moves
    left-right along a random sine (scoliosis-like) and its size varies per case.
    """
    d, h, w = np.meshgrid(*(np.linspace(-1, 1, size),) * 3, indexing="ij")
    hu = np.full((size,) * 3, -1000.0, dtype=np.float32)
    body = (h / 0.85) ** 2 + (w / 0.95) ** 2
    hu[body < 1.0] = -100.0  # fat
    hu[body < 0.75] = 50.0  # muscle
    amplitude, phase = rng.uniform(-0.25, 0.25), rng.uniform(0, np.pi)
    centre_w = amplitude * np.sin(np.pi * d + phase)
    radius = rng.uniform(0.18, 0.26)
    levels = int(rng.integers(4, 6))
    cycle = (d + 1) / 2 * levels  # position along the column in vertebra units
    in_disc = (cycle % 1.0) > 0.8
    section = ((h + 0.05) / (0.8 * radius)) ** 2 + ((w - centre_w) / radius) ** 2
    hu[(section < 1.0) & in_disc] = 80.0
    hu[(section < 1.0) & ~in_disc] = 1000.0
    hu[(section < 0.6) & ~in_disc] = 250.0
    process = ((h - 0.35) / 0.2) ** 2 + ((w - centre_w) / 0.06) ** 2
    hu[(process < 1.0) & ~in_disc] = 700.0
    stored = hu_to_stored(hu)
    target = stored_to_target(stored)
    views = [target.mean(axis=1), target.mean(axis=2)]
    xrays = [np.clip(v / 0.6 * 255.0, 0, 255).astype(np.uint8) for v in views]
    return CaseData(stored, xrays[0], xrays[1])


def make_spine_folder(root: Path, n_train: int, n_test: int, size: int, seed: int = 0) -> Path:
    """A data folder of ``spine_like_case`` cases with train.txt / test.txt."""
    rng = np.random.default_rng(seed)
    names = [f"spine{i:03d}" for i in range(n_train + n_test)]
    for name in names:
        write_case(root / name / "ct_xray_data.h5", spine_like_case(size, rng))
    (root / "train.txt").write_text("\n".join(names[:n_train]) + "\n")
    (root / "test.txt").write_text("\n".join(names[n_train:]) + "\n")
    return root
