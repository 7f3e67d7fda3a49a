"""What varies between real radiographs, as perturbations of a model-input view.

Each perturbation takes a (rows, cols) float tensor in [0, 1] (bone bright, as x2ct's views)
and a strength in [0, 1] (0 = unchanged, 1 = the largest change met in practice, as listed in
``KINDS``) and returns a new tensor of the same shape, clipped to [0, 1]. Random parts (noise,
which side a border or a marker is on) come from a ``numpy.random.Generator``.

They serve two purposes: ``benchmarks/robustness.py`` applies one kind at a time to held-out
inputs to measure what each costs a model, and training augmentation (``train.augment_views``)
draws several at random strengths.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from x2ct.drr.detector import gaussian_blur


def gamma(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """A display gamma between 1 / 1.6 and 1.6 (side drawn at random)."""
    exponent = 1.6 ** (strength * rng.choice((-1.0, 1.0)))
    return image.clamp(0, 1) ** exponent


def window(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """Contrast scaled by up to +-30 % about a level shifted by up to +-0.1."""
    gain = 1.0 + 0.3 * strength * rng.choice((-1.0, 1.0))
    level = 0.5 + 0.1 * strength * rng.uniform(-1, 1)
    return ((image - level) * gain + level).clamp(0, 1)


def noise(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """Gaussian noise of up to 0.04 (about 10 grey levels of 255) standard deviation."""
    seed = int(rng.integers(2**31))
    generator = torch.Generator().manual_seed(seed)
    added = torch.randn(image.shape, generator=generator, dtype=image.dtype) * 0.04 * strength
    return (image + added).clamp(0, 1)


def sharpen(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """Unsharp masking of up to gain 1.5 at a 2-pixel scale (a vendor's edge enhancement)."""
    return (image + 1.5 * strength * (image - gaussian_blur(image, 2.0))).clamp(0, 1)


def blur(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """Gaussian blur of up to 1.5 pixels (focal spot, motion, a softer detector)."""
    return gaussian_blur(image, 1.5 * strength).clamp(0, 1)


def collimation(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """Collimation borders covering up to 12 % of the width on one or two sides, black
    (shuttered by the system) or white (unexposed film), at random."""
    out = image.clone()
    rows, cols = image.shape
    fill = float(rng.choice((0.0, 1.0)))
    for side in rng.choice(4, size=int(rng.integers(1, 3)), replace=False):
        width = round(0.12 * strength * (cols if side >= 2 else rows))
        if width == 0:
            continue
        if side == 0:
            out[:width] = fill
        elif side == 1:
            out[rows - width :] = fill
        elif side == 2:
            out[:, :width] = fill
        else:
            out[:, cols - width :] = fill
    return out


def marker(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """A burnt-in side marker: a white block of up to 10 % of the side with a black letter-like
    bar in it, in a random corner."""
    out = image.clone()
    rows, cols = image.shape
    size = max(round(0.10 * strength * min(rows, cols)), 0)
    if size < 2:
        return out
    top = int(rng.choice((1, rows - size - 1)))
    left = int(rng.choice((1, cols - size - 1)))
    out[top : top + size, left : left + size] = 1.0
    bar = max(size // 4, 1)
    out[top + bar : top + size - bar, left + bar : left + 2 * bar] = 0.0
    return out


def _affine(image: torch.Tensor, angle_deg: float, zoom: float) -> torch.Tensor:
    """Rotate by ``angle_deg`` and scale by ``zoom`` about the centre (bilinear, black fill)."""
    a = math.radians(angle_deg)
    matrix = torch.tensor(
        [
            [math.cos(a) / zoom, -math.sin(a) / zoom, 0.0],
            [math.sin(a) / zoom, math.cos(a) / zoom, 0.0],
        ],
        dtype=image.dtype,
    )[None]
    grid = F.affine_grid(matrix, [1, 1, *image.shape], align_corners=False)
    return F.grid_sample(image[None, None], grid, align_corners=False)[0, 0]


def view_geometry(kind: str, strength: float, rng: np.random.Generator) -> tuple[float, float]:
    """(in-plane angle in degrees, zoom) that ``rotation`` or ``magnification`` applies to one
    view at ``strength``; it takes from ``rng`` exactly what the perturbation takes."""
    side = float(rng.choice((-1.0, 1.0)))
    if kind == "rotation":
        return 5.0 * strength * side, 1.0
    if kind == "magnification":
        return 0.0, 1.0 + 0.08 * strength * side
    raise ValueError(f"{kind!r} is not a geometric perturbation (rotation, magnification)")


def rotation(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """In-plane rotation of up to +-5 degrees (patient or detector not square to the beam)."""
    return _affine(image, *view_geometry("rotation", strength, rng)).clamp(0, 1)


def magnification(image: torch.Tensor, strength: float, rng: np.random.Generator) -> torch.Tensor:
    """Scale change of up to +-8 % (another source or object-to-detector distance)."""
    return _affine(image, *view_geometry("magnification", strength, rng)).clamp(0, 1)


def move_volume(
    volume: torch.Tensor,
    frontal: tuple[float, float],
    lateral: tuple[float, float],
    *,
    mode: str = "bilinear",
) -> torch.Tensor:
    """The (D, H, W) volume moved as two geometric view perturbations imply (``mode``
    'bilinear' = trilinear for intensities, 'nearest' for labels; edges filled with the
    volume's minimum).

    ``frontal`` and ``lateral`` are (angle in degrees, zoom) of ``view_geometry``. A frontal view
    (rows D, columns W) rotated by a shows the volume rotated by a in the D-W plane; a lateral
    view (rows D, columns H) rotated by b, the volume rotated by b in the D-H plane. Both views
    zoomed by z show the volume scaled by z; zooms that differ (each view at another distance,
    no single object shows both) scale W by the frontal zoom, H by the lateral and D by their
    geometric mean. Exact for parallel rays through a cube the views cover; a first-order
    approximation for the small angles and the cone beam used (ray divergence under 10 deg).
    """
    (a, zoom_f), (b, zoom_l) = frontal, lateral
    ca, sa = math.cos(math.radians(a)), math.sin(math.radians(a))
    cb, sb = math.cos(math.radians(b)), math.sin(math.radians(b))
    # affine_grid maps output (x, y, z) = (W, H, D) normalised coordinates to input ones
    rot_frontal = torch.tensor(
        [[ca, 0.0, -sa], [0.0, 1.0, 0.0], [sa, 0.0, ca]], dtype=torch.float64
    )
    rot_lateral = torch.tensor(
        [[1.0, 0.0, 0.0], [0.0, cb, -sb], [0.0, sb, cb]], dtype=torch.float64
    )
    scale = torch.diag(
        torch.tensor([1 / zoom_f, 1 / zoom_l, 1 / math.sqrt(zoom_f * zoom_l)], dtype=torch.float64)
    )
    matrix = scale @ rot_frontal @ rot_lateral
    theta = torch.cat([matrix, torch.zeros(3, 1, dtype=torch.float64)], dim=1)[None]
    grid = F.affine_grid(theta.to(volume.dtype), [1, 1, *volume.shape], align_corners=False)
    low = volume.min()
    moved = F.grid_sample(volume[None, None] - low, grid, mode=mode, align_corners=False)[0, 0]
    return moved + low


Perturbation = Callable[[torch.Tensor, float, np.random.Generator], torch.Tensor]
KINDS: dict[str, Perturbation] = {
    "gamma": gamma,
    "window": window,
    "noise": noise,
    "sharpen": sharpen,
    "blur": blur,
    "collimation": collimation,
    "marker": marker,
    "rotation": rotation,
    "magnification": magnification,
}
"""Every perturbation by name; the docstring of each gives its range at strength 1."""


def perturb(
    image: torch.Tensor, kind: str, strength: float, rng: np.random.Generator
) -> torch.Tensor:
    """Apply the perturbation ``kind`` at ``strength`` (see ``KINDS``) to a (rows, cols) view."""
    if kind not in KINDS:
        raise ValueError(f"unknown perturbation {kind!r}; known: {', '.join(KINDS)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    return KINDS[kind](image, strength, rng)


def random_perturbations(
    image: torch.Tensor, probability: float, rng: np.random.Generator
) -> torch.Tensor:
    """Training augmentation: each kind applied with ``probability`` at a uniform strength."""
    return random_perturbations_with_geometry(image, probability, rng)[0]


def random_perturbations_with_geometry(
    image: torch.Tensor, probability: float, rng: np.random.Generator
) -> tuple[torch.Tensor, tuple[float, float]]:
    """``random_perturbations`` (the same draws from ``rng``, the same image) and the view's
    geometry it applied: (in-plane angle in degrees, zoom), (0.0, 1.0) if neither rotation nor
    magnification was drawn. Rotation and zoom about the same centre commute, so the pair is
    exact for both applied one after the other; ``move_volume`` moves a truth to match."""
    angle, zoom = 0.0, 1.0
    for kind, function in KINDS.items():
        if rng.random() < probability:
            strength = float(rng.uniform(0.0, 1.0))
            if kind in ("rotation", "magnification"):
                # view_geometry takes from rng exactly what the perturbation would take
                step_angle, step_zoom = view_geometry(kind, strength, rng)
                image = _affine(image, step_angle, step_zoom).clamp(0, 1)
                angle, zoom = angle + step_angle, zoom * step_zoom
            else:
                image = function(image, strength, rng)
    return image, (angle, zoom)
