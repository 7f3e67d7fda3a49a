"""The generator: shapes, equality with the original arrangement, gradients, checkpointing."""

from __future__ import annotations

import pytest
import torch
from model_helpers import small_config

from x2ct.models import ModelConfig, build_generator
from x2ct.models.original import OriginalArrangement


def xrays(cfg, n=1, dtype=torch.float32):
    s = cfg.input_size
    return torch.rand(n, 1, s, s, dtype=dtype), torch.rand(n, 1, s, s, dtype=dtype)


# Equality claims (fast arrangement == original, checkpointed == plain) are checked in float64:
# in float32 the tiny InstanceNorm maps at 32^3 make the result depend on the multi-threaded
# summation order, which differs between CPUs (AVX2 vs AVX-512 oneDNN kernels) by ~1e-3
# relative; in float64 that rounding is ~1e-12, so a real arrangement bug still shows clearly.
EQUALITY_ATOL = 1e-9


@pytest.mark.parametrize("size", [32, 64, 128])
def test_output_shape(size):
    cfg = small_config(size, width=0.0625 if size == 128 else 0.125)
    generator = build_generator(cfg).eval()
    with torch.no_grad():
        out = generator(*xrays(cfg, n=2))
    assert out.shape == (2, 1, size, size, size)
    assert out.min() >= 0  # ReLU output


def test_paper_size_output_shape_on_meta_device():
    with torch.device("meta"):
        generator = build_generator(ModelConfig()).eval()
        with torch.no_grad():
            out = generator(torch.empty(1, 1, 128, 128), torch.empty(1, 1, 128, 128))
    assert out.shape == (1, 1, 128, 128, 128)


def test_wrong_input_shape_is_rejected():
    cfg = small_config(32)
    generator = build_generator(cfg)
    with pytest.raises(ValueError, match="xray2"):
        generator(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 64, 64))


@pytest.mark.parametrize("size", [32, 64])
def test_fused_output_equals_original_arrangement(size):
    cfg = small_config(size, width=0.25)
    generator = build_generator(cfg).double().eval()
    original = OriginalArrangement(generator).double().eval()
    x1, x2 = xrays(cfg, n=2, dtype=torch.float64)
    with torch.no_grad():
        fast = generator(x1, x2)
        reference, frontal, lateral = original(x1, x2)
    assert frontal.shape == lateral.shape == reference.shape
    scale = reference.abs().max()
    assert scale > 0.1
    assert torch.allclose(fast, reference, rtol=0, atol=EQUALITY_ATOL * float(scale))


def test_train_mode_dropout_matches_original_with_the_same_seed():
    cfg = small_config(32, width=0.25)
    generator = build_generator(cfg).double().train()
    original = OriginalArrangement(generator, view_outputs=False).train()
    x1, x2 = xrays(cfg, dtype=torch.float64)
    torch.manual_seed(7)
    fast = generator(x1, x2)
    torch.manual_seed(7)
    reference = original(x1, x2)[0]
    torch.manual_seed(8)
    other = generator(x1, x2)
    scale = float(reference.detach().abs().max())
    assert torch.allclose(fast, reference, rtol=0, atol=EQUALITY_ATOL * scale)
    assert not torch.allclose(fast, other, rtol=0, atol=1e-3 * scale)  # dropout is active


def parameter_gradients(model, forward, x1, x2, weights):
    model.zero_grad(set_to_none=True)
    (forward(x1, x2) * weights).sum().backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def test_gradients_equal_original_arrangement():
    cfg = small_config(32, width=0.25)
    generator = build_generator(cfg).double().eval()
    original = OriginalArrangement(generator, view_outputs=False).eval()
    x1, x2 = xrays(cfg, n=2, dtype=torch.float64)
    weights = torch.randn(2, 1, 32, 32, 32, dtype=torch.float64)
    fast = parameter_gradients(generator, generator, x1, x2, weights)
    reference = parameter_gradients(generator, lambda a, b: original(a, b)[0], x1, x2, weights)
    names = [n for n, _ in generator.named_parameters()]
    assert sorted(fast) == sorted(reference) == sorted(names)  # every parameter is trained
    scale = max(float(g.abs().max()) for g in reference.values())
    for name in names:
        # Biases feeding an InstanceNorm have an exactly zero gradient: compare on one scale.
        assert torch.allclose(fast[name], reference[name], rtol=0, atol=EQUALITY_ATOL * scale), name


def test_gradient_checkpointing_gives_the_same_gradients():
    cfg = small_config(32)
    generator = build_generator(cfg).double().eval()
    x1, x2 = xrays(cfg, dtype=torch.float64)
    weights = torch.randn(1, 1, 32, 32, 32, dtype=torch.float64)
    plain = parameter_gradients(generator, generator, x1, x2, weights)
    generator.set_gradient_checkpointing(True)
    assert generator.gradient_checkpointing
    checkpointed = parameter_gradients(generator, generator, x1, x2, weights)
    scale = max(float(g.abs().max()) for g in plain.values())
    for name, grad in plain.items():
        assert torch.allclose(checkpointed[name], grad, rtol=0, atol=EQUALITY_ATOL * scale), name


def test_input_gradients_flow_to_both_xrays():
    cfg = small_config(32)
    generator = build_generator(cfg).eval()
    x1, x2 = (x.requires_grad_() for x in xrays(cfg))
    generator(x1, x2).sum().backward()
    assert x1.grad.abs().sum() > 0 and x2.grad.abs().sum() > 0


def test_bf16_autocast_runs_forward_and_backward():
    cfg = small_config(32)
    generator = build_generator(cfg).train()
    x1, x2 = xrays(cfg)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = generator(x1, x2)
    out.float().mean().backward()
    assert out.shape == (1, 1, 32, 32, 32)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in generator.parameters())


def test_training_keeps_four_full_size_volumes(monkeypatch):
    # Memory budget of a training step: at full size only the two view compressions and the
    # fused decoder's two blocks keep a volume for backward; everything else is recomputed.
    from x2ct.models import recompute

    cfg = small_config(32)
    generator = build_generator(cfg).train()
    volume = (1, cfg.scaled(cfg.decoder_channels[0]), 32, 32, 32)
    kept = []
    original_pack = recompute.Recompute._pack

    def pack(self, tensor):
        packed = original_pack(self, tensor)
        if isinstance(packed, torch.Tensor) and tuple(packed.shape) == volume:
            kept.append(packed.untyped_storage().data_ptr())
        return packed

    monkeypatch.setattr(recompute.Recompute, "_pack", pack)
    generator(*xrays(cfg)).sum().backward()
    assert len(set(kept)) == 4
