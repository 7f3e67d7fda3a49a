"""Process-group set-up for ``torchrun`` and the few collectives the training loop needs.

Under ``torchrun --nproc_per_node=K -m x2ct train ...`` the environment holds RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR and MASTER_PORT; the loop then runs DistributedDataParallel with NCCL
on GPUs or gloo on CPUs. Without them everything here is a no-op for a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from x2ct.errors import InputError


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: rank, number of processes, and its compute device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    owns_group: bool = False
    """True when ``setup`` created the process group (and ``teardown`` should destroy it)."""

    @property
    def distributed(self) -> bool:
        """More than one process takes part."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the only process that writes logs, checkpoints and progress."""
        return self.rank == 0


def resolve_device(preference: str, local_rank: int = 0) -> torch.device:
    """'auto' -> CUDA when available (the process' local GPU) else CPU; 'cpu' / 'cuda' as given."""
    if preference == "auto":
        preference = "cuda" if torch.cuda.is_available() else "cpu"
    if preference == "cuda":
        if not torch.cuda.is_available():
            raise InputError("train.device", "a machine with CUDA for 'cuda'", "no CUDA device")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def setup(device_preference: str = "auto") -> DistContext:
    """Join the process group described by torchrun's environment (if any) and pick the device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_preference, local_rank)
    owns = False
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        owns = True
    if dist.is_initialized():
        world_size, rank = dist.get_world_size(), dist.get_rank()
    return DistContext(rank, world_size, local_rank, device, owns)


def teardown(ctx: DistContext) -> None:
    """Destroy the process group if ``setup`` created it."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_mean(values: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Mean of a tensor over the processes (the tensor itself for one process)."""
    if not ctx.distributed:
        return values
    values = values.detach().clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / ctx.world_size


def any_process(flag: bool, ctx: DistContext) -> bool:
    """True on every process if ``flag`` is True on any (keeps stop decisions in step)."""
    if not ctx.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=ctx.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def gather_objects(obj: Any, ctx: DistContext) -> list[Any]:
    """Every process' ``obj`` in rank order (a one-element list for one process)."""
    if not ctx.distributed:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any, ctx: DistContext) -> Any:
    """Rank 0's ``obj`` on every process."""
    if not ctx.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(ctx: DistContext) -> None:
    """Wait for every process (no-op for one process)."""
    if ctx.distributed:
        dist.barrier()
