"""``draw_measures``: a PNG with the endplates, heights and angles on coronal and sagittal views.

Views are curved reformats along the column (for each row D, the slice through the bodies'
centre at that height), so that every body is cut through its middle even in a scoliotic or
lordotic spine: coronal (columns W, patient right on the viewer's left, as a frontal radiograph
is read) and sagittal (columns H, anterior on the left). Lines are drawn where a reader draws
them: each endplate along the body's superior / inferior border, the three heights inside the
body, and the Cobb lines extended from the end vertebrae's endplates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from x2ct.atomic import atomic_path
from x2ct.measures.records import SpineMeasures
from x2ct.volume import Volume

WINDOW = (-250.0, 1250.0)
"""Bone window (HU) of the views."""


def _centre_track(volume: Volume, measures: SpineMeasures) -> np.ndarray:
    """(D, 3) fractional voxel index of the column centre for each row d (interpolated)."""
    points = [v.body_centre for v in measures.vertebrae if v.body_centre is not None]
    points += [v.centroid for v in measures.vertebrae if v.body_centre is None]
    if measures.centre_curve and len(points) < 2:
        points = list(measures.centre_curve)
    if not points:
        centre = (np.array(volume.shape) - 1) / 2.0
        return np.tile(centre, (volume.shape[0], 1))
    index = volume.world_to_voxel(np.asarray(points, dtype=float))
    index = index[np.argsort(index[:, 0])]
    rows = np.arange(volume.shape[0])
    return np.column_stack([rows] + [np.interp(rows, index[:, 0], index[:, k]) for k in (1, 2)])


def _reformats(volume: Volume, track: np.ndarray, slab: int) -> tuple[np.ndarray, np.ndarray]:
    """Curved coronal (D, W) and sagittal (D, H) views: mean of ``slab`` voxels around the track."""
    a = volume.array
    d_n, h_n, w_n = a.shape
    coronal = np.empty((d_n, w_n), dtype=np.float32)
    sagittal = np.empty((d_n, h_n), dtype=np.float32)
    for d in range(d_n):
        h = int(np.clip(round(track[d, 1]), 0, h_n - 1))
        w = int(np.clip(round(track[d, 2]), 0, w_n - 1))
        coronal[d] = a[d, max(h - slab, 0) : h + slab + 1, :].mean(axis=0)
        sagittal[d] = a[d, :, max(w - slab, 0) : w + slab + 1].mean(axis=1)
    return coronal, sagittal


def _mm(volume: Volume, points) -> np.ndarray:
    """World points -> (d, h, w) positions in mm along the array axes."""
    return volume.world_to_voxel(np.asarray(points, dtype=float)) * np.asarray(volume.spacing)


def _endplate_lines(ax, volume: Volume, measures: SpineMeasures, view: str) -> None:
    col = 2 if view == "coronal" else 1
    ends = ("right", "left") if view == "coronal" else ("anterior", "posterior")
    for v in measures.vertebrae:
        if not v.landmarks:
            continue
        for which, colour in (("superior", "#ffd400"), ("inferior", "#00e5ff")):
            p = _mm(volume, [v.landmarks[f"{which}_{ends[0]}"], v.landmarks[f"{which}_{ends[1]}"]])
            ax.plot(p[:, col], p[:, 0], color=colour, lw=1.4)
        mid = _mm(volume, [v.landmarks["superior_middle"], v.landmarks["inferior_middle"]])
        if view == "sagittal":
            for name, colour in (
                ("anterior", "#ff5a5a"),
                ("middle", "#ffffff"),
                ("posterior", "#7dff7d"),
            ):
                p = _mm(volume, [v.landmarks[f"superior_{name}"], v.landmarks[f"inferior_{name}"]])
                ax.plot(
                    p[:, col], p[:, 0], color=colour, lw=0.9, ls="-" if name != "middle" else ":"
                )
        text = v.level if not v.genant_grade else f"{v.level} G{v.genant_grade}"
        x = mid[:, col].max() + (18 if view == "coronal" else -18)
        ax.text(
            x,
            mid[:, 0].mean(),
            text,
            color="#ff5050" if v.genant_grade else "white",
            fontsize=7,
            ha="left" if view == "coronal" else "right",
            va="center",
        )


def _angle_lines(ax, volume: Volume, measures: SpineMeasures, view: str) -> None:
    """Cobb lines (coronal) or lordosis / kyphosis lines (sagittal), extended from the bodies."""
    by_level = measures.by_level()
    if view == "coronal":
        spans = [("Cobb", measures.cobb_deg, measures.cobb_upper_end, measures.cobb_lower_end)]
        ends, col, reach = ("right", "left"), 2, 0.6
    else:
        spans = [
            ("Lordosis", measures.lordosis_deg, *(measures.lordosis_levels or (None, None))),
            ("Kyphosis", measures.kyphosis_deg, *(measures.kyphosis_levels or (None, None))),
        ]
        if measures.lordosis_deg is None and measures.kyphosis_deg is None:
            spans.append(
                ("Sagittal", measures.sagittal_deg, *(measures.sagittal_levels or (None, None)))
            )
        ends, col, reach = ("anterior", "posterior"), 1, 0.8
    for k, (name, angle, upper, lower) in enumerate(spans):
        if angle is None or upper not in by_level or lower not in by_level:
            continue
        lines = []
        for level, which in ((upper, "superior"), (lower, "inferior")):
            marks = by_level[level].landmarks
            p = _mm(volume, [marks[f"{which}_{ends[0]}"], marks[f"{which}_{ends[1]}"]])
            direction = p[1] - p[0]
            lines.append(np.array([p[0] - reach * direction, p[1] + reach * direction]))
        for line in lines:
            ax.plot(line[:, col], line[:, 0], color="#ff40ff", lw=1.2, ls="--")
        x = lines[0][:, col].max() + 4
        y = 0.5 * (lines[0][:, 0].mean() + lines[1][:, 0].mean())
        ax.text(
            x,
            y + 10 * k,
            f"{name} {angle:.1f}°\n{upper}-{lower}",
            color="#ff40ff",
            fontsize=8,
            va="center",
        )


def draw_measures(
    volume: Volume, measures: SpineMeasures, path: str | Path, dpi: int = 120
) -> Path:
    """Write a PNG: curved coronal and sagittal views of ``volume`` with ``measures`` drawn.

    Coronal: endplate lines (superior yellow, inferior cyan) and the Cobb lines with the angle
    and end vertebrae. Sagittal: endplate lines, anterior (red), middle (white dotted) and
    posterior (green) heights, lordosis / kyphosis lines. Levels are labelled, a fracture with
    its Genant grade (G1-G3). Written atomically; returns the path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    track = _centre_track(volume, measures)
    slab = max(1, round(2.0 / min(volume.spacing[1:])))
    coronal, sagittal = _reformats(volume, track, slab)
    sd, sh, sw = volume.spacing
    extent_c = (-0.5 * sw, (coronal.shape[1] - 0.5) * sw, (coronal.shape[0] - 0.5) * sd, -0.5 * sd)
    extent_s = (
        -0.5 * sh,
        (sagittal.shape[1] - 0.5) * sh,
        (sagittal.shape[0] - 0.5) * sd,
        -0.5 * sd,
    )
    height = 7.0
    width = (
        height * (coronal.shape[1] * sw + sagittal.shape[1] * sh) / (coronal.shape[0] * sd) + 0.6
    )
    fig, axes = plt.subplots(1, 2, figsize=(min(max(width, 7.0), 18.0), height), facecolor="black")
    for ax, image, extent, view in (
        (axes[0], coronal, extent_c, "coronal"),
        (axes[1], sagittal, extent_s, "sagittal"),
    ):
        ax.imshow(
            image,
            cmap="gray",
            vmin=WINDOW[0],
            vmax=WINDOW[1],
            extent=extent,
            interpolation="bilinear",
        )
        _endplate_lines(ax, volume, measures, view)
        _angle_lines(ax, volume, measures, view)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_axis_off()
    axes[0].set_title("coronal (patient right on the left)", color="white", fontsize=9)
    axes[1].set_title("sagittal (anterior on the left)", color="white", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, facecolor="black", format="png")
    plt.close(fig)
    return path
