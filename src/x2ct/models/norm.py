"""InstanceNorm3d + ReLU for channels-last-3d volumes, in cache-sized chunks.

``F.instance_norm`` and ``torch.var_mean`` are several times slower than a memory pass on
channels-last (N, C, D, H, W) tensors. Here each sample is viewed as a (voxels, C) matrix and
processed in row chunks that fit in cache, through reused scratch buffers (fresh allocations
page-fault on these machines): one memory pass gathers per-chunk means and centred sums of
squares (merged exactly as in Chan et al.'s parallel variance), a second writes
relu((x - mean) * rstd). In training the input buffer is overwritten by the normalised
pre-activation xhat, the only tensor the backward pass keeps; the backward pass is the analytic
InstanceNorm + ReLU gradient in two chunked passes. Same function as
``InstanceNorm3d(affine=False)`` + ReLU (biased variance, eps 1e-5), to float rounding.
"""

from __future__ import annotations

import threading

import torch

from x2ct.models.recompute import Recompute, Recomputed

EPS = 1e-5
CHUNK_ELEMENTS = 1 << 20
"""Elements per chunk (4 MB of float32): stays in the L3 cache between the ops, and few enough
chunks that the per-op thread synchronisation stays cheap."""


def _matrix(x: torch.Tensor, n: int) -> torch.Tensor:
    """Sample n of a channels-last (N, C, D, H, W) tensor as a (D*H*W, C) view."""
    return x[n].permute(1, 2, 3, 0).reshape(-1, x.shape[1])


_POOL = threading.local()


def _scratch(name: str, shape: tuple[int, int], dtype: torch.dtype, device: torch.device):
    """A per-thread scratch buffer of ``shape``, kept between calls.

    Allocating the chunk buffers anew in every call would scatter short-lived blocks between
    the long-lived activations and fragment the heap (hundreds of MB of resident memory).
    """
    key = (name, dtype, device)
    buffers = _POOL.__dict__.setdefault("buffers", {})
    size = shape[0] * shape[1]
    buffer = buffers.get(key)
    if buffer is None or buffer.numel() < size:
        # A normal tensor even when first needed under inference mode: it is reused outside.
        with torch.inference_mode(False):
            buffer = torch.empty(max(size, CHUNK_ELEMENTS), dtype=dtype, device=device)
        buffers[key] = buffer
    return buffer[:size].view(shape)


