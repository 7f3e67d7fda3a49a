"""Data order: a DistributedSampler that can start mid-epoch and tags samples with their epoch.

The order of an epoch is a pure function of (seed, epoch) (torch's DistributedSampler: a
permutation drawn from a generator seeded with seed + epoch, padded to a multiple of the number
of processes, rank r taking every K-th sample from r). A resumed run skips the samples the
interrupted run already consumed in that epoch, so both see the same batches in the same order.
With one sample per process and K processes, step s of the K processes together takes exactly
the samples of step s of a single process with batch K.
"""

from __future__ import annotations

from collections.abc import Iterator

from torch.utils.data import Dataset
from torch.utils.data.distributed import DistributedSampler


class ResumableSampler(DistributedSampler):
    """Yields ``(index, epoch)`` for this rank; ``set_position(epoch, skip)`` sets epoch and offset."""

    def __init__(
        self,
        dataset: Dataset,
        num_replicas: int = 1,
        rank: int = 0,
        seed: int = 0,
        shuffle: bool = True,
    ) -> None:
        super().__init__(dataset, num_replicas, rank, shuffle=shuffle, seed=seed, drop_last=False)
        self.skip = 0

    def set_position(self, epoch: int, skip: int = 0) -> None:
        """Iterate epoch ``epoch`` (0-based) from its ``skip``-th sample of this rank on."""
        self.set_epoch(epoch)
        self.skip = skip

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        indices = list(super().__iter__())[self.skip :]
        return iter([(int(i), self.epoch) for i in indices])

    def __len__(self) -> int:
        return max(0, self.num_samples - self.skip)


def batches_per_epoch(num_cases: int, batch_size: int, world_size: int) -> int:
    """Steps in one epoch: ceil(ceil(num_cases / world_size) / batch_size)."""
    per_rank = -(-num_cases // world_size)
    return -(-per_rank // batch_size)
