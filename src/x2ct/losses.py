"""X2CT-GAN losses (reference "Losses and optimisation").

Tensors: CT volumes (N, 1, D, H, W) in the network's [0, 1] target scale; discriminator outputs
are PatchGAN logits (N, 1, P, P, P) without a sigmoid (least-squares GAN).

- Generator: w_gan * MSE(D(c, y^), 1) + w_mse * MSE(y^, y)
  + (w_proj / 3) * sum over k in {D, H, W} of L1(mean_k y^, mean_k y)
- Discriminator: w_gan * [MSE(D(c, y), 1) + MSE(D(c, y^ detached), 0)]

Every term is a mean over its elements, so a batch's loss is the mean of its cases' losses (the
networks use InstanceNorm, no batch coupling): DDP's gradient averaging over ranks with equal
per-rank batches then equals the single-process gradient of the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from x2ct.config.train import TrainConfig

VOLUME_AXES = (2, 3, 4)
"""Tensor axes of D, H and W in an (N, C, D, H, W) volume."""


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (from ``TrainConfig``: weight_gan, weight_mse, weight_projection)."""

    gan: float = 0.1
    mse: float = 10.0
    projection: float = 10.0
    """Total over the three axes; each axis' L1 gets projection / 3."""

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> LossWeights:
        """Weights of a ``TrainConfig``."""
        return cls(cfg.weight_gan, cfg.weight_mse, cfg.weight_projection)


def lsgan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Least-squares GAN term: mean (logits - 1)^2 if ``real`` else mean logits^2 (float32)."""
    logits = logits.float()
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.mse_loss(logits, target)


def projection_l1(fake: torch.Tensor, real: torch.Tensor, axis: int) -> torch.Tensor:
    """L1 between the orthographic projections (means) of two (N, C, D, H, W) volumes along ``axis``
    (half-precision inputs are computed in float32, float64 ones in float64)."""
    fake, real = (
        x.float() if x.dtype in (torch.float16, torch.bfloat16) else x for x in (fake, real)
    )
    return F.l1_loss(fake.mean(dim=axis), real.mean(dim=axis).to(fake.dtype))


def projection_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Sum over D, H and W of the projection L1 losses (unweighted)."""
    return sum(projection_l1(fake, real, axis) for axis in VOLUME_AXES)  # type: ignore[return-value]


def generator_loss(
    fake: torch.Tensor,
    real: torch.Tensor,
    d_fake: torch.Tensor | None,
    weights: LossWeights,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Generator loss and its weighted parts.

    Args:
        fake: (N, 1, D, H, W) generator output y^.
        real: (N, 1, D, H, W) target y in [0, 1].
        d_fake: discriminator logits on (c, y^), or None without the adversarial term.
        weights: term weights.

    Returns:
        (total, parts) with parts ``g_gan``, ``g_mse``, ``g_proj`` (each already weighted; g_gan is
        0 when ``d_fake`` is None), all float32 scalars.
    """
    mse = weights.mse * F.mse_loss(fake.float(), real.float())
    proj = (weights.projection / len(VOLUME_AXES)) * projection_loss(fake, real)
    if d_fake is None:
        gan = torch.zeros((), dtype=torch.float32, device=fake.device)
    else:
        gan = weights.gan * lsgan_loss(d_fake, real=True)
    total = gan + mse + proj
    return total, {"g_gan": gan, "g_mse": mse, "g_proj": proj}


def discriminator_loss(
    d_real: torch.Tensor, d_fake: torch.Tensor, weights: LossWeights
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Discriminator loss w_gan * [MSE(d_real, 1) + MSE(d_fake, 0)] and its weighted parts.

    Args:
        d_real: logits on (c, y), (N, 1, P, P, P).
        d_fake: logits on (c, y^ detached), same shape.

    Returns:
        (total, parts) with parts ``d_real`` and ``d_fake`` (weighted float32 scalars).
    """
    real_term = weights.gan * lsgan_loss(d_real, real=True)
    fake_term = weights.gan * lsgan_loss(d_fake, real=False)
    return real_term + fake_term, {"d_real": real_term, "d_fake": fake_term}
