"""One SpineNet training step: forward the heads, the spine loss, one Adam step; optionally the
conditional PatchGAN's step after it.

The counterpart of ``TrainStep`` for the spine family: same call (``step(batch)`` -> detached
float32 losses) and the same AMP handling, with its own loss names (``SPINE_STEP_KEYS``).

With ``train.adversarial`` the network's HU head also gets X2CT-GAN's least-squares GAN term
``weight_gan * MSE(D(c, ct^), 1)`` (D frozen), and D then steps on real and predicted volumes, as
in ``TrainStep``. D is X2CT-GAN's PatchDiscriminator3D at the cube size; the views it is
conditioned on are average-pooled from the network's view size to the cube size.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from x2ct.losses import LossWeights, lsgan_loss
from x2ct.models.spine.loss import SPINE_LOSS_KEYS, SpineLossWeights, spine_loss
from x2ct.training.step import autocast_factory, discriminator_step, set_requires_grad

SPINE_STEP_KEYS = (*SPINE_LOSS_KEYS, "gan", "loss_d")
"""Per-step losses of the spine family: the spine loss's parts, then the generator's weighted
LSGAN term (included in ``loss``) and the discriminator's loss (0 without ``train.adversarial``)."""


def pooled_views(x1: torch.Tensor, x2: torch.Tensor, size: int) -> tuple[torch.Tensor, ...]:
    """(N, 1, X, X) views -> (N, 1, size, size) by average pooling (X a multiple of size)."""
    factor = x1.shape[-1] // size
    if factor == 1:
        return x1, x2
    return F.avg_pool2d(x1, factor), F.avg_pool2d(x2, factor)


class SpineStep:
    """Holds SpineNet (possibly DDP-wrapped), its optimiser, AMP state and the optional D.

    Args:
        network: SpineNet or DDP(SpineNet); called as network(xray1, xray2, heads=True).
        bone_target: the bone threshold on the [0, 1] target scale.
        optimizer: Adam over the network's parameters.
        weights: loss weights.
        amp: 'none', 'bf16' or 'fp16'.
        device: where the batch goes.
        classes: classes of the level labels (``model.spine_classes``).
        discriminator: D possibly DDP-wrapped, or None (no adversarial term).
        d_module: the unwrapped D (used frozen in the network's step).
        opt_d: Adam of D.
        gan_weights: X2CT-GAN's weights (only ``gan`` is used).
    """

    loss_keys = SPINE_STEP_KEYS

    def __init__(
        self,
        network: torch.nn.Module,
        bone_target: float,
        optimizer: torch.optim.Optimizer,
        weights: SpineLossWeights,
        amp: str,
        device: torch.device,
        *,
        classes: int = 26,
        discriminator: torch.nn.Module | None = None,
        d_module: torch.nn.Module | None = None,
        opt_d: torch.optim.Optimizer | None = None,
        gan_weights: LossWeights = LossWeights(),
    ) -> None:
        self.network = network
        self.bone_target = bone_target
        self.opt_g = optimizer
        self.weights = weights
        self.device = device
        self.classes = classes
        self.discriminator, self.d_module, self.opt_d = discriminator, d_module, opt_d
        self.gan_weights = gan_weights
        self.autocast = autocast_factory(amp, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")

    def __call__(self, batch: dict[str, Any]) -> torch.Tensor:
        """One step on a collated batch with ``labels``; returns the losses (SPINE_STEP_KEYS)."""
        x1 = batch["xray1"].to(self.device, non_blocking=True)
        x2 = batch["xray2"].to(self.device, non_blocking=True)
        ct = batch["ct"].to(self.device, non_blocking=True)
        labels = batch["labels"].to(self.device, non_blocking=True)
        with self.autocast():
            heads = self.network(x1, x2, heads=True)
        loss, parts = spine_loss(
            heads, ct, labels, self.bone_target, self.weights, classes=self.classes
        )
        zero = loss.new_zeros(())
        gan, loss_d = zero, zero
        adversarial = self.d_module is not None and self.discriminator is not None
        if adversarial:
            c1, c2 = pooled_views(x1, x2, ct.shape[-1])
            set_requires_grad(self.d_module, False)
            with self.autocast():
                d_fake = self.d_module(heads["ct"], c1, c2)
            gan = self.gan_weights.gan * lsgan_loss(d_fake, real=True)
            loss = loss + gan
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt_g)
        if adversarial:
            loss_d, _ = discriminator_step(self, ct, heads["ct"], c1, c2, self.gan_weights)
        self.scaler.update()
        values = [loss, *(parts[key] for key in SPINE_LOSS_KEYS[1:]), gan, loss_d]
        return torch.stack([v.detach().float() for v in values])


def make_spine_step(config: Any, data_settings: dict[str, Any] | None, ctx: Any):
    """(SpineNet on ctx.device, its Adam, D or None, D's Adam or None, the SpineStep) for a
    project config.

    The network lifts along the rays of the data's geometry (``data_settings``, the manifest's
    ``settings``); under torchrun the step drives DDP wrappers of the networks.
    """
    from x2ct.models import build_discriminator, build_model

    tcfg, device = config.train, ctx.device
    adam = {"lr": tcfg.lr, "betas": tcfg.betas}
    network = build_model(config, data_settings).to(device)
    optimizer = torch.optim.Adam(network.parameters(), **adam)
    discriminator = opt_d = None
    if tcfg.adversarial:
        discriminator = build_discriminator(config.model).to(device)
        opt_d = torch.optim.Adam(discriminator.parameters(), **adam)
    stepped, d_stepped = network, discriminator
    if ctx.distributed:
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        stepped = DistributedDataParallel(network, device_ids=ids)
        if discriminator is not None:
            d_stepped = DistributedDataParallel(discriminator, device_ids=ids)
    weights = SpineLossWeights(
        tcfg.weight_l1,
        tcfg.weight_bone,
        tcfg.weight_levels,
        intensity=tcfg.spine_intensity_loss,
        projection=tcfg.weight_spine_projection,
    )
    step = SpineStep(
        stepped, network.bone_target, optimizer, weights, tcfg.amp, device,
        classes=config.model.spine_classes, discriminator=d_stepped, d_module=discriminator,
        opt_d=opt_d, gan_weights=LossWeights.from_config(tcfg),
    )  # fmt: skip
    return network, optimizer, discriminator, opt_d, step
