"""One X2CT-GAN training step: forward, generator step with D frozen, then discriminator step.

Order as the reference: y^ = G(x1, x2); G step on w_gan * LSGAN(D(c, y^), 1) + MSE + projection
terms with the discriminator's parameters frozen (requires_grad False, so no D gradients are
computed); then the D step on D(c, y) and D(c, y^ detached). The D step runs real and fake
through the discriminator as one batch of 2N: InstanceNorm has no batch coupling, so the logits
equal two separate passes, and DDP sees a single forward and backward per step.

Mixed precision: ``amp`` bf16 or fp16 runs the forwards under torch.autocast (losses in float32);
fp16 adds one GradScaler shared by both optimisers (updated once per step).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch

from x2ct.config.model import ModelConfig
from x2ct.errors import InputError
from x2ct.losses import LossWeights, discriminator_loss, generator_loss

Builder = Callable[[ModelConfig, bool], tuple[torch.nn.Module, torch.nn.Module | None]]
"""Makes (generator, discriminator or None) from the model config and ``train.adversarial``."""

LOSS_KEYS = ("loss_g", "g_gan", "g_mse", "g_proj", "loss_d", "d_real", "d_fake")
"""Names of the per-step losses (d_* are 0 without the adversarial term)."""

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def build_networks(model: ModelConfig, adversarial: bool) -> tuple[torch.nn.Module, Any]:
    """The generator and (if ``adversarial``) the discriminator of ``x2ct.models``."""
    from x2ct.models import build_discriminator, build_generator

    return build_generator(model), build_discriminator(model) if adversarial else None


def enable_checkpointing(generator: torch.nn.Module) -> None:
    """Switch on the generator's gradient checkpointing (refused if it has none)."""
    if hasattr(generator, "set_gradient_checkpointing"):
        generator.set_gradient_checkpointing(True)
    elif hasattr(generator, "gradient_checkpointing"):
        generator.gradient_checkpointing = True
    else:
        raise InputError(
            "train.gradient_checkpointing", "a generator that supports it", "one that does not"
        )


def autocast_factory(amp: str, device: torch.device) -> Callable[[], Any]:
    """A callable returning the autocast context for ``amp`` ('none' -> a null context)."""
    if amp == "none":
        return contextlib.nullcontext
    dtype = AMP_DTYPES[amp]
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def set_requires_grad(module: torch.nn.Module, flag: bool) -> None:
    """Freeze (False) or unfreeze (True) every parameter of ``module``."""
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


def discriminator_step(
    step: Any,
    real: torch.Tensor,
    fake: torch.Tensor,
    x1: torch.Tensor,
    x2: torch.Tensor,
    weights: LossWeights,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One step of the conditional PatchGAN on real and (detached) predicted volumes.

    ``step`` carries ``discriminator`` (possibly DDP), ``d_module``, ``opt_d``, ``scaler`` and
    ``autocast``. Real and fake go through the discriminator as one batch of 2N (InstanceNorm
    has no batch coupling, so the logits equal two separate passes). The scaler is updated by
    the caller, once per step. Returns the discriminator loss and its parts.
    """
    set_requires_grad(step.d_module, True)
    n = real.shape[0]
    with step.autocast():
        logits = step.discriminator(
            torch.cat([real, fake.detach().to(real.dtype)]),
            torch.cat([x1, x1]),
            torch.cat([x2, x2]),
        )
    loss_d, parts = discriminator_loss(logits[:n], logits[n:], weights)
    step.opt_d.zero_grad(set_to_none=True)
    step.scaler.scale(loss_d).backward()
    step.scaler.step(step.opt_d)
    return loss_d, parts


class TrainStep:
    """Holds the networks, optimisers and AMP state; ``__call__(batch)`` does one step.

    Args:
        generator: G, possibly DDP-wrapped; called as generator(xray1, xray2).
        discriminator: D possibly DDP-wrapped, or None (no adversarial term).
        d_module: the unwrapped D, used in the G step (frozen, so DDP's reducer is not involved).
        opt_g, opt_d: Adam optimisers (opt_d None without D).
        weights: loss weights.
        amp: 'none', 'bf16' or 'fp16'.
        device: where the batch goes.
    """

    def __init__(
        self,
        generator: torch.nn.Module,
        discriminator: torch.nn.Module | None,
        d_module: torch.nn.Module | None,
        opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer | None,
        weights: LossWeights,
        amp: str,
        device: torch.device,
    ) -> None:
        self.generator = generator
        self.discriminator = discriminator
        self.d_module = d_module
        self.opt_g = opt_g
        self.opt_d = opt_d
        self.weights = weights
        self.device = device
        self.autocast = autocast_factory(amp, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")

    def __call__(self, batch: dict[str, Any]) -> torch.Tensor:
        """One step on a batch (items of CaseDataset collated).

        Returns:
            float32 tensor of the losses in LOSS_KEYS order (detached, this process' batch).
        """
        x1 = batch["xray1"].to(self.device, non_blocking=True)
        x2 = batch["xray2"].to(self.device, non_blocking=True)
        real = batch["ct"].to(self.device, non_blocking=True)
        adversarial = self.discriminator is not None and self.d_module is not None

        with self.autocast():
            fake = self.generator(x1, x2)
        d_fake = None
        if adversarial:
            set_requires_grad(self.d_module, False)
            with self.autocast():
                d_fake = self.d_module(fake, x1, x2)
        loss_g, g_parts = generator_loss(fake, real, d_fake, self.weights)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss_g).backward()
        self.scaler.step(self.opt_g)

        zero = torch.zeros((), device=self.device)
        loss_d, d_parts = zero, {"d_real": zero, "d_fake": zero}
        if adversarial:
            loss_d, d_parts = discriminator_step(self, real, fake, x1, x2, self.weights)
        self.scaler.update()
        values = [loss_g, g_parts["g_gan"], g_parts["g_mse"], g_parts["g_proj"], loss_d]
        values += [d_parts["d_real"], d_parts["d_fake"]]
        return torch.stack([v.detach().float() for v in values])
