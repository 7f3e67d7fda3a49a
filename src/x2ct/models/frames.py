"""The three tensor frames of X2CT-GAN and the permutations between them.

CT frame: (N, C, D, H, W) with D = superior -> inferior, H = anterior -> posterior,
W = patient right -> left (the model frame of ``x2ct.volume``).

Each view branch works in its own frame (N, C, depth, rows, cols), where (rows, cols) are the
axes of its X-ray image and depth is the axis the 2D -> 3D link copies along:

- frontal (xray1, the projection along H): rows = D, cols = W, depth = H;
- lateral (xray2, the projection along W): rows = D, cols = H, depth = W.

A 3D convolution applied in a branch frame equals, in the CT frame, the convolution with the
kernel permuted the same way; the generator uses this to keep every activation in the CT frame.
"""

from __future__ import annotations

from typing import Literal

import torch

View = Literal["frontal", "lateral"]
VIEWS: tuple[View, View] = ("frontal", "lateral")

TO_CT: dict[str, tuple[int, ...]] = {"frontal": (0, 1, 3, 2, 4), "lateral": (0, 1, 3, 4, 2)}
"""``x_ct = x_branch.permute(*TO_CT[view])``."""
TO_VIEW: dict[str, tuple[int, ...]] = {"frontal": (0, 1, 3, 2, 4), "lateral": (0, 1, 4, 2, 3)}
"""``x_branch = x_ct.permute(*TO_VIEW[view])`` (the inverse permutations of TO_CT)."""
COPY_AXIS: dict[str, int] = {"frontal": 3, "lateral": 4}
"""CT-frame axis along which a view's image is copied (the axis it is a projection along)."""


def to_ct(x: torch.Tensor, view: str) -> torch.Tensor:
    """Branch-frame (N, C, depth, rows, cols) tensor as a CT-frame (N, C, D, H, W) view."""
    return x.permute(*TO_CT[view])


def to_view(x: torch.Tensor, view: str) -> torch.Tensor:
    """CT-frame (N, C, D, H, W) tensor as a branch-frame (N, C, depth, rows, cols) view."""
    return x.permute(*TO_VIEW[view])


def kernel_to_ct(weight: torch.Tensor, view: str) -> torch.Tensor:
    """A branch-frame 3D kernel (Cout, Cin, kd, kr, kc) permuted to act in the CT frame.

    Works for Conv3d weights (Cout, Cin, ...) and ConvTranspose3d weights (Cin, Cout, ...) alike,
    since only the three spatial axes move.
    """
    return weight.permute(*TO_CT[view])


def copy_along(image: torch.Tensor, view: str, length: int) -> torch.Tensor:
    """A view's 2D map (N, C, rows, cols) copied along its projection axis, in the CT frame.

    Frontal: out[n, c, d, h, w] = image[n, c, d, w]; lateral: out[n, c, d, h, w] = image[n, c, d, h].
    Returns an expanded (N, C, D, H, W) view without copying memory.
    """
    axis = COPY_AXIS[view]
    shape = list(image.shape)
    shape.insert(axis, length)
    return image.unsqueeze(axis).expand(*shape)
