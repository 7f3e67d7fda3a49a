"""How radiograph-like x2ct's DRRs are: bone contrast, contrast-to-noise ratio and edge width.

The repository's real lumbar CT (data/totalseg-lumbar, TotalSegmentator labels) is prepared as
``x2ct prepare`` does (aligned mode, cone beam, 320 mm field) with views of 256 pixels, once per
DRR setting below. On each view, with the projected vertebra labels as the guide:

- the spine's centre line (per row, the centroid of the projected vertebral bodies);
- ``bone``: the mean grey level within +-8 mm of that line, rows through vertebral bodies;
- ``soft``: the mean grey level 45-65 mm to either side of it in the frontal view (paraspinal
  muscle and psoas), 45-65 mm anterior to it in the lateral view (abdomen in front of the
  bodies); all in mm at the isocentre;
- ``contrast`` = (bone - soft) / 255 and ``CNR`` = (bone - soft) / std(soft), the std over the
  soft-tissue region after removing each row's mean (noise plus fine texture, not the body's
  slow thickness change);
- ``edge_10_90_mm``: the distance over which the mean profile across the vertebral body's
  side (frontal view, both sides) rises from 10 % to 90 % of its step.

Published figure to hold them against: lateral lumbar radiographs of an anthropomorphic phantom
reach a vertebral-body CNR of 7.23 at 75 kVp / 18 mAs and less at lower doses (Lai et al., Eur
Radiol Exp 2020, 4:13). docs/drr.md gives the table.

    .venv/bin/python benchmarks/drr_realism.py        # about a minute
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from x2ct.atomic import write_text
from x2ct.config import ProjectConfig, apply_overrides
from x2ct.data.hdf5 import case_path, read_case
from x2ct.prepare.pipeline import prepare_dataset

REAL_CT = Path(__file__).resolve().parents[1] / "data" / "totalseg-lumbar"
RESULTS = Path(__file__).resolve().parent / "results" / "drr_realism.json"
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "figures" / "drr_realism.png"
BASE = ["prepare.size=64", "prepare.field_mm=320", "xray.size=256"]
SETTINGS = {
    "mono, fixed window (default)": [],
    "poly 80/90 kVp, fixed window": ["drr.physics=poly"],
    "poly, processed": ["drr.physics=poly", "drr.display=processed"],
    "poly, processed, 2.5 uGy noise, SPR 0.5, blur 0.3 mm": [
        "drr.physics=poly", "drr.display=processed", "drr.detector_kerma_ugy=2.5",
        "drr.scatter_to_primary=0.5", "drr.detector_blur_mm=0.3",
    ],
}  # fmt: skip
BONE_HALF_MM, SOFT_MM = 8.0, (45.0, 65.0)


def spine_line(mask_projection: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows through vertebrae and, per row, the column centroid of the projected labels."""
    weight = mask_projection.sum(axis=1)
    rows = np.flatnonzero(weight > 0.5 * weight.max())
    cols = np.arange(mask_projection.shape[1])
    centre = (mask_projection[rows] * cols).sum(axis=1) / weight[rows]
    return rows, centre


def view_measures(image: np.ndarray, projection: np.ndarray, mm_per_px: float, frontal: bool):
    """Contrast, CNR and (frontal) edge width of one 8-bit view; see the module docstring."""
    scale = image.shape[0] / projection.shape[0]
    rows_p, centre_p = spine_line(projection)
    rows = np.unique(np.clip((rows_p * scale).astype(int), 0, image.shape[0] - 1))
    centre = np.interp(rows, rows_p * scale, centre_p * scale + (scale - 1) / 2)
    image = image.astype(np.float64)
    bone, soft, soft_rows = [], [], []
    half, near, far = (v / mm_per_px for v in (BONE_HALF_MM, *SOFT_MM))
    cols = np.arange(image.shape[1])
    for row, c in zip(rows, centre, strict=True):
        bone.extend(image[row, np.abs(cols - c) <= half])
        offset = cols - c
        side = (np.abs(offset) >= near) & (np.abs(offset) <= far)
        if not frontal:  # anterior is on the left (smaller column) in the lateral view
            side &= offset < 0
        values = image[row, side]
        soft.extend(values)
        soft_rows.extend(values - values.mean())
    contrast = (np.mean(bone) - np.mean(soft)) / 255.0
    cnr = (np.mean(bone) - np.mean(soft)) / max(float(np.std(soft_rows)), 1e-9)
    result = {"contrast": round(float(contrast), 4), "CNR": round(float(cnr), 2)}
    if frontal:
        result["edge_10_90_mm"] = round(edge_width(image, rows, centre, mm_per_px), 2)
    return result


