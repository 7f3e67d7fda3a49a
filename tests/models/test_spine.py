"""SpineNet: ray lifting against the DRR renderer, shapes, heads, bone-consistent output, loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from x2ct.drr import ConeBeam, ParallelBeam, render
from x2ct.errors import InputError
from x2ct.models import ModelConfig, build_model
from x2ct.models.spine import LiftGeometry, RayLifter, SpineNet, lift_geometry, view_grids
from x2ct.models.spine.loss import SpineLossWeights, soft_dice_loss, spine_loss


def spine_config(**overrides) -> ModelConfig:
    settings = {
        "family": "spine",
        "input_size": 16,
        "view_size": 32,
        "spine_channels_2d": (4, 4, 8),
        "spine_channels_3d": (4, 4, 8),
        "spine_bottom_blocks": 1,
        "spine_classes": 26,
    }
    settings.update(overrides)
    return ModelConfig(**settings)


@pytest.mark.parametrize("view", ["frontal", "lateral"])
@pytest.mark.parametrize("cone", [True, False])
def test_lifted_voxel_reads_its_own_drr_spot(view, cone):
    """A single off-centre voxel's DRR peak is where the lifting grid samples for that voxel."""
    size, field, sad = 32, 320.0, 400.0  # a short SAD makes the cone divergence large
    spacing = field / size
    voxel = (5, 24, 9)  # (d, h, w): away from the centre on every axis
    volume = np.zeros((size,) * 3, np.float32)
    volume[voxel] = 1.0
    geometry = ConeBeam(sad_mm=sad, sdd_mm=1.5 * sad) if cone else ParallelBeam()
    image = render(volume, geometry, view, spacing_mm=(spacing,) * 3, units="mu")[0]
    lifter = RayLifter(LiftGeometry(cone=cone, sad_mm=sad, field_mm=field), size)
    lifted = lifter(torch.from_numpy(image)[None, None].double(), 0 if view == "frontal" else 1)
    # The peak of the lifted volume along the voxel's own ray lies at the voxel's projection:
    # the lifted value at the voxel equals the image maximum (bilinear at the projected spot).
    value = float(lifted[0, 0][voxel])
    assert value == pytest.approx(float(image.max()), rel=0.35)
    rows, cols = np.unravel_index(np.argmax(image), image.shape)
    grid = view_grids(LiftGeometry(cone=cone, sad_mm=sad, field_mm=field), size)[
        0 if view == "frontal" else 1
    ]
    x, y = grid[voxel[0], voxel[1] * size + voxel[2]].tolist()
    pixel = ((np.array([x, y]) + 1) * image.shape[0] - 1) / 2  # align_corners=False
    assert abs(pixel[0] - cols) <= 1.0 and abs(pixel[1] - rows) <= 1.0


def test_cone_grid_matches_the_magnification_formula_in_float64():
    geometry = LiftGeometry(cone=True, sad_mm=850.0, field_mm=320.0)
    frontal, lateral = view_grids(geometry, 8)
    z = (np.arange(8) - 3.5) * 40.0
    d, h, w = 1, 6, 2
    factor = 850.0 / (850.0 + z[h])  # frontal rays run along H
    assert frontal[d, h * 8 + w].double().numpy() == pytest.approx(
        [z[w] * factor / 160.0, z[d] * factor / 160.0], rel=1e-6
    )
    factor = 850.0 / (850.0 + z[w])  # lateral rays run along W
    assert lateral[d, h * 8 + w].double().numpy() == pytest.approx(
        [z[h] * factor / 160.0, z[d] * factor / 160.0], rel=1e-6
    )


def test_parallel_lifting_is_a_broadcast_along_the_ray_axis():
    lifter = RayLifter(LiftGeometry(cone=False, field_mm=100.0), 8)
    image = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    frontal = lifter(image, 0)
    lateral = lifter(image, 1)
    assert torch.allclose(frontal, image[:, :, :, None, :].expand(-1, -1, -1, 8, -1), atol=1e-12)
    assert torch.allclose(lateral, image[:, :, :, :, None].expand(-1, -1, -1, -1, 8), atol=1e-12)


