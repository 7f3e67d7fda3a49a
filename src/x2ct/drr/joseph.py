"""Joseph's method for axis-aligned views: the projector, its adjoint and their autograd wrapper.

For a view whose rays run mostly along one volume axis (the "ray axis"), each ray meets every
slice perpendicular to that axis once. Joseph's method samples the slice there by bilinear
interpolation and weights the sample by the ray's path length through one slice, step / cos(angle).
For a point source the sample positions on slice k are the detector pixel positions scaled by
f_k = (distance from the source to slice k) / sdd, so the rows and the columns interpolate
independently: the slice contributes A_k @ X_k @ B_k^T, with A_k (rows x D) and B_k (cols x n)
holding two linear-interpolation weights per row. The path factor depends on the pixel only
and is applied once at the end. A parallel beam has f_k = 1: the slices are summed first.

Implementation (torch, any device): the volume is seen as slices (K, D, N, n) = (slice, row
axis, case, column axis), a strided view for the frontal view; the lateral view first swaps the
last two axes once so that its column axis (H) is contiguous. Per chunk of slices, two gathers
along the column axis give Y = X_k @ B_k^T (K, D, N, cols) in reused buffers (fresh memory is
slow); then one sparse CSR product A @ Y contracts (slice, D) with the row weights and sums the
chunk into the image. Voxel values sit at voxel centres and the volume is zero outside, so the
interpolant is the zero-padded (tri)linear one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

from x2ct.drr.geometry import VIEW_AXES, ConeBeam, Detector, Geometry, detector_for

CHUNK_ELEMENTS = 1 << 20
"""Target size of one chunk's gather buffer (elements): a few MB, to stay in cache."""


@dataclass(frozen=True)
class ViewPlan:
    """Precomputed sampling of one view; K = slices along the ray axis (1 for parallel beams).

    col_index, col_index_next (K, C): the two interpolation taps along the column axis, with
    weights col_weight0, col_weight1 (K, C); chunks: (k0, k1, A) per chunk of slices, with A the
    CSR matrix (R, (k1 - k0) * D) of the row weights, columns ordered (slice, D); path_mm (R, C):
    the ray's length through one slice.
    """

    view: str
    ray_axis: int
    col_axis: int
    parallel: bool
    detector: Detector
    col_index: torch.Tensor
    col_index_next: torch.Tensor
    col_weight0: torch.Tensor
    col_weight1: torch.Tensor
    chunks: tuple[tuple[int, int, torch.Tensor], ...]
    path_mm: torch.Tensor

    @property
    def n_slices(self) -> int:
        """K: slices along the ray axis (1 for a parallel beam, whose slices are summed first)."""
        return self.col_index.shape[0]

    @property
    def chunk_size(self) -> int:
        """Slices per chunk (the last chunk may be shorter)."""
        return self.chunks[0][1] - self.chunks[0][0]


