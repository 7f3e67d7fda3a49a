"""One training step against an independent reference, and its AMP / checkpointing paths."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
from train_cases import TINY_MODEL

from x2ct.losses import LossWeights
from x2ct.models import build_discriminator, build_generator
from x2ct.training.step import LOSS_KEYS, TrainStep

CPU = torch.device("cpu")


def _batch(n: int = 2, size: int = 16, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "xray1": torch.rand(n, 1, size, size, generator=g),
        "xray2": torch.rand(n, 1, size, size, generator=g),
        "ct": torch.rand(n, 1, size, size, size, generator=g),
    }


def _networks(model=TINY_MODEL, seed: int = 0):
    torch.manual_seed(seed)
    generator, discriminator = build_generator(model), build_discriminator(model)
    return generator, discriminator


def _adam(module: torch.nn.Module) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.99))


def _sgd(module: torch.nn.Module) -> torch.optim.SGD:
    # SGD makes the update proportional to the gradient: Adam would turn the numerically-zero
    # gradients of conv biases followed by InstanceNorm into +-lr steps of random sign.
    return torch.optim.SGD(module.parameters(), lr=0.1)


def _step(generator, discriminator, amp: str = "none", optimizer=_adam) -> TrainStep:
    return TrainStep(
        generator,
        discriminator,
        discriminator,
        optimizer(generator),
        None if discriminator is None else optimizer(discriminator),
        LossWeights(),
        amp,
        CPU,
    )


def _reference_step(generator, discriminator, batch) -> None:
    """The reference's update written out: G step with D's gradients discarded, then D step."""
    opt_g, opt_d = _sgd(generator), _sgd(discriminator)
    x1, x2, y = batch["xray1"], batch["xray2"], batch["ct"]
    fake = generator(x1, x2)
    d_fake = discriminator(fake, x1, x2)
    projection = sum((fake.mean(dim=k) - y.mean(dim=k)).abs().mean() for k in (2, 3, 4))
    loss_g = 0.1 * ((d_fake - 1) ** 2).mean() + 10 * ((fake - y) ** 2).mean() + 10 / 3 * projection
    grads = torch.autograd.grad(loss_g, list(generator.parameters()))
    for parameter, grad in zip(generator.parameters(), grads, strict=True):
        parameter.grad = grad
    opt_g.step()
    d_real = discriminator(y, x1, x2)  # separate passes (TrainStep batches real + fake)
    d_fake = discriminator(fake.detach(), x1, x2)
    loss_d = 0.1 * (((d_real - 1) ** 2).mean() + (d_fake**2).mean())
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()


def _assert_close(a: torch.nn.Module, b: torch.nn.Module, atol: float = 1e-6) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.allclose(p, q, atol=atol, rtol=0), name


def test_step_matches_the_reference_update():
    generator, discriminator = _networks()
    ref_g, ref_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
    batch = _batch()
    torch.manual_seed(5)  # the same dropout mask in both
    losses = _step(generator, discriminator, optimizer=_sgd)(batch)
    torch.manual_seed(5)
    _reference_step(ref_g, ref_d, batch)
    _assert_close(generator, ref_g)
    _assert_close(discriminator, ref_d)
    assert losses.shape == (len(LOSS_KEYS),)
    named = dict(zip(LOSS_KEYS, losses.tolist(), strict=True))
    assert named["loss_g"] == pytest.approx(named["g_gan"] + named["g_mse"] + named["g_proj"])
    assert named["loss_d"] == pytest.approx(named["d_real"] + named["d_fake"])
    # Both networks moved, and the discriminator is trainable again after the step.
    assert all(p.requires_grad for p in discriminator.parameters())


def test_step_without_discriminator_changes_only_the_generator():
    generator, _ = _networks()
    before = copy.deepcopy(generator)
    losses = _step(generator, None)(_batch())
    named = dict(zip(LOSS_KEYS, losses.tolist(), strict=True))
    assert named["g_gan"] == 0 and named["loss_d"] == 0
    pairs = zip(generator.parameters(), before.parameters(), strict=True)
    assert any(not torch.equal(p, q) for p, q in pairs)


def test_gradient_checkpointing_gives_the_same_update():
    plain, disc = _networks()
    ckpt, disc2 = copy.deepcopy(plain), copy.deepcopy(disc)
    ckpt.gradient_checkpointing = True
    batch = _batch()
    torch.manual_seed(9)
    a = _step(plain, disc, optimizer=_sgd)(batch)
    torch.manual_seed(9)
    b = _step(ckpt, disc2, optimizer=_sgd)(batch)
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)
    _assert_close(plain, ckpt)
    _assert_close(disc, disc2)


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_step_runs_on_cpu(amp):
    model = dataclasses.replace(TINY_MODEL, dropout=0.0)
    full_g, full_d = _networks(model)
    half_g, half_d = copy.deepcopy(full_g), copy.deepcopy(full_d)
    batch = _batch()
    reference = _step(full_g, full_d)(batch)
    step = _step(half_g, half_d, amp)
    losses = step(batch)
    assert torch.isfinite(losses).all()
    # Same inputs and weights: the losses of the forward pass agree to the precision's level.
    assert torch.allclose(losses, reference, rtol=0.05, atol=1e-3)
    assert step.scaler.is_enabled() == (amp == "fp16")
    for _ in range(3):  # fp16: the scaler skips steps with overflow and lowers its scale
        assert torch.isfinite(step(batch)).all()
