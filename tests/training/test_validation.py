"""Validation metrics and images with a stand-in generator of known output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from x2ct.data.dataset import CaseDataset
from x2ct.training.distributed import DistContext
from x2ct.training.logging import figure_png, montage
from x2ct.training.step import autocast_factory
from x2ct.training.validation import validate, views


class Constant(torch.nn.Module):
    """A 'generator' that predicts the same value everywhere (above 1: clamped by validation)."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, xray1: torch.Tensor, xray2: torch.Tensor) -> torch.Tensor:
        n, _, s, _ = xray1.shape
        return torch.full((n, 1, s, s, s), self.value)


CPU = DistContext(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))


@pytest.mark.parametrize("value", [0.25, 1.7])
def test_metrics_of_a_constant_prediction(data_dir, value):
    cases = CaseDataset.from_folder(data_dir, "test", 16)
    means, images = validate(Constant(value), cases, CPU, autocast_factory("none", CPU.device), 1)
    fake = min(value, 1.0)
    expected = np.mean([np.mean(np.abs(item["ct"].numpy() - fake)) for item in cases])
    assert means["MAE0"] == pytest.approx(expected, rel=1e-6)
    assert len(images) == 1 and images[0]["case"] == cases.cases[0]
    assert np.all(images[0]["prediction"][1] == np.float32(fake))


def test_views_and_montage_orientation():
    volume = np.zeros((4, 6, 8), np.float32)
    volume[0, 1, 2] = 1.0  # superior, anterior, patient right
    shown = views(volume)
    assert [v.shape for v in shown] == [(6, 8), (4, 8), (4, 6), (4, 8), (4, 6)]
    assert shown[3][0, 2] == pytest.approx(1 / 6)  # mean along H: rows D, columns W
    assert shown[4][0, 1] == pytest.approx(1 / 8)  # mean along W: rows D, columns H
    cube = np.random.default_rng(0).random((8, 8, 8)).astype(np.float32)
    image = {"truth": views(cube), "prediction": views(cube * 0.5)}
    assert montage(image).shape == (16, 40)
    image.update(
        case="c", xray1=cube[0], xray2=cube[1], metrics={"MAE0": 0, "SSIM": 1, "PSNR-3D": 9}
    )
    assert figure_png([image], "title").startswith(b"\x89PNG")
