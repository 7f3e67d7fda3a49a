"""One SpineNet training step: forward the three heads, the spine loss, one Adam step.

The counterpart of ``TrainStep`` for the spine family (no discriminator): same call
(``step(batch)`` -> detached float32 losses) and the same AMP handling, with its own loss names.
"""

from __future__ import annotations

from typing import Any

import torch

from x2ct.models.spine.loss import SPINE_LOSS_KEYS, SpineLossWeights, spine_loss
from x2ct.training.step import autocast_factory


class SpineStep:
    """Holds SpineNet (possibly DDP-wrapped), its optimiser and AMP state.

    Args:
        network: SpineNet or DDP(SpineNet); called as network(xray1, xray2, heads=True).
        bone_target: the bone threshold on the [0, 1] target scale.
        optimizer: Adam over the network's parameters.
        weights: loss weights.
        amp: 'none', 'bf16' or 'fp16'.
        device: where the batch goes.
    """

    loss_keys = SPINE_LOSS_KEYS

    def __init__(
        self,
        network: torch.nn.Module,
        bone_target: float,
        optimizer: torch.optim.Optimizer,
        weights: SpineLossWeights,
        amp: str,
        device: torch.device,
    ) -> None:
        self.network = network
        self.bone_target = bone_target
        self.opt_g = optimizer
        self.weights = weights
        self.device = device
        self.autocast = autocast_factory(amp, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")

    def __call__(self, batch: dict[str, Any]) -> torch.Tensor:
        """One step on a collated batch with ``labels``; returns the losses (SPINE_LOSS_KEYS)."""
        x1 = batch["xray1"].to(self.device, non_blocking=True)
        x2 = batch["xray2"].to(self.device, non_blocking=True)
        ct = batch["ct"].to(self.device, non_blocking=True)
        labels = batch["labels"].to(self.device, non_blocking=True)
        with self.autocast():
            heads = self.network(x1, x2, heads=True)
        loss, parts = spine_loss(heads, ct, labels, self.bone_target, self.weights)
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt_g)
        self.scaler.update()
        values = [loss, *(parts[key] for key in SPINE_LOSS_KEYS[1:])]
        return torch.stack([v.detach().float() for v in values])


def make_spine_step(config: Any, data_settings: dict[str, Any] | None, ctx: Any):
    """(SpineNet on ctx.device, its Adam, its SpineStep) for a project config.

    The network lifts along the rays of the data's geometry (``data_settings``, the manifest's
    ``settings``); under torchrun the step drives a DDP wrapper of it.
    """
    from x2ct.models import build_model

    tcfg, device = config.train, ctx.device
    network = build_model(config, data_settings).to(device)
    optimizer = torch.optim.Adam(network.parameters(), lr=tcfg.lr, betas=tcfg.betas)
    stepped = network
    if ctx.distributed:
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        stepped = DistributedDataParallel(network, device_ids=ids)
    weights = SpineLossWeights(
        tcfg.weight_l1,
        tcfg.weight_bone,
        tcfg.weight_levels,
        intensity=tcfg.spine_intensity_loss,
        projection=tcfg.weight_spine_projection,
    )
    step = SpineStep(stepped, network.bone_target, optimizer, weights, tcfg.amp, device)
    return network, optimizer, step