def edge_width(image: np.ndarray, rows, centre, mm_per_px: float) -> float:
    """10-90 % rise distance (mm) of the mean profile from the soft tissue to the spine's
    centre, both sides averaged (each side's profile is sampled on a 0.25 px grid)."""
    widths = []
    far = SOFT_MM[0] / mm_per_px
    steps = np.arange(0.0, far, 0.25)
    for sign in (-1.0, 1.0):
        profile = np.zeros_like(steps)
        for row, c in zip(rows, centre, strict=True):
            positions = c + sign * (far - steps)  # from the soft tissue in to the centre
            profile += np.interp(positions, np.arange(image.shape[1]), image[row])
        profile /= len(rows)
        low, high = profile[:8].mean(), profile[-8:].mean()
        if high <= low:
            continue
        fraction = (profile - low) / (high - low)
        at10 = steps[np.argmax(fraction >= 0.1)]
        at90 = steps[np.argmax(fraction >= 0.9)]
        widths.append((at90 - at10) * mm_per_px)
    return float(np.mean(widths)) if widths else float("nan")


def measure(name: str, overrides: list[str], work: Path) -> tuple[dict, np.ndarray]:
    config = apply_overrides(ProjectConfig(), BASE + overrides)
    out = work / f"s{len(list(work.iterdir()))}"
    report = prepare_dataset(REAL_CT, out, config)
    if report.failures:
        raise SystemExit(f"{name}: {report.failures}")
    case = read_case(case_path(out, report.done[0]))
    mask = (case.mask > 0).astype(np.float64)  # (D, H, W) cube labels
    mm_per_px = config.prepare.field_mm / config.xray.size  # at the isocentre
    result = {
        "frontal": view_measures(case.xray1, mask.sum(axis=1), mm_per_px, frontal=True),
        "lateral": view_measures(case.xray2, mask.sum(axis=2), mm_per_px, frontal=False),
    }
    return result, np.concatenate([case.xray1, case.xray2], axis=1)


def draw(images: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from x2ct.atomic import atomic_path

    fig, axes = plt.subplots(1, len(images), figsize=(4.2 * len(images), 2.6), dpi=110)
    for ax, (name, image) in zip(axes, images.items(), strict=True):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        ax.set_title(name, fontsize=8)
        ax.axis("off")
    fig.suptitle("Real lumbar CT: frontal and lateral DRR of each setting", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def main() -> None:
    results, images = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, overrides in SETTINGS.items():
            results[name], images[name] = measure(name, overrides, Path(tmp))
            f, lat = results[name]["frontal"], results[name]["lateral"]
            print(
                f"{name:55s} frontal contrast {f['contrast']:.3f} CNR {f['CNR']:6.1f} "
                f"edge {f['edge_10_90_mm']:5.1f} mm | lateral contrast {lat['contrast']:.3f} "
                f"CNR {lat['CNR']:6.1f}"
            )
    record = {
        "benchmark": "drr_realism",
        "ct": "data/totalseg-lumbar",
        "settings": {name: {"overrides": SETTINGS[name], **results[name]} for name in SETTINGS},
        "reference": "lateral lumbar phantom radiographs: vertebral-body CNR up to 7.23 "
        "(Lai et al., Eur Radiol Exp 2020, 4:13)",
    }
    write_text(RESULTS, json.dumps(record, indent=1) + "\n")
    draw(images, FIGURE)
    print(f"-> {RESULTS}, {FIGURE}")


if __name__ == "__main__":
    main()
