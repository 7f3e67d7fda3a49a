"""Validation on the test split: per-case metrics and the views shown in images.

Metrics are the seed's Table 1 (``x2ct.metrics.table1(real01, fake01)``, DESIGN.md) on
fake = clip(G output, 0, 1) and real = the [0, 1] target; the dataset value of a metric is the
mean over cases (as the seed's test script computes it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from x2ct.training.distributed import DistContext, gather_objects


def case_metrics(real01: np.ndarray, fake01: np.ndarray) -> dict[str, float]:
    """Table 1 metrics of one case ((D, H, W) volumes in [0, 1]) and the bone Dice.

    ``bone_Dice`` compares voxels >= 200 HU (the evaluation's default bone threshold) in both
    volumes, on the network's grid: it tracks what the vertebrae look like, which Table 1's
    whole-cube averages barely see.
    """
    from x2ct.metrics import table1
    from x2ct.metrics.shape import DEFAULT_BONE_HU
    from x2ct.scaling import hu_to_target

    row = {key: float(value) for key, value in table1(real01, fake01).items()}
    threshold = float(hu_to_target(DEFAULT_BONE_HU))
    truth, predicted = real01 >= threshold, fake01 >= threshold
    total = int(truth.sum()) + int(predicted.sum())
    row["bone_Dice"] = 2.0 * int((truth & predicted).sum()) / total if total else 1.0
    return row


def views(volume: np.ndarray) -> list[np.ndarray]:
    """The five images shown for a (D, H, W) volume, each (S, S) float32.

    Middle axial slice (rows H anterior at the top, columns W, patient right on the left),
    middle coronal slice (rows D superior at the top, columns W), middle sagittal slice (rows D,
    columns H), and the projections (means) along H and along W, which correspond to xray1 and
    xray2 of a well-trained model.
    """
    d, h, w = (n // 2 for n in volume.shape)
    return [
        volume[d],
        volume[:, h, :],
        volume[:, :, w],
        volume.mean(axis=1),
        volume.mean(axis=2),
    ]


def case_level_dice(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean Dice over the true levels of the predicted (S, S, S) label map (each level's
    largest piece, as reconstructions use it) against the (S, S, S) true ids; 1.0 when the
    truth has none."""
    from x2ct.metrics.shape import level_dice
    from x2ct.models.spine.labels import largest_components

    scores = level_dice(labels.cpu().numpy(), largest_components(predicted.cpu().numpy()))
    return float(np.mean(list(scores.values()))) if scores else 1.0


VIEW_NAMES = ("axial", "coronal", "sagittal", "mean along H", "mean along W")


@torch.no_grad()
def validate(
    generator: torch.nn.Module,
    dataset: Any,
    ctx: DistContext,
    autocast: Any,
    image_cases: int = 2,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Run the generator (eval mode) on every test case, split over the processes.

    Args:
        generator: the unwrapped generator (not DDP) on ``ctx.device``.
        dataset: a CaseDataset of the test split (items without augmentation).
        ctx: process context; case i is handled by rank i % world_size.
        autocast: a callable returning the autocast context for the forward pass.
        image_cases: how many of the first cases to return images for.

    Returns:
        (means, images): the mean of each metric over all cases (identical on every rank) and,
        for the first ``image_cases`` cases, dicts with ``case``, ``truth`` / ``prediction``
        view lists (see ``views``), the inputs ``xray1`` / ``xray2`` and the case's metrics.
    """
    was_training = generator.training
    generator.eval()
    rows: list[tuple[int, dict[str, float]]] = []
    images: list[dict[str, Any]] = []
    try:
        for index in range(ctx.rank, len(dataset), ctx.world_size):
            item = dataset[index]
            x1 = item["xray1"][None].to(ctx.device)
            x2 = item["xray2"][None].to(ctx.device)
            with_labels = hasattr(generator, "volume_and_labels") and "labels" in item
            with autocast():
                if with_labels:  # one pass gives the volume and the labels
                    out, labels = generator.volume_and_labels(x1, x2)
                else:
                    out = generator(x1, x2)
            fake = out.float().clamp(0.0, 1.0)[0, 0].cpu().numpy()
            real = item["ct"][0].numpy()
            metrics = case_metrics(real, fake)
            if with_labels:
                metrics["level_Dice"] = case_level_dice(labels[0], item["labels"])
            rows.append((index, metrics))
            if index < image_cases:
                images.append(
                    {
                        "index": index,
                        "case": item["case"],
                        "truth": views(real),
                        "prediction": views(fake),
                        "xray1": item["xray1"][0].numpy(),
                        "xray2": item["xray2"][0].numpy(),
                        "metrics": metrics,
                    }
                )
    finally:
        generator.train(was_training)
    all_rows = [row for part in gather_objects(rows, ctx) for row in part]
    all_images = [image for part in gather_objects(images, ctx) for image in part]
    all_rows.sort(key=lambda row: row[0])
    all_images.sort(key=lambda image: image["index"])
    keys = list(all_rows[0][1]) if all_rows else []
    means = {key: float(np.mean([row[1][key] for row in all_rows])) for key in keys}
    return means, all_images