def test_heads_shapes_and_consistent_bone():
    cfg = spine_config()
    net = SpineNet(cfg, LiftGeometry(field_mm=320.0)).eval()
    x1, x2 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        heads = net(x1, x2, heads=True)
        ct = net(x1, x2)
        labels = net.label_map(x1, x2)
    assert heads["ct"].shape == heads["bone"].shape == (2, 1, 16, 16, 16)
    assert heads["levels"].shape == (2, 26, 16, 16, 16)
    assert labels.shape == (2, 16, 16, 16) and labels.dtype == torch.int64
    # The HU output crosses the bone threshold exactly where the bone head says bone.
    assert torch.equal(ct >= net.bone_target, heads["bone"] > 0)
    keep = (heads["bone"] > 0) == (heads["ct"] >= net.bone_target)
    assert torch.equal(ct[keep], heads["ct"][keep])


def test_wrong_view_size_is_rejected():
    net = SpineNet(spine_config(), LiftGeometry(field_mm=320.0))
    with pytest.raises(ValueError, match="xray1"):
        net(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 32, 32))


def test_config_checks():
    with pytest.raises(ValueError, match="power of 2"):
        spine_config(view_size=24)
    with pytest.raises(ValueError, match="same length"):
        spine_config(spine_channels_2d=(4, 4))
    with pytest.raises(ValueError, match="spine-family"):
        ModelConfig(
            input_size=32,
            dense_blocks=(1, 1, 1, 1),
            view_size=64,
            decoder_channels=(1, 1, 1, 1, 1),
            branch_decoder_blocks=(1, 1, 1, 1),
            fused_decoder_blocks=(1, 1, 1, 1),
        )


def test_lift_geometry_from_data_settings_and_paper_mode_refused():
    from x2ct.config import load_config

    config = load_config("spine-cpu")
    settings = {"prepare": {"mode": "aligned", "field_mm": 256.0}, "drr": {"geometry": "parallel"}}
    geometry = lift_geometry(settings, config.drr, config.prepare)
    assert geometry == LiftGeometry(cone=False, sad_mm=config.drr.sad_mm, field_mm=256.0)
    with pytest.raises(InputError, match="aligned"):
        lift_geometry({"prepare": {"mode": "paper"}}, config.drr, config.prepare)
    assert isinstance(build_model(config, None), SpineNet)


def test_dice_loss_is_zero_for_a_perfect_prediction_and_one_for_disjoint():
    truth = torch.zeros(1, 1, 4, 4, 4)
    truth[0, 0, :2] = 1
    assert float(soft_dice_loss(truth, truth)) == pytest.approx(0.0, abs=1e-6)
    assert float(soft_dice_loss(1 - truth, truth)) > 0.95


def test_spine_loss_parts_and_gradients():
    cfg = spine_config()
    net = SpineNet(cfg, LiftGeometry(field_mm=320.0))
    x1, x2 = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    ct = torch.rand(1, 1, 16, 16, 16)
    labels = torch.zeros(1, 16, 16, 16, dtype=torch.uint8)
    labels[0, 4:8, 6:10, 6:10] = 20
    labels[0, 9:12, 6:10, 6:10] = 30  # beyond the classes: counts as background
    total, parts = spine_loss(net(x1, x2, heads=True), ct, labels, 0.5, SpineLossWeights())
    assert set(parts) == {"l1", "bone_dice", "bone_ce", "level_dice", "level_ce", "proj"} | {
        "level_index"
    }
    assert float(parts["proj"]) == 0.0 and float(parts["level_index"]) == 0.0
    assert torch.isfinite(total)
    total.backward()
    assert net.frontal.stem[0][0].weight.grad.abs().sum() > 0
    assert net.lateral.stem[0][0].weight.grad.abs().sum() > 0


