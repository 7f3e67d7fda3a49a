"""Preview figures: four views of a phantom (or of any CT) in PNG, with matplotlib's Agg backend.

Views, all in the model frame with square mm pixels: mid-sagittal slice (anterior on the left),
mid-coronal slice through the vertebral bodies (patient right on the left), an axial slice through
a vertebral body, and a frontal projection (mean attenuation along H, like xray1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from x2ct.atomic import atomic_path
from x2ct.volume import Volume

BONE_WINDOW = (300.0, 1500.0)
"""(level, width) HU of the bone window."""
SOFT_WINDOW = (40.0, 400.0)
"""(level, width) HU of the soft-tissue window."""


def window(image: np.ndarray, level_width: tuple[float, float]) -> np.ndarray:
    """Map HU to [0, 1] with a (level, width) window."""
    level, width = level_width
    return np.clip((image - (level - width / 2)) / width, 0.0, 1.0)


def spine_centre(labels: np.ndarray | None, ct: np.ndarray) -> tuple[int, int, int]:
    """(d, h, w) voxel through the middle of the labelled bodies (or of the bone) of a volume."""
    mask = labels > 0 if labels is not None and np.any(labels > 0) else ct > 200
    if not np.any(mask):
        return tuple(int(s // 2) for s in ct.shape)  # type: ignore[return-value]
    d = np.nonzero(mask.any(axis=(1, 2)))[0]
    w_profile = mask.sum(axis=(0, 1))
    w = round(float((np.arange(len(w_profile)) * w_profile).sum() / w_profile.sum()))
    h_any = np.nonzero(mask[:, :, max(w - 2, 0) : w + 3].any(axis=(0, 2)))[0]
    # Bodies are the anterior part of the spine: a quarter of its AP extent from the front.
    h = int(h_any[0] + 0.18 * (h_any[-1] - h_any[0]))
    return int(d[len(d) // 2]), h, w


def views(
    ct: Volume, labels: Volume | None = None
) -> dict[str, tuple[np.ndarray, tuple[float, float]]]:
    """The four preview images (2D arrays) and their (row, column) pixel sizes in mm."""
    a = ct.array
    lab = labels.array if labels is not None else None
    sd, sh, sw = ct.spacing
    d, h, w = spine_centre(lab, a)
    mu = np.clip(a + 1000.0, 0.0, None) / 1000.0
    return {
        "sagittal": (a[:, :, w], (sd, sh)),
        "coronal": (a[:, h, :], (sd, sw)),
        "axial": (a[d], (sh, sw)),
        "projection": (mu.sum(axis=1) * sh, (sd, sw)),
    }


def _show(ax, image, pixel, title, vmin=None, vmax=None) -> None:
    rows, cols = image.shape
    extent = (0, cols * pixel[1], rows * pixel[0], 0)
    ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax, extent=extent, interpolation="bilinear")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def save_preview(ct: Volume, labels: Volume | None, path: str | Path, title: str = "") -> Path:
    """Write the four-view preview PNG of a CT (bone window for slices) atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = views(ct, labels)
    fig, axes = plt.subplots(1, 4, figsize=(14, 4.6), dpi=90)
    for ax, (name, (img, pixel)) in zip(axes, images.items(), strict=True):
        if name == "projection":
            _show(ax, img, pixel, "frontal projection", 0.0, float(np.percentile(img, 99.5)))
        elif name == "axial":
            _show(ax, window(img, SOFT_WINDOW), pixel, "axial (soft tissue W400/L40)", 0, 1)
        else:
            _show(ax, window(img, BONE_WINDOW), pixel, f"{name} (bone W1500/L300)", 0, 1)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
