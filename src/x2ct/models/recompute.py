"""Keep cheap-to-recompute activations out of the autograd graph's saved tensors.

A 3D conv block stores its InstanceNorm output xhat for the norm's backward pass, and the next
convolution would store relu(xhat) as its input: two full-size volumes per block (134 MB each
for 16 x 128^3). ``Recompute`` is a saved-tensor hook: a tensor registered with a recipe (here
relu(xhat), or the average of two of them) is not kept when an operation saves it; the recipe
runs again when the backward pass needs it, giving bit-identical values. This halves the
memory of the generator's training step at the cost of one elementwise pass per block.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class _Lazy:
    """A saved tensor replaced by its recipe and its view geometry on the recomputed base."""

    recipe: Callable[[], torch.Tensor]
    size: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int


class Recompute:
    """Registry of recomputable tensors for one forward pass; use ``with recompute.active():``."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref, Callable[[], torch.Tensor]]] = {}

    def register(self, tensor: torch.Tensor, recipe: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Mark ``tensor`` (and views of its storage) as recomputable by ``recipe``; return it.

        ``recipe()`` must return a tensor equal to ``tensor`` with the same strides and storage
        offset 0; it runs during backward, without gradient tracking.
        """
        if tensor.storage_offset() != 0:
            raise ValueError("only tensors at the start of their storage can be registered")
        self._entries[tensor.untyped_storage().data_ptr()] = (weakref.ref(tensor), recipe)
        return tensor

    def recipe(self, tensor: torch.Tensor) -> Callable[[], torch.Tensor]:
        """The recipe registered for ``tensor`` (KeyError if there is none)."""
        ref, recipe = self._entries[tensor.untyped_storage().data_ptr()]
        if ref() is not tensor:
            raise KeyError("tensor is not registered")
        return recipe

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor | _Lazy:
        entry = self._entries.get(tensor.untyped_storage().data_ptr())
        if entry is None:
            return tensor
        base = entry[0]()
        # A dead reference means the storage address was freed and reused by another tensor.
        if base is None or base.untyped_storage().data_ptr() != tensor.untyped_storage().data_ptr():
            return tensor
        return _Lazy(
            entry[1], tuple(tensor.size()), tuple(tensor.stride()), tensor.storage_offset()
        )

    @staticmethod
    def _unpack(packed: torch.Tensor | _Lazy) -> torch.Tensor:
        if isinstance(packed, _Lazy):
            with torch.no_grad():
                base = packed.recipe()
            return base.as_strided(packed.size, packed.stride, packed.offset)
        return packed

    @contextmanager
    def active(self) -> Iterator[Recompute]:
        """Apply the hooks to everything autograd saves inside the block."""
        with torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack):
            yield self


class Recomputed:
    """A pre-activation recomputed in backward, computed once for its two users.

    The next layer's backward runs first and needs relu(value); the norm's backward follows and
    needs the value itself, which is kept in between instead of being computed twice.
    """

    def __init__(self, compute: Callable[[], torch.Tensor]) -> None:
        self._compute = compute
        self._kept: torch.Tensor | None = None

    def relu(self) -> torch.Tensor:
        """relu(value), keeping the value for the next call of ``value``."""
        self._kept = self._compute()
        return torch.relu(self._kept)

    def value(self) -> torch.Tensor:
        """The value (the one kept by ``relu`` if any, else computed again)."""
        kept, self._kept = self._kept, None
        return kept if kept is not None else self._compute()


def autocast_state(device_type: str) -> Callable[[], AbstractContextManager]:
    """A factory re-entering the autocast state active now, for recipes run in backward."""
    if not torch.is_autocast_enabled(device_type):
        return nullcontext
    dtype = torch.get_autocast_dtype(device_type)
    return lambda: torch.autocast(device_type, dtype=dtype)