def test_spine_loss_options_mse_and_projection_in_float64():
    """The measured options: MSE instead of L1, and X2CT-GAN's projection L1 added."""
    from x2ct.losses import projection_l1

    generator = torch.Generator().manual_seed(5)
    prediction = torch.rand(2, 1, 6, 6, 6, generator=generator, dtype=torch.float64)
    ct = torch.rand(2, 1, 6, 6, 6, generator=generator, dtype=torch.float64)
    heads = {
        "ct": prediction,
        "bone": torch.zeros_like(prediction),
        "levels": torch.zeros(2, 3, 6, 6, 6, dtype=torch.float64),
    }
    labels = torch.zeros(2, 6, 6, 6, dtype=torch.long)
    zero = {"bone": 0.0, "levels": 0.0}
    total, parts = spine_loss(heads, ct, labels, 0.5, SpineLossWeights(l1=1.0, **zero))
    assert float(total) == pytest.approx(float((prediction - ct).abs().mean()), rel=1e-12)
    weights = SpineLossWeights(l1=2.0, intensity="mse", projection=3.0, **zero)
    total, parts = spine_loss(heads, ct, labels, 0.5, weights)
    mse = float((prediction - ct).square().mean())
    proj = sum(float(projection_l1(prediction, ct, axis)) for axis in (2, 3, 4)) / 3.0
    assert float(parts["l1"]) == pytest.approx(mse, rel=1e-12)
    assert float(parts["proj"]) == pytest.approx(proj, rel=1e-12)
    assert float(total) == pytest.approx(2.0 * mse + 3.0 * proj, rel=1e-12)


def test_axis_lifting_ignores_the_cone_magnification():
    """'axis' lifting samples a cone-beam view as a parallel one; 'rays' does not."""
    from dataclasses import replace

    cfg = spine_config()
    geometry = LiftGeometry(cone=True, sad_mm=400.0, field_mm=320.0)
    rays = SpineNet(cfg, geometry)
    axis = SpineNet(replace(cfg, spine_lifting="axis"), geometry)
    parallel = SpineNet(cfg, replace(geometry, cone=False))
    assert torch.equal(axis.lifters[0].frontal_grid, parallel.lifters[0].frontal_grid)
    assert not torch.allclose(rays.lifters[0].frontal_grid, axis.lifters[0].frontal_grid)


def test_level_dice_equals_the_one_hot_formula_in_float64():
    from x2ct.models.spine.loss import level_dice_loss

    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 6, 5, 5, 5, generator=generator, dtype=torch.float64)
    target = torch.randint(0, 4, (2, 5, 5, 5), generator=generator)  # classes 4, 5 absent
    p = torch.softmax(logits, dim=1)
    onehot = torch.nn.functional.one_hot(target, 6).movedim(-1, 1).double()
    expected = soft_dice_loss(p[:, 1:], onehot[:, 1:])
    assert float(level_dice_loss(p, target)) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("preset", ["spine-cpu", "spine-cpu-realistic", "spine-gpu"])
def test_spine_presets_build_and_run(preset):
    from x2ct.config import load_config

    config = load_config(preset)
    assert config.model.family == "spine" and not config.train.adversarial
    assert config.prepare.size == config.model.input_size
    assert config.xray.size == config.model.xray_size
    net = build_model(config, None).eval()
    with torch.no_grad():
        if preset == "spine-cpu":  # the CPU preset runs a real forward pass here
            views = torch.rand(1, 1, config.model.xray_size, config.model.xray_size)
            assert net(views, views).shape == (1, 1, 64, 64, 64)
    assert sum(p.numel() for p in net.parameters()) < 12_500_000  # fp16 fits 25 MB


def test_label_cleanup_keeps_the_largest_piece_of_each_level():
    from x2ct.models.spine.labels import largest_components

    labels = np.zeros((12, 12, 12), np.int64)
    labels[1:5, 2:6, 2:6] = 20  # the vertebra
    labels[10, 10, 10] = 20  # a speck of the same level far away
    labels[7:9, 2:6, 2:6] = 21  # a small but real next level (32 voxels)
    labels[0, 11, 11] = 22  # a level with a single voxel: dropped
    cleaned = largest_components(labels, min_voxels=8)
    assert cleaned[10, 10, 10] == 0 and cleaned[0, 11, 11] == 0
    assert (cleaned == 20).sum() == 64 and (cleaned == 21).sum() == 32
    assert set(np.unique(cleaned)) == {0, 20, 21}


def test_ordinal_head_gives_a_vertebra_logit_and_an_index():
    cfg = spine_config(spine_level_head="ordinal")
    net = SpineNet(cfg, LiftGeometry(field_mm=320.0)).eval()
    x1, x2 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        heads = net(x1, x2, heads=True)
        labels = net.label_map(x1, x2)
    assert set(heads) == {"ct", "bone", "vertebra", "level_index"}
    assert heads["vertebra"].shape == heads["level_index"].shape == (2, 1, 16, 16, 16)
    expected = heads["level_index"][:, 0].round().clamp(1, 25).long()
    expected[heads["vertebra"][:, 0] <= 0] = 0
    assert torch.equal(labels, expected)


