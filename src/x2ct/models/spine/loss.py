"""Losses of SpineNet: L1 on the HU target, Dice + cross-entropy on bone and on vertebra levels.

Shapes: predictions as ``SpineNet.heads`` gives them, (N, 1, S, S, S) ``ct`` and ``bone`` logits,
(N, K, S, S, S) ``levels`` logits; targets (N, 1, S, S, S) ``ct`` in the [0, 1] target scale and
(N, S, S, S) integer ``labels`` (common vertebra ids, 0 = background, ids >= K count as 0).
The ordinal level head gives (N, 1, S, S, S) ``vertebra`` logits and ``level_index`` instead.
The voxel-wise intensity term is L1 by default (MSE as an option to measure), and X2CT-GAN's
projection L1 can be added. Bone is ``ct >= bone_target`` (the HU threshold on the target scale): thin cortical shells that a
voxel-wise MSE would average away carry the full weight of a Dice term.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from x2ct.losses import projection_loss

SMOOTH = 1.0
"""Added to the Dice numerator and denominator (voxels): an empty truth and prediction give 1."""

SPINE_LOSS_KEYS = (
    "loss", "l1", "bone_dice", "bone_ce", "level_dice", "level_ce", "proj", "level_index",
)  # fmt: skip
"""Names of the per-step losses of the spine family, in the order ``spine_loss`` returns them.
With the ordinal level head, level_dice / level_ce are those of the vertebra mask and
level_index is the Huber loss of the index on the true vertebra voxels (0 for the classes head)."""


@dataclass(frozen=True)
class SpineLossWeights:
    """Weights of the terms (each of the two segmentation terms is Dice + CE).

    ``l1`` weights the voxel-wise intensity term, an L1 or (``intensity`` 'mse') an MSE;
    ``projection`` weights the sum over D, H and W of the projection L1s (0 = off).
    """

    l1: float = 10.0
    bone: float = 1.0
    levels: float = 1.0
    intensity: str = "l1"
    projection: float = 0.0


def soft_dice_loss(probabilities: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
    """1 - mean soft Dice over the channels present in the truth of each case.

    probabilities, onehot: (N, C, ...) with the same shape. A channel absent from a case's truth
    counts only through its false positives (Dice of an empty truth is 1 when nothing is
    predicted), so rare levels are not drowned by empty ones.
    """
    dims = tuple(range(2, probabilities.ndim))
    intersection = (probabilities * onehot).sum(dims)
    total = probabilities.sum(dims) + onehot.sum(dims)
    dice = (2.0 * intersection + SMOOTH) / (total + SMOOTH)
    present = onehot.sum(dims) > 0
    weight = present.float() + (~present).float() * 0.1
    return 1.0 - (dice * weight).sum() / weight.sum()


def level_dice_loss(probabilities: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``soft_dice_loss`` over the foreground classes 1..K-1, without a one-hot volume.

    probabilities: (N, K, ...) softmax output; target: (N, ...) int64 class per voxel. The
    intersection of class c is the sum of p_c over the voxels of class c, gathered and binned,
    which costs one channel of memory instead of K. Background is left out: it is ~98 % of the
    cube and the cross-entropy already covers it.
    """
    n, classes = probabilities.shape[:2]
    flat_target = target.reshape(n, -1)
    true_p = probabilities.gather(1, target.unsqueeze(1)).reshape(n, -1)
    intersection = torch.zeros(n, classes, dtype=probabilities.dtype, device=target.device)
    intersection.scatter_add_(1, flat_target, true_p)
    counts = torch.zeros_like(intersection).scatter_add_(1, flat_target, torch.ones_like(true_p))
    predicted = probabilities.reshape(n, classes, -1).sum(-1)
    dice = (2.0 * intersection + SMOOTH) / (predicted + counts + SMOOTH)
    present = counts > 0
    weight = present.float() + (~present).float() * 0.1
    dice, weight = dice[:, 1:], weight[:, 1:]
    return 1.0 - (dice * weight).sum() / weight.sum()


def _level_class_terms(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(Dice loss, cross-entropy) of (N, K, ...) level logits against (N, ...) ids."""
    classes = logits.shape[1]
    target = torch.where(labels < classes, labels, torch.zeros_like(labels)).long()
    log_p = F.log_softmax(logits, dim=1)
    return level_dice_loss(log_p.exp(), target), F.nll_loss(log_p, target)


def _level_ordinal_terms(
    vertebra: torch.Tensor, index: torch.Tensor, labels: torch.Tensor, classes: int
) -> tuple[torch.Tensor, ...]:
    """(vertebra Dice loss, vertebra BCE, index Huber) of the ordinal head.

    vertebra, index: (N, 1, ...) logit and level index; labels: (N, ...) ids. The Huber loss
    (delta one level) is the mean over the voxels of true vertebrae, so it weighs a case by its
    spine, not by the empty cube around it; without any vertebra voxel it is 0.
    """
    ids = labels.unsqueeze(1)
    inside = (ids > 0) & (ids < classes)
    target = inside.to(vertebra.dtype)
    dice = soft_dice_loss(torch.sigmoid(vertebra), target)
    ce = F.binary_cross_entropy_with_logits(vertebra, target)
    errors = F.huber_loss(index, ids.to(index.dtype), reduction="none", delta=1.0)
    count = target.sum()
    huber = (errors * target).sum() / count.clamp(min=1.0)
    return dice, ce, huber


def _full(x: torch.Tensor) -> torch.Tensor:
    """float32 for half-precision (AMP) outputs; float32 and float64 are kept."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def spine_loss(
    heads: dict[str, torch.Tensor],
    ct: torch.Tensor,
    labels: torch.Tensor,
    bone_target: float,
    weights: SpineLossWeights,
    classes: int = 26,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The weighted total and its parts (see SPINE_LOSS_KEYS): scalars in float32, or float64
    for float64 heads. ``classes`` bounds the ordinal head's labels as the classes head's
    channel count does (ids >= classes count as background)."""
    prediction = _full(heads["ct"])
    error = prediction - ct
    l1 = error.square().mean() if weights.intensity == "mse" else error.abs().mean()
    proj = projection_loss(prediction, ct) / 3.0 if weights.projection else l1.new_zeros(())

    bone_logit = _full(heads["bone"])
    bone = (ct >= bone_target).float()
    bone_ce = F.binary_cross_entropy_with_logits(bone_logit, bone)
    bone_dice = soft_dice_loss(torch.sigmoid(bone_logit), bone)

    if "levels" in heads:
        level_dice, level_ce = _level_class_terms(_full(heads["levels"]), labels)
        level_index = l1.new_zeros(())
    else:
        level_dice, level_ce, level_index = _level_ordinal_terms(
            _full(heads["vertebra"]), _full(heads["level_index"]), labels, classes
        )

    total = (
        weights.l1 * l1
        + weights.bone * (bone_dice + bone_ce)
        + weights.levels * (level_dice + level_ce + level_index)
        + weights.projection * proj
    )
    parts = {
        "l1": l1,
        "bone_dice": bone_dice,
        "bone_ce": bone_ce,
        "level_dice": level_dice,
        "level_ce": level_ce,
        "proj": proj,
        "level_index": level_index,
    }
    return total, parts
