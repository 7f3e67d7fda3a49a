"""What a run writes besides checkpoints: metrics.csv, TensorBoard, validation PNGs, console.

Only rank 0 writes (``enabled``); the other ranks get the same object with every method a no-op.
- ``metrics.csv``: one row per epoch (epoch, step, lr, mean training losses, validation metrics
  as ``val_<name>``, epoch and total seconds), rewritten atomically after each epoch.
- ``tensorboard/``: scalars ``train/*`` every ``log_every`` steps, ``epoch/*`` and ``val/*`` per
  epoch, and per validated case an image: truth (top) and prediction (bottom), columns the
  middle axial / coronal / sagittal slices and the means along H and W.
- ``validation/epoch_NNNN.png``: the same views with labels, readable without TensorBoard.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from x2ct.atomic import atomic_path, write_text
from x2ct.training.validation import VIEW_NAMES

METRICS_FILE = "metrics.csv"


def display(views: list[np.ndarray], reference: list[np.ndarray]) -> list[np.ndarray]:
    """Scale views to [0, 1] for display: slices as they are, projections by the truth's max."""
    out = []
    for k, (image, ref) in enumerate(zip(views, reference, strict=True)):
        scale = 1.0 if k < 3 else max(float(ref.max()), 1e-6)
        out.append(np.clip(image / scale, 0.0, 1.0).astype(np.float32))
    return out


def montage(image: dict[str, Any]) -> np.ndarray:
    """(2 S, 5 S) float32 image: truth views on top, prediction views below (display scaled)."""
    truth = display(image["truth"], image["truth"])
    prediction = display(image["prediction"], image["truth"])
    return np.concatenate([np.concatenate(truth, axis=1), np.concatenate(prediction, axis=1)])


def figure_png(images: list[dict[str, Any]], title: str) -> bytes:
    """A labelled PNG: per case a truth row and a prediction row, plus the two input X-rays."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = len(VIEW_NAMES) + 1
    fig, axes = plt.subplots(
        2 * len(images), cols, figsize=(2.2 * cols, 4.6 * len(images)), squeeze=False
    )
    for i, image in enumerate(images):
        rows = {
            "truth": display(image["truth"], image["truth"]),
            "prediction": display(image["prediction"], image["truth"]),
        }
        inputs = [("input xray1", image["xray1"]), ("input xray2", image["xray2"])]
        for r, (label, shown) in enumerate(rows.items()):
            ax_row = axes[2 * i + r]
            for c, view in enumerate(shown):
                ax_row[c].imshow(view, cmap="gray", vmin=0.0, vmax=1.0)
                ax_row[c].set_title(f"{label}: {VIEW_NAMES[c]}", fontsize=7)
            name, xray = inputs[r]
            ax_row[-1].imshow(xray, cmap="gray", vmin=0.0, vmax=1.0)
            ax_row[-1].set_title(name, fontsize=7)
        metric_text = ", ".join(
            f"{k} {image['metrics'][k]:.4g}" for k in ("MAE0", "SSIM", "PSNR-3D")
        )
        axes[2 * i][0].set_ylabel(f"{image['case']}\n{metric_text}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


class RunLogger:
    """Writes metrics.csv, TensorBoard events and validation PNGs of a run folder (rank 0)."""

    def __init__(self, run_dir: Path, enabled: bool, resume_epoch: int | None = None) -> None:
        """Open the run's logs; on resume keep only metrics rows of epochs <= ``resume_epoch``."""
        self.run_dir = Path(run_dir)
        self.enabled = enabled
        self.rows: list[dict[str, Any]] = []
        self.writer: Any = None
        if not enabled:
            return
        path = self.run_dir / METRICS_FILE
        if resume_epoch is not None and path.is_file():
            with path.open(newline="", encoding="utf-8") as handle:
                self.rows = [r for r in csv.DictReader(handle) if int(r["epoch"]) <= resume_epoch]

    def open_tensorboard(self, purge_step: int | None) -> None:
        """Create the TensorBoard writer; on resume events after ``purge_step`` are dropped."""
        if not self.enabled:
            return
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=purge_step)

    def step(self, step: int, losses: dict[str, float], lr: float) -> None:
        """Per-step training scalars."""
        if self.writer is None:
            return
        for key, value in losses.items():
            self.writer.add_scalar(f"train/{key}", value, step)
        self.writer.add_scalar("train/lr", lr, step)

    def epoch(self, row: dict[str, Any], step: int) -> None:
        """Append an epoch row to metrics.csv (rewritten atomically) and its scalars to TensorBoard."""
        if not self.enabled:
            return
        self.rows.append(row)
        columns: list[str] = []
        for r in self.rows:
            columns.extend(k for k in r if k not in columns)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        write_text(self.run_dir / METRICS_FILE, buffer.getvalue())
        if self.writer is not None:
            for key, value in row.items():
                if key in ("epoch", "step") or not isinstance(value, int | float):
                    continue
                group = "val" if key.startswith("val_") else "epoch"
                self.writer.add_scalar(f"{group}/{key.removeprefix('val_')}", value, step)
            self.writer.flush()

    def images(self, epoch: int, step: int, images: list[dict[str, Any]]) -> Path | None:
        """TensorBoard images and ``validation/epoch_NNNN.png`` of the validated cases."""
        if not self.enabled or not images:
            return None
        if self.writer is not None:
            for image in images:
                self.writer.add_image(
                    f"val/{image['case']}", montage(image)[None], step, dataformats="CHW"
                )
        path = self.run_dir / "validation" / f"epoch_{epoch:04d}.png"
        data = figure_png(images, f"validation after epoch {epoch} (step {step})")
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        return path

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close TensorBoard."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Reporter:
    """Rank 0's rich progress bar (steps, ETA, losses) and console lines; silent when disabled."""

    def __init__(self, enabled: bool, total: int, completed: int) -> None:
        self.enabled = enabled
        self.total = total
        self.completed = completed
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Reporter:
        if self.enabled:
            from x2ct.progress import progress

            self._progress = progress()
            self._progress.__enter__()
            self._task = self._progress.add_task(
                "training", total=self.total, completed=self.completed, status=""
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
            self._progress = None

    def set_total(self, total: int) -> None:
        """Change the number of steps the bar counts to (a schedule fitted to a budget)."""
        self.total = total
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def advance(self, epoch: int, epochs: int, losses: dict[str, float]) -> None:
        """One step done in 0-based ``epoch``; show the current losses."""
        if self._progress is None:
            return
        first = next(iter(losses))
        status = f"{'G' if first == 'loss_g' else first} {losses[first]:.4f}"
        if losses.get("loss_d"):
            status += f"  D {losses['loss_d']:.4f}"
        self._progress.update(
            self._task, advance=1, description=f"epoch {epoch + 1}/{epochs}", status=status
        )

    def print(self, text: str) -> None:
        """A console line (above the bar while it runs)."""
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.console.print(text, highlight=False, soft_wrap=True)
        else:
            from x2ct.progress import console

            console.print(text, highlight=False, soft_wrap=True)