def test_ordinal_level_terms_equal_their_formulas_in_float64():
    """Vertebra Dice + BCE on ids 1..classes-1, and the Huber loss of the index over them."""
    generator = torch.Generator().manual_seed(11)
    shape = (2, 1, 5, 5, 5)
    vertebra = torch.randn(shape, generator=generator, dtype=torch.float64)
    index = 15 + 6 * torch.randn(shape, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 30, (2, 5, 5, 5), generator=generator)
    heads = {"ct": torch.zeros(shape, dtype=torch.float64), "bone": torch.zeros(shape).double()}
    heads.update(vertebra=vertebra, level_index=index)
    weights = SpineLossWeights(l1=0.0, bone=0.0, levels=1.0)
    total, parts = spine_loss(heads, torch.zeros(shape).double(), labels, 0.5, weights, classes=26)
    inside = ((labels > 0) & (labels < 26)).unsqueeze(1).double()
    error = (index - labels.unsqueeze(1).double()).abs()
    huber = torch.where(error <= 1, 0.5 * error**2, error - 0.5)
    expected_huber = float((huber * inside).sum() / inside.sum())
    assert float(parts["level_index"]) == pytest.approx(expected_huber, rel=1e-12)
    p = torch.sigmoid(vertebra)
    bce = -(inside * torch.log(p) + (1 - inside) * torch.log(1 - p)).mean()
    assert float(parts["level_ce"]) == pytest.approx(float(bce), rel=1e-10)
    assert float(parts["level_dice"]) == pytest.approx(float(soft_dice_loss(p, inside)), rel=1e-12)
    expected_total = float(parts["level_dice"] + parts["level_ce"]) + expected_huber
    assert float(total) == pytest.approx(expected_total, rel=1e-12)


def test_adversarial_spine_step_adds_the_lsgan_term_and_steps_the_discriminator():
    from x2ct.losses import LossWeights, lsgan_loss
    from x2ct.models import build_discriminator
    from x2ct.training.spine_step import SPINE_STEP_KEYS, SpineStep, pooled_views

    torch.manual_seed(0)
    cfg = spine_config(discriminator_channels=4, discriminator_layers=2)
    net = SpineNet(cfg, LiftGeometry(field_mm=320.0))
    disc = build_discriminator(cfg)
    opt_g = torch.optim.SGD(net.parameters(), lr=0.0)  # lr 0: the network stays as it was
    opt_d = torch.optim.SGD(disc.parameters(), lr=0.1)
    step = SpineStep(
        net, 0.5, opt_g, SpineLossWeights(), "none", torch.device("cpu"),
        discriminator=disc, d_module=disc, opt_d=opt_d, gan_weights=LossWeights(gan=0.3),
    )  # fmt: skip
    batch = {
        "xray1": torch.rand(1, 1, 32, 32), "xray2": torch.rand(1, 1, 32, 32),
        "ct": torch.rand(1, 1, 16, 16, 16), "labels": torch.zeros(1, 16, 16, 16, dtype=torch.long),
    }  # fmt: skip
    before = [p.detach().clone() for p in disc.parameters()]
    with torch.no_grad():
        c1, c2 = pooled_views(batch["xray1"], batch["xray2"], 16)
        predicted = net(batch["xray1"], batch["xray2"], heads=True)["ct"]
        expected_gan = 0.3 * float(lsgan_loss(disc(predicted, c1, c2), real=True))
    losses = dict(zip(SPINE_STEP_KEYS, step(batch).tolist(), strict=True))
    assert losses["gan"] == pytest.approx(expected_gan, rel=1e-4)
    assert losses["loss_d"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, disc.parameters(), strict=True))
    assert c1.shape == (1, 1, 16, 16)
    assert float(c1.mean()) == pytest.approx(float(batch["xray1"].mean()), rel=1e-5)


@pytest.mark.parametrize("head", ["classes", "ordinal"])
def test_one_pass_gives_the_forward_volume_and_the_label_map(head):
    net = SpineNet(spine_config(spine_level_head=head), LiftGeometry(field_mm=320.0)).eval()
    x1, x2 = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        volume, labels = net.volume_and_labels(x1, x2)
        assert torch.equal(volume, net(x1, x2))
        assert torch.equal(labels, net.label_map(x1, x2))
