"""Figures a person would rather look at than tables.

- ``reconstruction_figure``: the seed's Figure 3 made by the tool: the two input radiographs,
  three orthogonal slices and a 3D bone rendering of the reconstruction, with the truth beside
  it when known.
- ``cases_figure``: sagittal and coronal slices of truth and prediction(s) for a few cases.
Slices are shown in the bone window (W 1500 / L 300) and oriented as a radiologist reads them:
coronal and frontal with the patient's right on the viewer's left, sagittal with anterior on the
left, axial seen from the feet (patient right on the left, anterior at the top).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from x2ct.atomic import atomic_path

BONE_WINDOW = (-450.0, 1050.0)
"""Display range in HU (window 1500, level 300)."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bone_center(hu: np.ndarray, level: float) -> tuple[int, int, int]:
    """Voxel (d, h, w) at the centre of the bone (>= level); the grid centre if there is none."""
    bone = np.argwhere(hu >= level)
    if len(bone) == 0:
        return tuple(n // 2 for n in hu.shape)
    return tuple(round(float(v)) for v in np.median(bone, axis=0))


def orthogonal_slices(hu: np.ndarray, center: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """Axial (H x W), coronal (D x W) and sagittal (D x H) slices through ``center``."""
    d, h, w = center
    return {"axial": hu[d], "coronal": hu[:, h, :], "sagittal": hu[:, :, w]}


def _render_bone(ax, hu: np.ndarray, voxel_mm: float, level: float) -> None:
    """A shaded bone surface (marching cubes on a 2x coarser grid) seen from anterior-left."""
    from matplotlib.colors import LightSource
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection
    from skimage import measure

    ax.set_axis_off()
    if not np.any(hu >= level):
        ax.set_title("no bone above level", fontsize=8)
        return
    step = 2 if min(hu.shape) >= 48 else 1
    padded = np.pad(hu, 1, constant_values=level - 1000.0)
    verts, faces, normals, _ = measure.marching_cubes(padded, level=level, step_size=step)
    # Plot axes: x = W (patient left), y = H (posterior), z = up (superior).
    xyz = np.stack([verts[:, 2], verts[:, 1], hu.shape[0] - verts[:, 0]], axis=1) * voxel_mm
    shade = LightSource(azdeg=225, altdeg=45).shade_normals(
        np.stack([normals[:, 2], normals[:, 1], -normals[:, 0]], axis=1)[faces].mean(axis=1)
    )
    colours = np.clip(np.outer(shade, [0.95, 0.9, 0.8]), 0, 1)
    ax.add_collection3d(Poly3DCollection(xyz[faces], facecolors=colours, linewidths=0))
    extent = np.array(hu.shape[::-1]) * voxel_mm
    ax.set_xlim(0, extent[0])
    ax.set_ylim(0, extent[1])
    ax.set_zlim(0, extent[2])
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=10, azim=-60)


def _show(ax, image: np.ndarray, title: str, window=BONE_WINDOW, aspect: float = 1.0) -> None:
    ax.imshow(
        image, cmap="gray", vmin=window[0], vmax=window[1], aspect=aspect, interpolation="nearest"
    )
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def reconstruction_figure(
    path: str | Path,
    xray1: np.ndarray,
    xray2: np.ndarray,
    prediction_hu: np.ndarray,
    voxel_mm: float = 1.0,
    truth_hu: np.ndarray | None = None,
    bone_hu: float = 200.0,
    title: str = "",
) -> Path:
    """Write the Figure-3 style PNG; ``truth_hu`` (same grid) adds a row for the truth."""
    plt = _pyplot()
    rows = [("prediction", prediction_hu)] + ([("truth", truth_hu)] if truth_hu is not None else [])
    center = bone_center(truth_hu if truth_hu is not None else prediction_hu, bone_hu)
    fig = plt.figure(figsize=(16, 3.2 * len(rows) + 0.4))
    for r, (label, volume) in enumerate(rows):
        base = r * 6
        if r == 0:
            ax = fig.add_subplot(len(rows), 6, base + 1)
            _show(ax, xray1, "frontal input", window=(0, 255))
            ax = fig.add_subplot(len(rows), 6, base + 2)
            _show(ax, xray2, "lateral input", window=(0, 255))
        else:
            for k in (1, 2):
                fig.add_subplot(len(rows), 6, base + k).set_axis_off()
        for k, (name, image) in enumerate(orthogonal_slices(volume, center).items()):
            _show(fig.add_subplot(len(rows), 6, base + 3 + k), image, f"{label}: {name}")
        _render_bone(
            fig.add_subplot(len(rows), 6, base + 6, projection="3d"), volume, voxel_mm, bone_hu
        )
        fig.axes[-1].set_title(f"{label}: bone >= {bone_hu:g} HU", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def cases_figure(
    path: str | Path,
    cases: Sequence[tuple[str, np.ndarray, dict[str, np.ndarray]]],
    bone_hu: float = 200.0,
) -> Path:
    """Sagittal and coronal slices of the truth and each prediction, one row per case.

    ``cases``: (name, truth_hu, {method: prediction_hu}) with volumes on one grid.
    """
    plt = _pyplot()
    methods = list(cases[0][2]) if cases else []
    columns = 2 * (1 + len(methods))
    fig, axes = plt.subplots(
        len(cases), columns, figsize=(2.2 * columns, 2.4 * len(cases)), squeeze=False
    )
    for r, (name, truth, predictions) in enumerate(cases):
        center = bone_center(truth, bone_hu)
        volumes = [("truth", truth), *predictions.items()]
        for k, (label, volume) in enumerate(volumes):
            slices = orthogonal_slices(volume, center)
            _show(
                axes[r, 2 * k],
                slices["sagittal"],
                f"{name}\n{label} sagittal" if k == 0 else f"{label} sagittal",
            )
            _show(axes[r, 2 * k + 1], slices["coronal"], f"{label} coronal")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    plt = _pyplot()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def crops_figure(path: str | Path, views) -> Path:
    """Each original radiograph with its exposed field (dashed) and the square cut for the
    model (solid): ``views`` are ``InputView`` items (frontal, lateral)."""
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(views), figsize=(5.0 * len(views), 5.4))
    for ax, view, name in zip(np.atleast_1d(axes), views, ("frontal", "lateral"), strict=False):
        image = view.original
        lo, hi = np.percentile(image, [0.5, 99.5])
        ax.imshow(image, cmap="gray", vmin=lo, vmax=hi)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("tab:purple")  # where the square runs past the film
        title = f"{name}: {Path(view.source).name}"
        if view.crop is not None:
            r0, r1, c0, c1 = view.crop.box
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False,
                                   edgecolor="tab:orange", linestyle="--", linewidth=1.2))  # fmt: skip
            row, col = view.crop.center
            half = view.crop.side / 2
            ax.add_patch(Rectangle((col - half, row - half), view.crop.side, view.crop.side,
                                   fill=False, edgecolor="tab:cyan", linewidth=1.8))  # fmt: skip
            rows, cols = image.shape
            ax.set_xlim(min(-0.5, col - half) - 2, max(cols - 0.5, col + half) + 2)
            ax.set_ylim(max(rows - 0.5, row + half) + 2, min(-0.5, row - half) - 2)
            title += f"\nfield {view.crop.side * view.pixel_mm:.0f} mm, centre: {view.crop.method}"
        if view.turned:
            title += "\n" + "\n".join(textwrap.wrap(view.turned, 60))
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)
