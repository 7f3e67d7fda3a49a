"""Where the spine lies in the trunk: the phantoms' trunk models against the real CT.

For each ``phantoms.trunk`` model, ``--n`` phantoms (seed ``--seed``) are drawn with a field
that holds the whole trunk (320 x 320 pixels of 2 mm, no table) and measured as the real
lumbar CT of ``data/totalseg-lumbar`` (L1-L5) is:

- tip -> back skin and belly skin -> tip (mm): along the body's depth through each vertebra's
  spinous tip (its most posterior voxel), median over the vertebrae
  (``x2ct.phantoms.trunk.sagittal_cover``);
- spine minus body (mm): the labelled vertebrae's centroid minus the body's, along the depth
  (> 0: the spine lies behind the trunk's middle).

    .venv/bin/python benchmarks/trunk.py --n 40

Prints a table (median and 5-95 % range per model), writes ``results/trunk.json`` and
``docs/figures/trunk.png`` (an axial slice through L3 of the first phantoms of each model beside
the real CT's).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from films import REAL_LEVELS
from x2ct.atomic import atomic_path, write_text
from x2ct.config.phantoms import PhantomConfig
from x2ct.io import read_volume
from x2ct.phantoms import generate_phantom
from x2ct.phantoms.trunk import TRUNK_MODELS, patient_mask, sagittal_cover
from x2ct.prepare.case import read_label_ids

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WHOLE = PhantomConfig(matrix=320, inplane_spacing_mm=(2.0, 2.0), table_probability=0.0)
"""A 640 mm field, which holds all but the deepest drawn trunks (x2ct's defaults otherwise)."""
L3 = (22, 29)
"""Label of L3 in x2ct's phantoms and in TotalSegmentator's."""
SHOWN = 3
"""Phantoms of each model drawn in the figure."""


def measure(ct: np.ndarray, levels: np.ndarray, spacing: tuple[float, ...]) -> dict[str, float]:
    """The three depths of a CT (D, H, W in HU, H anterior -> posterior) and its level map."""
    body = patient_mask(ct)
    cover = sagittal_cover(body, levels, spacing)
    spine_h = float(np.nonzero(levels)[1].mean())
    body_h = float(np.nonzero(body)[1].mean())
    return {
        "tip_to_back_mm": round(cover.tip_to_back_mm, 1),
        "belly_to_tip_mm": round(cover.belly_to_tip_mm, 1),
        "spine_minus_body_mm": round((spine_h - body_h) * float(spacing[1]), 1),
    }


def axial(ct: np.ndarray, levels: np.ndarray, label: int) -> np.ndarray | None:
    """The axial slice (H, W) through the middle of a level, or None when it is not drawn."""
    slices = np.nonzero((levels == label).any(axis=(1, 2)))[0]
    return None if slices.size == 0 else ct[int(np.median(slices))]


def summary(rows: list[dict[str, float]]) -> dict[str, list[float]]:
    """(median, 5th, 95th percentile) of each measure."""
    return {
        key: [round(float(np.percentile([r[key] for r in rows], q)), 1) for q in (50, 5, 95)]
        for key in rows[0]
    }


def draw(slices: dict[str, list[tuple[np.ndarray, float]]], path: Path) -> None:
    """Rows: one per source; columns: its axial slices at L3 (soft-tissue window), same scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = max(len(v) for v in slices.values())
    fig, axes = plt.subplots(
        len(slices), columns, figsize=(3.2 * columns, 3.0 * len(slices)), squeeze=False
    )
    for ax_row, (name, images) in zip(axes, slices.items(), strict=True):
        for ax in ax_row[len(images) :]:
            ax.axis("off")
        for ax, (image, pixel_mm) in zip(ax_row, images, strict=False):
            ax.set_facecolor("black")  # beyond a smaller scan's field: air
            ax.set_xticks([])
            ax.set_yticks([])
            extent = (0, image.shape[1] * pixel_mm, image.shape[0] * pixel_mm, 0)
            ax.imshow(image, cmap="gray", vmin=-250, vmax=350, extent=extent)
            middle_w, middle_h = extent[1] / 2, extent[2] / 2
            ax.set_xlim(middle_w - 210, middle_w + 210)
            ax.set_ylim(middle_h + 210, middle_h - 210)
        ax_row[0].set_title(name, fontsize=9, loc="left")
    fig.suptitle("Axial slice through L3 (anterior up, 420 mm square, -250..350 HU)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=626262)
    args = parser.parse_args()
    started = time.perf_counter()
    record: dict = {"benchmark": "trunk", "n": args.n, "seed": args.seed, "models": {}}
    slices: dict[str, list[tuple[np.ndarray, float]]] = {}
    for model in TRUNK_MODELS:
        config = replace(WHOLE, trunk=model)
        rows, shown, outside = [], [], []
        for i in range(args.n):
            phantom = generate_phantom(args.seed + i, config)
            levels = phantom.labels.array
            try:
                rows.append(measure(phantom.ct.array, levels, phantom.ct.spacing))
            except ValueError:  # the trunk is deeper than the field: not measurable here
                outside.append(args.seed + i)
                continue
            image = axial(phantom.ct.array, levels, L3[0])
            if image is not None and len(shown) < SHOWN:
                shown.append((image, float(phantom.ct.spacing[2])))
        record["models"][model] = {"summary": summary(rows), "cases": rows, "outside": outside}
        slices[f"phantoms.trunk {model}"] = shown
    real = ROOT / "data" / "totalseg-lumbar"
    ct = read_volume(real / "ct.nii.gz")
    ids, _ = read_label_ids(real / "labels.nii.gz")
    levels = np.where(np.isin(ids, REAL_LEVELS), ids, 0)
    record["real CT"] = measure(ct.array, levels, ct.spacing)
    slices["the real lumbar CT"] = [(axial(ct.array, levels, L3[1]), float(ct.spacing[2]))]
    record["seconds"] = round(time.perf_counter() - started, 1)

    print(f"{'source':22s} {'tip->back':>18s} {'belly->tip':>18s} {'spine-body':>18s}")
    for model, entry in record["models"].items():
        cells = [f"{m:6.0f} ({lo:.0f}-{hi:.0f})" for m, lo, hi in entry["summary"].values()]
        print(f"{model:22s} " + " ".join(f"{c:>18s}" for c in cells), end="")
        print(f"  ({len(entry['cases'])} measured, {len(entry['outside'])} deeper than the field)")
    print(f"{'real CT':22s} " + " ".join(f"{v:18.0f}" for v in record["real CT"].values()))
    out = RESULTS / "trunk.json"
    write_text(out, json.dumps(record, indent=1) + "\n")
    figure = ROOT / "docs" / "figures" / "trunk.png"
    draw(slices, figure)
    print(f"-> {out}, {figure}")


if __name__ == "__main__":
    main()