class _Chunks:
    """Row ranges of a (M, C) matrix and two (rows, C) scratch buffers."""

    def __init__(self, matrix: torch.Tensor) -> None:
        rows, channels = matrix.shape
        self.step = min(rows, max(1, CHUNK_ELEMENTS // channels))
        self.ranges = [(s, min(s + self.step, rows)) for s in range(0, rows, self.step)]
        # Statistics of half-precision inputs (autocast) are accumulated in float32.
        self.dtype = torch.float64 if matrix.dtype == torch.float64 else torch.float32
        shape = (self.step, channels)
        self.a = _scratch("a", shape, self.dtype, matrix.device)
        self.b = _scratch("b", shape, self.dtype, matrix.device)
        self.mask = _scratch("mask", shape, torch.bool, matrix.device)

    def scratch(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.a[: stop - start], self.b[: stop - start]


def _statistics(matrix: torch.Tensor, chunks: _Chunks) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance of each column of (M, C), merged over row chunks in float64."""
    means, squares, counts = [], [], []
    for start, stop in chunks.ranges:
        chunk = matrix[start:stop]
        centred, _ = chunks.scratch(start, stop)
        mean = chunk.mean(dim=0, dtype=chunks.dtype)
        torch.sub(chunk, mean, out=centred)
        means.append(mean)
        squares.append(centred.square_().sum(dim=0))
        counts.append(stop - start)
    chunk_means = torch.stack(means).double()
    weights = torch.tensor(counts, dtype=torch.float64, device=matrix.device).unsqueeze(1)
    mean = (chunk_means * weights).sum(dim=0) / matrix.shape[0]
    spread = torch.stack(squares).double().sum(dim=0)
    spread += ((chunk_means - mean).square() * weights).sum(dim=0)
    return mean, spread / matrix.shape[0]


def _normalise(x: torch.Tensor, xhat: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """xhat = (x - mean) * rstd (addcmul with shift = -mean * rstd), y = relu(xhat); returns rstd.

    ``xhat`` may be ``x`` and ``y`` may be ``xhat`` (in place) or None. rstd is (N, C).
    """
    rstds = []
    for n in range(x.shape[0]):
        matrix, pre = _matrix(x, n), _matrix(xhat, n)
        post = None if y is None else _matrix(y, n)
        chunks = _Chunks(matrix)
        mean64, var64 = _statistics(matrix, chunks)
        rstd = torch.rsqrt(var64 + EPS).to(chunks.dtype)
        shift = -mean64.to(chunks.dtype) * rstd
        for start, stop in chunks.ranges:
            part = pre[start:stop]
            torch.addcmul(shift, matrix[start:stop], rstd, out=part)
            if post is not None:
                torch.clamp(part, min=0, out=post[start:stop])
        rstds.append(rstd)
    return torch.stack(rstds)


def _backward(xhat: torch.Tensor, grad: torch.Tensor, rstd: torch.Tensor) -> torch.Tensor:
    """dx = rstd * (g1 - E[g1] - xhat E[g1 xhat]) with g1 = grad where xhat > 0.

    Written over ``grad`` (channels-last-3d), which the caller must own.
    """
    grad_x = grad
    for n in range(xhat.shape[0]):
        xs, gs, dx = _matrix(xhat, n), _matrix(grad, n), _matrix(grad_x, n)
        chunks = _Chunks(xs)
        mask = chunks.mask
        sum_g = torch.zeros(xs.shape[1], dtype=torch.float64, device=xs.device)
        sum_gx = torch.zeros_like(sum_g)
        for start, stop in chunks.ranges:
            product, _ = chunks.scratch(start, stop)
            g1 = dx[start:stop]
            torch.gt(xs[start:stop], 0, out=mask[: stop - start])
            torch.mul(gs[start:stop], mask[: stop - start], out=g1)
            sum_g += g1.sum(dim=0).double()
            sum_gx += torch.mul(g1, xs[start:stop], out=product).sum(dim=0).double()
        mean_g = (sum_g / xs.shape[0]).to(xs.dtype)
        mean_gx = (sum_gx / xs.shape[0]).to(xs.dtype)
        for start, stop in chunks.ranges:
            g1 = dx[start:stop]
            g1.sub_(mean_g).addcmul_(xs[start:stop], mean_gx, value=-1.0).mul_(rstd[n])
    return grad_x


class _InstanceNormReLU(torch.autograd.Function):
    """x -> (xhat, relu(xhat)); x is overwritten by xhat, which is all backward keeps.

    Internal to the generator: the backward pass overwrites the incoming gradient of y, so y
    must only feed operations whose backward returns a gradient tensor of its own.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        y = torch.empty_like(x, memory_format=torch.channels_last_3d)
        rstd = _normalise(x, x, y)
        ctx.mark_dirty(x)
        ctx.mark_non_differentiable(x)
        ctx.save_for_backward(x, rstd)
        return x, y

    @staticmethod
    def backward(ctx, _grad_xhat: torch.Tensor, grad_y: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        xhat, rstd = ctx.saved_tensors
        # Every consumer of y inside the generator (convolutions, the fused average) hands back
        # a gradient of its own, so it is overwritten instead of allocating another volume.
        grad_y = grad_y.contiguous(memory_format=torch.channels_last_3d)
        return _backward(xhat, grad_y, rstd)


def normalise_(x: torch.Tensor) -> torch.Tensor:
    """InstanceNorm3d without ReLU, in place on a channels-last-3d ``x``, without autograd."""
    _normalise(x, x, None)
    return x


def instance_norm_relu_(
    x: torch.Tensor,
    recompute: Recompute | None = None,
    recomputed: Recomputed | None = None,
) -> torch.Tensor:
    """relu(InstanceNorm3d(x)) for a channels-last-3d (N, C, D, H, W) ``x``, which it overwrites.

    ``x`` must be a temporary (a convolution output nobody else uses). Without gradients the
    result is written over ``x``. With gradients ``x`` becomes the normalised pre-activation
    xhat (kept for backward) and relu(xhat) is returned. With ``recompute`` the result is
    registered so that the next layer does not keep a second copy for its backward pass; with
    ``recomputed`` too (xhat recomputed, e.g. by a cheap up-sampling convolution), xhat is not
    kept either.
    """
    if not x.is_contiguous(memory_format=torch.channels_last_3d):
        raise ValueError("instance_norm_relu_ needs a channels-last-3d tensor")
    if not (torch.is_grad_enabled() and x.requires_grad):
        _normalise(x, x, x)
        return x
    if recompute is not None and recomputed is not None:
        # Registered before the norm saves it: x's buffer will hold xhat.
        recompute.register(x, recomputed.value)
    xhat, y = _InstanceNormReLU.apply(x)
    if recompute is not None:
        if recomputed is not None:
            recompute.register(y, recomputed.relu)
        else:
            saved = xhat.detach()
            recompute.register(y, lambda: torch.relu(saved))
    return y


def instance_norm_relu(x: torch.Tensor) -> torch.Tensor:
    """relu(InstanceNorm3d(x)) for (N, C, D, H, W), out of place, returned channels-last-3d."""
    return instance_norm_relu_(x.contiguous(memory_format=torch.channels_last_3d).clone())
