"""Settings of training (section ``train``).

Defaults are the reference's (``paper`` preset): Adam 2e-4 with betas (0.5, 0.99), 50 constant +
50 decaying epochs, loss weights LSGAN 0.1, MSE 10, projection 10, batch 1, no augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from x2ct.config.evaluate import Table1Key
from x2ct.errors import InputError

MetricName = Table1Key
"""Validation metrics that may select the best checkpoint: the seed's Table 1 keys."""
LOWER_IS_BETTER = frozenset({"MAE0", "MSE0", "MAE", "MSE"})
"""Validation metrics where a smaller value is better (the others: larger is better)."""


@dataclass(frozen=True)
class TrainConfig:
    """Losses, optimiser, schedule and run bookkeeping (defaults: the paper's)."""

    batch_size: int = 1
    """Cases per step in each process; under torchrun the global batch is this times the ranks."""
    epochs_constant: int = 50
    """Epochs at the base learning rate."""
    epochs_decay: int = 50
    """Epochs after those, with the learning rate decaying linearly towards 0 (never reaching it)."""
    lr: float = 2e-4
    """Base learning rate of Adam for both networks."""
    betas: tuple[float, float] = (0.5, 0.99)
    """Adam betas (no weight decay)."""
    weight_gan: float = 0.1
    """Weight of the LSGAN terms in the generator and discriminator losses."""
    weight_mse: float = 10.0
    """Weight of the voxel-wise MSE between prediction and target."""
    weight_projection: float = 10.0
    """Total weight of the projection L1 losses; each of the three axes gets a third of it."""
    weight_l1: float = 10.0
    """spine family: weight of the L1 loss on the HU target."""
    weight_bone: float = 1.0
    """spine family: weight of the bone Dice + cross-entropy."""
    weight_levels: float = 1.0
    """spine family: weight of the vertebra-level Dice + cross-entropy."""
    spine_intensity_loss: Literal["l1", "mse"] = "l1"
    """spine family: the voxel-wise loss on the HU target that ``weight_l1`` weights."""
    weight_spine_projection: float = 0.0
    """spine family: weight of X2CT-GAN's projection L1 (mean over D, H and W) on the HU
    target; off by default, an option to measure (docs/quality.md)."""
    adversarial: bool = True
    """False trains the generator with MSE + projection only (the X2CT-CNN ablation)."""
    seed: int = 0
    """Seeds initialisation, data order, augmentation and dropout."""
    deterministic: bool = True
    """Ask torch for deterministic algorithms (CPU runs are then bitwise reproducible)."""
    amp: Literal["none", "bf16", "fp16"] = "none"
    """Mixed precision via torch.autocast; fp16 adds a GradScaler. Meant for CUDA."""
    gradient_checkpointing: bool = False
    """Recompute the generator's activations in backward to save memory (CUDA, large inputs)."""
    checkpoint_every: int = 10
    """Keep a resumable checkpoint every this many epochs (0 = only last.pt and best.pt)."""
    best_metric: MetricName = "MAE0"
    """Validation metric that selects best.pt (direction chosen by the metric)."""
    validate_every: int = 1
    """Validate on the test split every this many epochs (and always after the last epoch)."""
    val_max_cases: int | None = None
    """Validate on at most this many test cases (the first ones of test.txt); None = all."""
    image_cases: int = 2
    """Validation cases shown in TensorBoard images and the PNG figure."""
    log_every: int = 10
    """Write step losses to TensorBoard every this many steps."""
    num_workers: int = 0
    """DataLoader worker processes per training process."""
    cache_data: bool = False
    """Keep decoded, resized cases in memory (small data sets; saves HDF5 decoding per epoch)."""
    augment: bool = False
    """Random left-right mirroring and X-ray intensity jitter (off in the paper)."""
    augment_flip: float = 0.5
    """Probability of mirroring a case left-right (CT along W, frontal X-ray columns)."""
    augment_intensity: float = 0.1
    """Maximum relative gain and offset jitter of each X-ray (in [0, 1] units)."""
    augment_views: float = 0.0
    """With ``augment``: probability of each radiograph perturbation (``x2ct.xray.perturb``:
    gamma, window, noise, sharpening, blur, collimation, marker, rotation, magnification) per
    view and step, at a random strength; 0 = off."""
    augment_move_truth: bool = False
    """With ``augment_views``: move the target CT and labels as the views' rotation and
    magnification imply (the views then still show the target); false leaves the target in
    place, so the network learns to undo those changes and to blur the outlines they move."""
    max_minutes: float | None = None
    """Time budget of this invocation: stop cleanly after the step that exceeds it."""
    fit_schedule_to_budget: bool = False
    """With max_minutes: after the first epoch, shrink epochs_constant and epochs_decay in
    proportion so that the whole schedule (decay included) fits the remaining budget."""
    max_steps: int | None = None
    """Stop cleanly once this many steps (over the whole run, resumes included) are done."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto = CUDA when available, else CPU."""

    def __post_init__(self) -> None:
        """Reject values that cannot train, naming the key (raised when the config is built)."""
        checks = [
            ("batch_size", self.batch_size >= 1, "at least 1"),
            ("epochs_constant", self.epochs_constant >= 0, "0 or more"),
            ("epochs_decay", self.epochs_decay >= 0, "0 or more"),
            ("lr", self.lr > 0, "a positive learning rate"),
            ("checkpoint_every", self.checkpoint_every >= 0, "0 or more"),
            ("validate_every", self.validate_every >= 1, "at least 1"),
            ("log_every", self.log_every >= 1, "at least 1"),
            ("image_cases", self.image_cases >= 0, "0 or more"),
            ("num_workers", self.num_workers >= 0, "0 or more"),
            ("augment_flip", 0.0 <= self.augment_flip <= 1.0, "a probability in [0, 1]"),
            ("augment_intensity", 0.0 <= self.augment_intensity < 1.0, "a value in [0, 1)"),
            ("augment_views", 0.0 <= self.augment_views <= 1.0, "a probability in [0, 1]"),
        ]
        if self.epochs_constant + self.epochs_decay < 1:
            raise InputError("train", "at least one epoch (epochs_constant + epochs_decay)", "0")
        if self.val_max_cases is not None:
            checks.append(("val_max_cases", self.val_max_cases >= 1, "at least 1 or null"))
        if self.max_steps is not None:
            checks.append(("max_steps", self.max_steps >= 1, "at least 1 or null"))
        if self.max_minutes is not None:
            checks.append(("max_minutes", self.max_minutes > 0, "a positive number or null"))
        for key, ok, expected in checks:
            if not ok:
                raise InputError(f"train.{key}", expected, repr(getattr(self, key)))
