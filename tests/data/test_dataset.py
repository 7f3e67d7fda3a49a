"""CaseDataset: scaling, resizing, the original X2CT layout, augmentation and bad folders."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from x2ct.data.dataset import Augmentation, CaseDataset, check_case
from x2ct.data.hdf5 import CaseData, write_case
from x2ct.errors import InputError, MissingFileError
from x2ct.xray.perturb import move_volume, random_perturbations_with_geometry


def _folder(root: Path, cases: dict[str, CaseData], train: list[str], test: list[str]) -> Path:
    for name, data in cases.items():
        write_case(root / name / "ct_xray_data.h5", data)
    (root / "train.txt").write_text("\n".join(train) + "\n")
    (root / "test.txt").write_text("\n".join(test) + "\n")
    return root


def _case(size: int = 8, seed: int = 0) -> CaseData:
    rng = np.random.default_rng(seed)
    ct = rng.uniform(-100, 3000, size=(size,) * 3).astype(np.float32)
    xray1 = rng.integers(0, 256, size=(size, size), dtype=np.uint8)
    xray2 = rng.integers(0, 256, size=(size, size), dtype=np.uint8)
    return CaseData(np.maximum(ct, 0), xray1, xray2)


def test_item_scaling_and_shapes(tmp_path):
    case = _case(8)
    root = _folder(tmp_path, {"a": case}, ["a"], ["a"])
    item = CaseDataset.from_folder(root, "train", 8)[0]
    assert item["ct"].shape == (1, 8, 8, 8) and item["ct"].dtype == torch.float32
    assert item["xray1"].shape == (1, 8, 8) and item["xray2"].shape == (1, 8, 8)
    expected = np.clip(case.ct, 0, 2500) / 2500
    np.testing.assert_allclose(item["ct"][0].numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(item["xray1"][0].numpy(), case.xray1 / 255.0, rtol=1e-6)
    np.testing.assert_allclose(item["xray2"][0].numpy(), case.xray2 / 255.0, rtol=1e-6)
    assert item["case"] == "a" and item["index"] == 0


def test_factor_two_resize_is_a_block_average(tmp_path):
    case = _case(16, seed=1)
    root = _folder(tmp_path, {"a": case}, ["a"], ["a"])
    item = CaseDataset.from_folder(root, "test", 8)[0]
    target = np.clip(case.ct, 0, 2500) / 2500
    blocks = target.reshape(8, 2, 8, 2, 8, 2).mean(axis=(1, 3, 5))
    np.testing.assert_allclose(item["ct"][0].numpy(), blocks, rtol=1e-5, atol=1e-6)
    image = case.xray1 / 255.0
    np.testing.assert_allclose(
        item["xray1"][0].numpy(), image.reshape(8, 2, 8, 2).mean(axis=(1, 3)), atol=1e-6
    )


def test_original_x2ct_layout_without_extras(tmp_path):
    # The original files: ct / xray1 / xray2 only, no attributes; lists in another folder.
    path = tmp_path / "LIDC" / "c1" / "ct_xray_data.h5"
    path.parent.mkdir(parents=True)
    with h5py.File(path, "w") as handle:
        handle["ct"] = np.full((8, 8, 8), 1024.0)
        handle["xray1"] = np.full((8, 8), 255, np.uint8)
        handle["xray2"] = np.zeros((8, 8), np.uint8)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "train.txt").write_text("c1\n")
    data = CaseDataset.from_folder(tmp_path / "LIDC", "train", 4, list_path=lists / "train.txt")
    item = data[0]
    assert torch.allclose(item["ct"], torch.full((1, 4, 4, 4), 1024 / 2500))
    assert torch.all(item["xray1"] == 1.0) and torch.all(item["xray2"] == 0.0)


def test_augmentation_is_consistent_and_repeatable(tmp_path):
    size = 8
    rng = np.random.default_rng(2)
    ct = rng.uniform(0, 2500, size=(size,) * 3).astype(np.float32)
    target = ct / 2500
    xray1 = np.round(target.mean(axis=1) * 255).astype(np.uint8)
    xray2 = np.round(target.mean(axis=2) * 255).astype(np.uint8)
    root = _folder(tmp_path, {"a": CaseData(ct, xray1, xray2)}, ["a"], ["a"])
    flip_only = CaseDataset.from_folder(root, "train", size, augmentation=Augmentation(flip=1.0))
    item = flip_only[(0, 3)]
    np.testing.assert_allclose(item["ct"][0].numpy(), target[:, :, ::-1], rtol=1e-6)
    np.testing.assert_allclose(item["xray1"][0].numpy(), xray1[:, ::-1] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(item["xray2"][0].numpy(), xray2 / 255.0, rtol=1e-6)
    jitter = CaseDataset.from_folder(
        root, "train", size, augmentation=Augmentation(flip=0.5, intensity=0.2), seed=5
    )
    first, again, other = jitter[(0, 1)], jitter[(0, 1)], jitter[(0, 2)]
    assert torch.equal(first["xray1"], again["xray1"]) and torch.equal(first["ct"], again["ct"])
    assert not torch.equal(first["xray2"], other["xray2"])
    assert float(first["xray1"].min()) >= 0.0 and float(first["xray1"].max()) <= 1.0
    views = CaseDataset.from_folder(
        root, "train", size, augmentation=Augmentation(views=1.0), seed=5
    )
    perturbed, repeated = views[(0, 1)], views[(0, 1)]
    np.testing.assert_allclose(perturbed["ct"][0].numpy(), target, rtol=1e-6)  # CT untouched
    assert not np.allclose(perturbed["xray1"][0].numpy(), xray1 / 255.0, atol=1e-3)
    assert torch.equal(perturbed["xray2"], repeated["xray2"])
    assert perturbed["xray1"].shape == (1, size, size)


def test_moved_truth_follows_the_views_rotation_and_magnification(tmp_path):
    size = 16
    d, h, w = np.meshgrid(*(np.arange(size),) * 3, indexing="ij")
    ct = np.where((abs(d - 7) < 4) & (abs(h - 9) < 3) & (abs(w - 6) < 3), 1500.0, 0.0)
    mask = np.where(ct > 0, 20, 0).astype(np.uint8)
    xray1 = np.round(ct.mean(axis=1) / 2500 * 255).astype(np.uint8)
    xray2 = np.round(ct.mean(axis=2) / 2500 * 255).astype(np.uint8)
    case = CaseData(ct.astype(np.float32), xray1, xray2, mask=mask)
    root = _folder(tmp_path, {"a": case}, ["a"], ["a"])

    def dataset(move: bool) -> CaseDataset:
        augmentation = Augmentation(flip=0.0, intensity=0.0, views=0.3, move_truth=move)
        return CaseDataset.from_folder(
            root, "train", size, augmentation=augmentation, seed=3, labels=True
        )

    fixed, moved = dataset(False), dataset(True)
    target = torch.from_numpy(np.clip(ct, 0, 2500) / 2500).float()
    counts = {"moved": 0, "still": 0}
    for epoch in range(20):
        a, b = fixed[(0, epoch)], moved[(0, epoch)]
        assert torch.equal(a["xray1"], b["xray1"]) and torch.equal(a["xray2"], b["xray2"])
        assert torch.equal(a["ct"][0], target)  # without move_truth the CT stays
        # replay the draws: the item's own augmentation generator, views in order
        rng = np.random.default_rng([3, epoch, 0])
        rng.random()  # the flip's draw
        geometry = []
        for name in ("xray1", "xray2"):
            geometry.append(random_perturbations_with_geometry(a[name][0] * 0, 0.3, rng)[1])
        if geometry == [(0.0, 1.0), (0.0, 1.0)]:
            counts["still"] += 1
            assert torch.equal(b["ct"], a["ct"]) and torch.equal(b["labels"], a["labels"])
            continue
        counts["moved"] += 1
        expected = move_volume(target, *geometry)
        torch.testing.assert_close(b["ct"][0], expected)
        labels = move_volume(a["labels"].float(), *geometry, mode="nearest")
        assert torch.equal(b["labels"], labels.round().to(torch.uint8))
        assert set(b["labels"].unique().tolist()) <= {0, 20}
    assert counts["moved"] > 0 and counts["still"] > 0, counts


def test_missing_train_list(tmp_path):
    (tmp_path / "test.txt").write_text("a\n")
    with pytest.raises(MissingFileError, match=r"train\.txt"):
        CaseDataset.from_folder(tmp_path, "train", 8)


def test_case_without_hdf5(tmp_path):
    root = _folder(tmp_path, {"a": _case()}, ["a", "ghost"], ["a"])
    with pytest.raises(MissingFileError, match=r"ghost.*ct_xray_data\.h5"):
        CaseDataset.from_folder(root, "train", 8)


def test_empty_list(tmp_path):
    root = _folder(tmp_path, {"a": _case()}, [], ["a"])
    with pytest.raises(InputError, match="empty list"):
        CaseDataset.from_folder(root, "train", 8)


def _write_raw(path: Path, **datasets: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        for name, value in datasets.items():
            handle[name] = value
    return path


@pytest.mark.parametrize(
    ("datasets", "message"),
    [
        ({"ct": np.zeros((4, 4, 4)), "xray1": np.zeros((4, 4), np.uint8)}, "missing xray2"),
        (
            {"ct": np.zeros((4, 4)), "xray1": np.zeros((4, 4)), "xray2": np.zeros((4, 4))},
            r"ct as a \(D, H, W\) volume",
        ),
        (
            {"ct": np.zeros((4, 4, 4)), "xray1": np.zeros((4, 4, 3)), "xray2": np.zeros((4, 4))},
            "xray1 as a 2D image",
        ),
        (
            {"ct": np.zeros((8, 8, 8)), "xray1": np.zeros((8, 8)), "xray2": np.zeros((8, 16))},
            "xray2 with the aspect ratio",
        ),
    ],
)
def test_unusable_case_files(tmp_path, datasets, message):
    path = _write_raw(tmp_path / "a" / "ct_xray_data.h5", **datasets)
    with pytest.raises(InputError, match=message) as info:
        check_case(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_non_cubic_ct_with_matching_views_is_resized(tmp_path):
    # A (D, H, W) = (16, 8, 8) box with views of the same aspect: stretched to the cube.
    path = _write_raw(
        tmp_path / "a" / "ct_xray_data.h5",
        ct=np.full((16, 8, 8), 2500.0),
        xray1=np.zeros((16, 8), np.uint8),
        xray2=np.zeros((16, 8), np.uint8),
    )
    assert check_case(path)[0] == (16, 8, 8)
    (tmp_path / "train.txt").write_text("a\n")
    assert CaseDataset.from_folder(tmp_path, "train", 8)[0]["ct"].shape == (1, 8, 8, 8)
