"""Differentiability: gradcheck in float64 and the adjoint identity <P x, y> = <x, P^T y>."""

from __future__ import annotations

import pytest
import torch

from x2ct.drr import ConeBeam, ParallelBeam, render

SPACING = (1.3, 1.0, 1.1)
GEOMETRIES = {
    "cone": ConeBeam(sad_mm=60.0, sdd_mm=90.0, detector_pixels=(5, 6)),
    "cone-offset": ConeBeam(
        sad_mm=60.0, sdd_mm=100.0, detector_spacing_mm=2.5, isocenter_mm=(0.5, -1.0, 1.0)
    ),
    "parallel": ParallelBeam(detector_pixels=(6, 5)),
}


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_gradcheck(name):
    torch.manual_seed(0)
    volume = torch.rand(5, 4, 6, dtype=torch.float64, requires_grad=True)

    def project(x):
        return render(x, GEOMETRIES[name], spacing_mm=SPACING, units="mu")

    assert torch.autograd.gradcheck(project, (volume,), eps=1e-6, atol=1e-8)


def test_gradient_flows_through_hu_conversion():
    hu = torch.full((6, 5, 7), 200.0, dtype=torch.float64, requires_grad=True)
    render(hu, spacing_mm=SPACING).sum().backward()
    assert hu.grad is not None and torch.all(hu.grad >= 0) and hu.grad.abs().sum() > 0
    # below -1000 HU attenuation is clipped at 0: no gradient there
    air = torch.full((6, 5, 7), -1500.0, dtype=torch.float64, requires_grad=True)
    render(air, spacing_mm=SPACING).sum().backward()
    assert torch.all(air.grad == 0)


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_adjoint_identity_on_a_larger_volume(name):
    torch.manual_seed(1)
    x = torch.rand(3, 1, 14, 17, 15, dtype=torch.float64, requires_grad=True)
    images = render(x, GEOMETRIES[name], spacing_mm=SPACING, units="mu")
    y = torch.rand_like(images)
    (grad,) = torch.autograd.grad(images, x, y)  # = P^T y
    lhs = (images.detach() * y).sum()
    rhs = (x.detach() * grad).sum()
    torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=0.0)
