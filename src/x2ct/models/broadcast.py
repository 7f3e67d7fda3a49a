"""Exact 3D operations on volumes that are constant along one axis except near its ends.

The 2D -> 3D links of X2CT-GAN copy a 2D map along a whole axis and convolve the copy with a
3x3x3 kernel. Along the copy axis every voxel of the copy sees the same three slices, so the
result is one 2D convolution with the kernel summed along that axis - except in the first and
last slice, where the zero padding drops one tap. After the link's InstanceNorm and ReLU the
volume has three distinct slices (first, middle, last); the decoder's next 3x3x3 convolution
turns that into five (slices 0, 1, 2..L-3, L-2, L-1). ``AxisConstant`` keeps only the distinct
slices as 2D maps and the runs of positions they fill, so these steps cost 2D work, and is added
to the dense decoder tensor at the end. Every operation is exact: the same sums as the dense
computation, only grouped differently (equal to float rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

Run = tuple[int, int, int]
"""(start, stop, map index): positions start..stop-1 along the axis hold that map."""


@dataclass(frozen=True)
class AxisConstant:
    """A (N, C, D, H, W) volume stored as its distinct slices along one axis.

    ``maps`` is (K, N, C, P, Q): K distinct slices, where (P, Q) are the two other spatial axes in
    (D, H, W) order; ``runs`` covers 0..length-1 along ``axis`` (2, 3 or 4) in order.
    """

    maps: torch.Tensor
    runs: tuple[Run, ...]
    axis: int
    length: int

    @classmethod
    def copy(cls, plane: torch.Tensor, axis: int, length: int) -> AxisConstant:
        """``plane`` (N, C, P, Q) copied ``length`` times along ``axis`` (one distinct slice)."""
        return cls(plane.unsqueeze(0), ((0, length, 0),), axis, length)

    def index(self) -> list[int]:
        """Map index of every position along the axis."""
        out = []
        for start, stop, k in self.runs:
            out.extend([k] * (stop - start))
        return out

    def dense(self) -> torch.Tensor:
        """The full (N, C, D, H, W) tensor (for tests and small sizes)."""
        parts = []
        for start, stop, k in self.runs:
            plane = self.maps[k].unsqueeze(self.axis)
            shape = list(plane.shape)
            shape[self.axis] = stop - start
            parts.append(plane.expand(*shape))
        return torch.cat(parts, dim=self.axis)

    def conv3d(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> AxisConstant:
        """Conv3d with an odd cubic kernel (Cout, Cin, k, k, k), stride 1, padding k // 2.

        Output position d sums tap t over the input slice d + t - k // 2 when it exists; the
        positions with the same tuple of source maps share one output map.
        """
        k = weight.shape[2]
        pad = k // 2
        n_maps, n, cin, p, q = self.maps.shape
        cout = weight.shape[0]
        # One 2D convolution computes every (source map, tap) pair.
        taps = torch.cat([weight.select(self.axis, t) for t in range(k)], dim=0)
        planes = F.conv2d(self.maps.reshape(n_maps * n, cin, p, q), taps, padding=pad)
        planes = planes.view(n_maps, n, k, cout, p, q)

        index = self.index()
        sources: list[tuple[int, ...]] = []
        for d in range(self.length):
            sources.append(
                tuple(
                    index[d + t - pad] if 0 <= d + t - pad < self.length else -1 for t in range(k)
                )
            )
        distinct: dict[tuple[int, ...], int] = {}
        runs: list[Run] = []
        for d, key in enumerate(sources):
            slot = distinct.setdefault(key, len(distinct))
            if runs and runs[-1][2] == slot and runs[-1][1] == d:
                runs[-1] = (runs[-1][0], d + 1, slot)
            else:
                runs.append((d, d + 1, slot))
        outputs = []
        for key in distinct:
            terms = [planes[m, :, t] for t, m in enumerate(key) if m >= 0]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            if bias is not None:
                total = total + bias.view(1, -1, 1, 1)
            outputs.append(total)
        return AxisConstant(torch.stack(outputs), tuple(runs), self.axis, self.length)

    def counts(self) -> torch.Tensor:
        """Number of positions each map fills, (K,) float."""
        counts = [0] * self.maps.shape[0]
        for start, stop, k in self.runs:
            counts[k] += stop - start
        return torch.tensor(counts, dtype=self.maps.dtype, device=self.maps.device)

    def instance_norm_relu(self, eps: float = 1e-5) -> AxisConstant:
        """InstanceNorm3d (no affine, biased variance) then ReLU, statistics over the full volume."""
        weights = (self.counts() / self.length).view(-1, 1, 1)
        mean = (self.maps.mean(dim=(3, 4)) * weights).sum(dim=0)
        centered = self.maps - mean.view(1, *mean.shape, 1, 1)
        var = (centered.square().mean(dim=(3, 4)) * weights).sum(dim=0)
        scale = torch.rsqrt(var + eps).view(1, *var.shape, 1, 1)
        return AxisConstant(torch.relu(centered * scale), self.runs, self.axis, self.length)

    def add_to(self, volume: torch.Tensor) -> torch.Tensor:
        """Add this volume to ``volume`` (N, C, D, H, W) in place and return it (differentiable)."""
        if torch.is_grad_enabled() and (volume.requires_grad or self.maps.requires_grad):
            return _AddRuns.apply(volume, self.maps, self.runs, self.axis)
        _add_runs(volume, self.maps, self.runs, self.axis)
        return volume


def _add_runs(volume: torch.Tensor, maps: torch.Tensor, runs: tuple[Run, ...], axis: int) -> None:
    for start, stop, k in runs:
        volume.narrow(axis, start, stop - start).add_(maps[k].unsqueeze(axis))


class _AddRuns(torch.autograd.Function):
    """volume += runs of maps, in place; the maps' gradient sums the volume's over each run.

    Autograd's own in-place-on-view machinery would copy the whole gradient once per run.
    """

    @staticmethod
    def forward(ctx, volume, maps, runs, axis):  # type: ignore[override]
        _add_runs(volume, maps, runs, axis)
        ctx.mark_dirty(volume)
        ctx.runs, ctx.axis, ctx.n_maps = runs, axis, maps.shape[0]
        return volume

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        grad_maps = [None] * ctx.n_maps
        for start, stop, k in ctx.runs:
            part = grad.narrow(ctx.axis, start, stop - start).sum(dim=ctx.axis)
            grad_maps[k] = part if grad_maps[k] is None else grad_maps[k] + part
        return grad, torch.stack(grad_maps), None, None
