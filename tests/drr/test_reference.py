"""Joseph's method against an independent fine trilinear ray march; inputs, batches, devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from drr_reference import march

from x2ct.drr import ConeBeam, ParallelBeam, detector_for, hu_to_mu, render
from x2ct.errors import InputError
from x2ct.volume import Volume

SHAPE, SPACING = (26, 32, 30), (1.5, 1.0, 1.2)


def _phantom(seed=0):
    """Body-like phantom in 1/mm: a water ellipsoid, a bone cylinder, a dense ball and noise."""
    rng = np.random.default_rng(seed)
    d, h, w = np.meshgrid(
        *[(np.arange(n) - (n - 1) / 2.0) * s for n, s in zip(SHAPE, SPACING, strict=True)],
        indexing="ij",
    )
    mu = 0.019 * ((h / 14) ** 2 + (w / 16) ** 2 < 1)
    mu += 0.02 * (((h - 5) / 4) ** 2 + (w / 5) ** 2 < 1)
    mu += 0.03 * ((d - 4) ** 2 + (h + 6) ** 2 + (w - 4) ** 2 < 25)
    return mu + 0.002 * rng.random(SHAPE)


GEOMETRIES = [
    ConeBeam(detector_pixels=(23, 25)),
    ConeBeam(sad_mm=400.0, sdd_mm=600.0, detector_spacing_mm=1.7, isocenter_mm=(3.0, -4.0, 5.0)),
    ParallelBeam(detector_pixels=(23, 25)),
    ParallelBeam(detector_spacing_mm=0.9, isocenter_mm=(-2.0, 0.0, 1.5)),
]


@pytest.mark.parametrize(
    "geometry", GEOMETRIES, ids=["cone", "cone-offset", "parallel", "parallel-offset"]
)
def test_agrees_with_fine_trilinear_march(geometry):
    mu = _phantom()
    images = render(mu, geometry, spacing_mm=SPACING, units="mu")
    for index, view in enumerate(("frontal", "lateral")):
        det = detector_for(geometry, view, SHAPE, SPACING)
        reference = march(
            mu,
            SPACING,
            view,
            det.rows,
            det.cols,
            det.row_pitch_mm,
            det.col_pitch_mm,
            sad=getattr(geometry, "sad_mm", None),
            sdd=getattr(geometry, "sdd_mm", 1000.0),
            iso=geometry.isocenter_mm,
        )
        assert images[index].shape == reference.shape
        error = np.abs(images[index] - reference).max() / np.abs(reference).max()
        assert error < 1e-3, f"{view}: max error {error:.2e} of the maximum"


def test_batched_render_equals_per_volume_render():
    volumes = np.stack([_phantom(seed) for seed in range(3)])[:, None]  # (N, 1, D, H, W)
    batch = render(torch.from_numpy(volumes), spacing_mm=SPACING, units="mu")
    assert batch.shape[:2] == (3, 2)
    for n in range(3):
        single = render(torch.from_numpy(volumes[n, 0]), spacing_mm=SPACING, units="mu")
        torch.testing.assert_close(batch[n], single, rtol=1e-6, atol=1e-9)


def test_views_can_be_chosen_and_ordered():
    mu = _phantom()
    both = render(mu, spacing_mm=SPACING, units="mu")
    lateral_first = render(mu, views=("lateral", "frontal"), spacing_mm=SPACING, units="mu")
    np.testing.assert_allclose(lateral_first[0], both[1], rtol=1e-6)
    np.testing.assert_allclose(
        render(mu, views="frontal", spacing_mm=SPACING, units="mu")[0], both[0], rtol=1e-6
    )


def test_volume_numpy_and_tensor_inputs_agree_and_hu_is_converted():
    hu = (_phantom() / 0.01937 - 1.0) * 1000.0  # back to HU at 70 keV
    affine = np.zeros((4, 4))  # model frame (I, P, L): d -> -S, h -> -A, w -> -R in RAS
    affine[2, 0], affine[1, 1], affine[0, 2], affine[3, 3] = (
        -SPACING[0],
        -SPACING[1],
        -SPACING[2],
        1,
    )
    volume = Volume(hu.astype(np.float32), affine)
    from_volume = render(volume)
    assert isinstance(from_volume, np.ndarray) and from_volume.dtype == np.float32
    from_numpy = render(hu, spacing_mm=SPACING)
    from_tensor = render(torch.from_numpy(hu), spacing_mm=SPACING)
    from_mu = render(hu_to_mu(hu), spacing_mm=SPACING, units="mu")
    assert isinstance(from_tensor, torch.Tensor) and from_tensor.dtype == torch.float64
    np.testing.assert_allclose(from_volume, from_numpy, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_tensor.numpy(), from_numpy, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_mu, from_numpy, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    mu = torch.from_numpy(_phantom()).float()
    cpu = render(mu, spacing_mm=SPACING, units="mu")
    gpu = render(mu.cuda(), spacing_mm=SPACING, units="mu")
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "volume,kwargs,message",
    [
        (np.zeros((4, 4)), {}, "shape"),
        (np.zeros((2, 3, 4, 4, 4)), {}, "shape"),
        (np.zeros((1, 4, 4)), {}, "at least 2 voxels"),
        (np.full((4, 4, 4), np.nan), {}, "finite"),
        (np.zeros((4, 4, 4)), {"views": "axial"}, "views"),
        (np.zeros((4, 4, 4)), {"units": "kev"}, "units"),
        (np.zeros((4, 4, 4)), {"spacing_mm": (1.0, 0.0, 1.0)}, "spacing"),
        (np.zeros((4, 4, 4)), {"geometry": "cone"}, "geometry"),
        ([[[0.0]]], {}, "numpy array or torch tensor"),
    ],
)
def test_bad_input_is_rejected(volume, kwargs, message):
    with pytest.raises(InputError, match=message):
        render(volume, **kwargs)


@pytest.mark.parametrize("chunk", [1, 5000])
def test_chunking_does_not_change_results(monkeypatch, chunk):
    from x2ct.drr import joseph

    x = torch.from_numpy(np.stack([_phantom(0), _phantom(1)])[:, None])
    expected = render(x, spacing_mm=SPACING, units="mu")
    y = torch.rand_like(expected)
    expected_grad = torch.autograd.grad(
        render(x.requires_grad_(), spacing_mm=SPACING, units="mu"), x, y
    )[0]
    monkeypatch.setattr(joseph, "CHUNK_ELEMENTS", chunk)  # 1: one slice per chunk
    got = render(x.detach(), spacing_mm=SPACING, units="mu")
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    got_grad = torch.autograd.grad(
        render(x.requires_grad_(), spacing_mm=SPACING, units="mu"), x, y
    )[0]
    torch.testing.assert_close(got_grad, expected_grad, rtol=1e-12, atol=1e-12)
