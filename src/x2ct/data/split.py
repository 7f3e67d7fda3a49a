"""Seeded train/test split, grouped so that one patient never lands on both sides."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from x2ct.atomic import write_text
from x2ct.errors import InputError


def grouped_split(
    cases: Sequence[str], groups: Sequence[str], train_fraction: float = 0.8, seed: int = 0
) -> tuple[list[str], list[str]]:
    """Split case names into (train, test) with about ``train_fraction`` of the cases in train.

    Whole groups (patients) go to one side. Groups are shuffled with ``seed`` and given to the
    test side until it holds round((1 - train_fraction) * n) cases (at least one when there are
    two or more groups and the fraction is below 1). The result does not depend on input order.
    """
    if not 0.0 < train_fraction <= 1.0:
        raise InputError("`split`", "a train fraction in (0, 1]", f"{train_fraction}")
    if len(cases) != len(groups):
        raise InputError(None, "one group per case", f"{len(cases)} cases, {len(groups)} groups")
    members: dict[str, list[str]] = {}
    for case, group in sorted(zip(cases, groups, strict=True)):
        members.setdefault(group, []).append(case)
    order = sorted(members)
    rng = np.random.default_rng(seed)
    order = [order[i] for i in rng.permutation(len(order))]
    wanted = round((1.0 - train_fraction) * len(cases))
    if train_fraction < 1.0 and len(order) > 1:
        wanted = max(wanted, 1)
    test: list[str] = []
    train: list[str] = []
    for group in order:
        (test if len(test) < wanted and len(order) > 1 else train).extend(members[group])
    if not train and test:
        # Never leave the training side empty: move the last test group back.
        last = order[-1]
        train = members[last]
        test = [c for c in test if c not in train]
    return sorted(train), sorted(test)


def write_split(out_dir: str | Path, train: Sequence[str], test: Sequence[str]) -> None:
    """Write ``train.txt`` and ``test.txt`` (one case name per line) atomically."""
    out_dir = Path(out_dir)
    write_text(out_dir / "train.txt", "".join(f"{name}\n" for name in train))
    write_text(out_dir / "test.txt", "".join(f"{name}\n" for name in test))