def _taps(position_mm: torch.Tensor, n: int, spacing: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Two linear-interpolation taps (first index, weights (..., 2)) with zero padding outside.

    The weights are the hat function at both taps, so a sample up to one voxel outside the grid
    fades linearly to zero and every index stays inside [0, n - 1].
    """
    x = position_mm / spacing + (n - 1) / 2.0
    first = torch.floor(x).clamp(0, n - 2)
    w0 = (1.0 - (x - first).abs()).clamp(min=0.0)
    w1 = (1.0 - (x - first - 1.0).abs()).clamp(min=0.0)
    return first.long(), torch.stack([w0, w1], dim=-1)


def _row_matrix(index: torch.Tensor, weight: torch.Tensor, n_rows: int) -> torch.Tensor:
    """CSR (R, K * D) from row taps index (K, R) and weights (K, R, 2); columns (slice, D)."""
    n_slices, rows = index.shape
    first = (torch.arange(n_slices)[:, None] * n_rows + index).T  # (R, K)
    cols = torch.stack([first, first + 1], dim=-1).reshape(-1)
    vals = weight.transpose(0, 1).reshape(-1)
    crow = torch.arange(rows + 1) * (2 * n_slices)
    with warnings.catch_warnings():  # torch flags CSR as beta; the product used here is stable
        warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")
        return torch.sparse_csr_tensor(
            crow, cols, vals, (rows, n_slices * n_rows), check_invariants=False
        )


def plan_view(
    view: str,
    geometry: Geometry,
    shape: tuple[int, int, int],
    spacing: tuple[float, float, float],
    dtype: torch.dtype,
    device: torch.device,
    n_cases: int = 1,
) -> ViewPlan:
    """Sampling plan of ``view`` for ``n_cases`` volumes of ``shape`` (D, H, W), ``spacing`` mm."""
    ray_axis, col_axis = VIEW_AXES[view]
    detector = detector_for(geometry, view, shape, spacing)
    f64 = torch.float64
    rows_mm, cols_mm = (torch.tensor(c, dtype=f64) for c in detector.centres_mm())
    iso = [float(v) for v in geometry.isocenter_mm]
    step = spacing[ray_axis]
    if isinstance(geometry, ConeBeam):
        n_slices = shape[ray_axis]
        depth = (torch.arange(n_slices, dtype=f64) - (n_slices - 1) / 2.0) * step
        scale = (depth - (iso[ray_axis] - geometry.sad_mm)) / geometry.sdd_mm  # f_k
        tilt = (rows_mm[:, None] ** 2 + cols_mm[None, :] ** 2) / geometry.sdd_mm**2
        path = step * torch.sqrt(1.0 + tilt)
    else:
        scale = torch.ones(1, dtype=f64)
        path = torch.full((detector.rows, detector.cols), step, dtype=f64)
    row_index, row_weight = _taps(iso[0] + scale[:, None] * rows_mm[None, :], shape[0], spacing[0])
    col_index, col_weight = _taps(
        iso[col_axis] + scale[:, None] * cols_mm[None, :], shape[col_axis], spacing[col_axis]
    )
    # chunks of slices whose gather buffer (slices, D, N, C) holds about CHUNK_ELEMENTS values
    to = {"device": device, "dtype": dtype}
    n_slices = len(scale)
    size = max(1, min(n_slices, CHUNK_ELEMENTS // (shape[0] * n_cases * detector.cols)))
    chunks = []
    for k0 in range(0, n_slices, size):
        k1 = min(k0 + size, n_slices)
        matrix = _row_matrix(row_index[k0:k1], row_weight[k0:k1], shape[0])
        chunks.append((k0, k1, matrix.to(**to)))
    return ViewPlan(
        view=view,
        ray_axis=ray_axis,
        col_axis=col_axis,
        parallel=not isinstance(geometry, ConeBeam),
        detector=detector,
        col_index=col_index.to(device),
        col_index_next=(col_index + 1).to(device),
        col_weight0=col_weight[..., 0].contiguous().to(**to),
        col_weight1=col_weight[..., 1].contiguous().to(**to),
        chunks=tuple(chunks),
        path_mm=path.to(**to),
    )


def _slices(mu: torch.Tensor, plan: ViewPlan) -> torch.Tensor:
    """The volume (N, D, H, W) as slices (K, D, N, n) along the ray axis (may be a strided view)."""
    if plan.parallel:
        return mu.sum(dim=1 + plan.ray_axis).permute(1, 0, 2).unsqueeze(0)
    if plan.ray_axis == 1:  # frontal: slices along H, columns W stay contiguous
        return mu.permute(2, 1, 0, 3)
    # lateral: slices along W, the contiguous axis; one batched transpose of the last two axes
    # makes the columns (H) contiguous: memory (N, D, W, H)
    swapped = torch.empty_like(mu.transpose(2, 3), memory_format=torch.contiguous_format)
    swapped.copy_(mu.transpose(2, 3))
    return swapped.permute(2, 1, 0, 3)


def project_view(mu: torch.Tensor, plan: ViewPlan) -> torch.Tensor:
    """Line integrals of one view: mu (N, D, H, W) in 1/mm -> (N, R, C), no autograd."""
    slices = _slices(mu, plan)
    _, depth, n_cases, _ = slices.shape
    rows, cols = plan.detector.rows, plan.detector.cols
    image = torch.zeros((rows, n_cases * cols), dtype=mu.dtype, device=mu.device)
    buf0 = torch.empty((plan.chunk_size, depth, n_cases, cols), dtype=mu.dtype, device=mu.device)
    buf1 = torch.empty_like(buf0)
    for k0, k1, row_matrix in plan.chunks:
        size = (k1 - k0, depth, n_cases, cols)
        y0, y1 = buf0[: k1 - k0], buf1[: k1 - k0]
        torch.gather(slices[k0:k1], 3, plan.col_index[k0:k1, None, None, :].expand(size), out=y0)
        torch.gather(
            slices[k0:k1], 3, plan.col_index_next[k0:k1, None, None, :].expand(size), out=y1
        )
        y0.mul_(plan.col_weight0[k0:k1, None, None, :])
        y0.addcmul_(y1, plan.col_weight1[k0:k1, None, None, :])
        image.addmm_(row_matrix, y0.view((k1 - k0) * depth, n_cases * cols))
    return image.view(rows, n_cases, cols).permute(1, 0, 2) * plan.path_mm


def backproject_view(grad: torch.Tensor, plan: ViewPlan, shape: tuple[int, ...]) -> torch.Tensor:
    """Adjoint of ``project_view``: grad (N, R, C) -> (N, D, H, W) gradient w.r.t. mu."""
    n_cases, depth = grad.shape[0], shape[1]
    rows, cols = plan.detector.rows, plan.detector.cols
    n_col = shape[1 + plan.col_axis]
    n_slices = plan.n_slices
    weighted = (grad * plan.path_mm).permute(1, 0, 2).reshape(rows, n_cases * cols)
    options = {"dtype": grad.dtype, "device": grad.device}
    # acc: the slices (K, D, N, n) as a view into memory laid out for the cheapest way back
    if plan.parallel:
        out = torch.zeros((n_cases, depth, n_col), **options)
        acc = out.permute(1, 0, 2).unsqueeze(0)
    elif plan.ray_axis == 1:
        out = torch.zeros((n_cases, *shape[1:]), **options)
        acc = out.permute(2, 1, 0, 3)
    else:
        out = torch.zeros((n_cases, depth, n_slices, n_col), **options)  # (N, D, W, H)
        acc = out.permute(2, 1, 0, 3)
    buf = torch.empty((plan.chunk_size, depth, n_cases, cols), **options)
    for k0, k1, row_matrix in plan.chunks:
        size = (k1 - k0, depth, n_cases, cols)
        # an explicit CSR transpose: CSR @ dense is supported on every device
        y = (row_matrix.t().to_sparse_csr() @ weighted).view(size)
        part = torch.mul(y, plan.col_weight0[k0:k1, None, None, :], out=buf[: k1 - k0])
        acc[k0:k1].scatter_add_(3, plan.col_index[k0:k1, None, None, :].expand(size), part)
        part = torch.mul(y, plan.col_weight1[k0:k1, None, None, :], out=buf[: k1 - k0])
        acc[k0:k1].scatter_add_(3, plan.col_index_next[k0:k1, None, None, :].expand(size), part)
    if plan.parallel:
        return out.unsqueeze(1 + plan.ray_axis).expand(n_cases, *shape[1:]).contiguous()
    if plan.ray_axis == 1:
        return out
    return out.transpose(2, 3).contiguous()


class JosephProjection(torch.autograd.Function):
    """mu (N, D, H, W) -> line integrals (N, V, R, C); the backward pass is the exact adjoint."""

    @staticmethod
    def forward(ctx, mu: torch.Tensor, plans: tuple[ViewPlan, ...]) -> torch.Tensor:
        ctx.plans = plans
        ctx.shape = tuple(mu.shape)
        with torch.no_grad():
            return torch.stack([project_view(mu, plan) for plan in plans], dim=1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        grad = grad.contiguous()
        total = backproject_view(grad[:, 0], ctx.plans[0], ctx.shape)
        for v, plan in enumerate(ctx.plans[1:], start=1):
            total += backproject_view(grad[:, v], plan, ctx.shape)
        return total, None


def project(mu: torch.Tensor, plans: tuple[ViewPlan, ...]) -> torch.Tensor:
    """Differentiable line integrals: mu (N, D, H, W) in 1/mm -> (N, V, R, C)."""
    if mu.requires_grad and torch.is_grad_enabled():
        return JosephProjection.apply(mu, plans)
    return torch.stack([project_view(mu, plan) for plan in plans], dim=1)
