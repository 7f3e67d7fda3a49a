"""InstanceNorm without running statistics, the fast InstanceNorm + ReLU, initialisation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from model_helpers import small_config
from torch import nn

from x2ct.models import ModelConfig, build_discriminator, build_generator, init_weights, norm


def test_every_norm_is_instance_norm_without_running_stats():
    cfg = small_config(32)
    for network in (build_generator(cfg), build_discriminator(cfg)):
        norms = [m for m in network.modules() if isinstance(m, nn.modules.batchnorm._NormBase)]
        assert norms
        for m in norms:
            assert isinstance(m, nn.InstanceNorm2d | nn.InstanceNorm3d)
            assert not m.affine and not m.track_running_stats
        assert not any("running" in name for name, _ in network.named_buffers())


def test_train_and_eval_agree_without_dropout():
    cfg = small_config(32, dropout=0.0)
    generator = build_generator(cfg)
    x1, x2 = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        train = generator.train()(x1, x2)
        evaluation = generator.eval()(x1, x2)
    assert torch.equal(train, evaluation)


def reference_in_relu(x):
    return F.relu(F.instance_norm(x, eps=1e-5))


def test_fast_instance_norm_relu_matches_torch(monkeypatch):
    monkeypatch.setattr(norm, "CHUNK_ELEMENTS", 500)  # several chunks per sample
    x = (torch.randn(2, 6, 7, 9, 10, dtype=torch.float64) * 3 + 2).contiguous(
        memory_format=torch.channels_last_3d
    )
    weights = torch.randn_like(x)
    fast_input = x.clone().requires_grad_()
    reference_input = x.clone().requires_grad_()
    fast = norm.instance_norm_relu_(fast_input * 1.0)
    reference = reference_in_relu(reference_input)
    assert torch.allclose(fast, reference, atol=1e-12)
    (fast * weights).sum().backward()
    (reference * weights).sum().backward()
    assert torch.allclose(fast_input.grad, reference_input.grad, atol=1e-12)


def test_fast_instance_norm_gradcheck(monkeypatch):
    monkeypatch.setattr(norm, "CHUNK_ELEMENTS", 64)
    x = torch.randn(1, 3, 4, 5, 3, dtype=torch.float64).contiguous(
        memory_format=torch.channels_last_3d
    )
    x.requires_grad_()
    assert torch.autograd.gradcheck(lambda t: norm.instance_norm_relu_(t * 1.0), (x,))


def test_fast_instance_norm_in_place_without_grad():
    x = torch.randn(1, 4, 8, 8, 8).contiguous(memory_format=torch.channels_last_3d)
    expected = reference_in_relu(x)
    out = norm.instance_norm_relu_(x)
    assert out.data_ptr() == x.data_ptr()
    assert torch.allclose(out, expected, atol=1e-5)


def test_initialisation_statistics():
    cfg = ModelConfig(input_size=64, width=0.5, discriminator_channels=16)
    generator = build_generator(cfg)
    fc = generator.frontal.bottleneck[0]
    fc_weight = fc.weight.detach()
    assert fc_weight.numel() > 300_000
    assert abs(float(fc_weight.std()) - 0.02) < 0.0005
    assert abs(float(fc_weight.mean())) < 0.0005
    weights = torch.cat(
        [m.weight.detach().flatten() for m in generator.modules() if isinstance(m, nn.Conv3d)]
    )
    assert abs(float(weights.std()) - 0.02) < 0.001
    for network in (generator, build_discriminator(cfg)):
        for name, parameter in network.named_parameters():
            if name.endswith("bias"):
                assert torch.count_nonzero(parameter) == 0, name


def test_init_weights_resets_a_module():
    layer = nn.Conv3d(8, 8, 3)
    nn.init.constant_(layer.weight, 1.0)
    nn.init.constant_(layer.bias, 1.0)
    init_weights(nn.Sequential(layer), std=0.5)
    assert torch.count_nonzero(layer.bias) == 0
    assert 0.4 < float(layer.weight.detach().std()) < 0.6


def test_inference_mode_then_training_reuses_scratch_safely():
    norm._POOL.__dict__.clear()  # the scratch buffers are first made under inference mode
    x = torch.randn(1, 4, 8, 8, 8).contiguous(memory_format=torch.channels_last_3d)
    with torch.inference_mode():
        norm.instance_norm_relu_(x.clone())
    leaf = x.clone().requires_grad_()
    norm.instance_norm_relu_(leaf * 1.0).sum().backward()
    assert leaf.grad is not None
