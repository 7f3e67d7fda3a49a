"""Atomic writes: a failure never leaves a file under the final name."""

from __future__ import annotations

import pytest

from x2ct.atomic import atomic_path, write_text


def test_success_renames_into_place(tmp_path):
    target = tmp_path / "sub" / "out.nii.gz"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.endswith(".nii.gz")
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data"
    assert list(target.parent.iterdir()) == [target]


def test_crash_leaves_nothing(tmp_path):
    target = tmp_path / "out.h5"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash while writing")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_crash_keeps_the_previous_version(tmp_path):
    target = write_text(tmp_path / "a.txt", "old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("new but incomplete")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
