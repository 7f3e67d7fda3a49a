"""Where a model's HU error lies: air, soft tissue, bone, and the body's outline.

    python benchmarks/error_regions.py --models spine-cpu=spine-cpu:HOLDOUT_A/data \\
        spine-cpu-realistic-long=spine-cpu-realistic-long:HOLDOUT_B/data [--n 40]

Each ``LABEL=MODEL:DATA`` reconstructs the cases of a prepared hold-out folder (the ``data``
folder ``benchmarks/holdout.py --out DIR`` leaves, prepared with that model's data settings) from
their own two views. The true cube is split by its HU into air (< -500), bone (>= 200) and soft
tissue (the rest), and the body's outline is the band of two voxels about the surface of the
filled body: its outermost voxels and the first air voxels outside. For each region the script reports its share of
the volume, its share of the squared error (what PSNR counts), the mean signed error (prediction
minus truth, HU) and the mean absolute error. PSNR over the whole cube uses the 2500 HU range of
the corrected metrics.

The figure plots the mean signed error against the voxel layer about the body's outline
(negative inside, positive outside), averaged over the cases: a model that draws the body too large shows
a positive bump just outside. Writes ``results/error_regions.json`` and
``docs/figures/error_regions.png``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from x2ct.atomic import write_text
from x2ct.data.dataset import CaseDataset
from x2ct.inference.evaluation import case_list
from x2ct.inference.predictor import Predictor
from x2ct.scaling import target_to_hu

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
FIGURE = ROOT.parent / "docs" / "figures" / "error_regions.png"
AIR_HU, BONE_HU, DATA_RANGE_HU = -500.0, 200.0, 2500.0
DISTANCES = np.array([-6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6])
"""Layers of the profile: -1 the body's outermost voxels, -2 the next inward, +1 the first air
voxels outside, and so on (distance rounded up to whole voxels)."""


def regions(truth_hu: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Boolean masks of air, soft tissue, bone and the outline band of a (D, H, W) HU cube, and
    the layer of every voxel about the filled body's surface (see ``DISTANCES``)."""
    air = truth_hu < AIR_HU
    bone = truth_hu >= BONE_HU
    body = ndimage.binary_fill_holes(~air)
    inside = ndimage.distance_transform_edt(body)
    outside = ndimage.distance_transform_edt(~body)
    layer = np.where(body, -np.ceil(inside), np.ceil(outside)).astype(int)
    masks = {"air": air, "soft tissue": ~air & ~bone, "bone": bone, "outline": np.abs(layer) == 1}
    return masks, layer


def case_errors(truth_hu: np.ndarray, predicted_hu: np.ndarray) -> dict:
    """Per-region statistics and the outline profile of one case (float64 throughout)."""
    error = predicted_hu.astype(np.float64) - truth_hu.astype(np.float64)
    squared = error**2
    masks, layer = regions(truth_hu)
    row: dict = {"PSNR-dB": float(20 * np.log10(DATA_RANGE_HU / np.sqrt(squared.mean())))}
    for name, mask in masks.items():
        row[name] = {
            "volume-share": float(mask.mean()),
            "squared-error-share": float(squared[mask].sum() / squared.sum()),
            "bias-HU": float(error[mask].mean()) if mask.any() else 0.0,
            "MAE-HU": float(np.abs(error[mask]).mean()) if mask.any() else 0.0,
        }
    row["profile-bias-HU"] = [
        float(error[layer == d].mean()) if (layer == d).any() else float("nan") for d in DISTANCES
    ]
    return row


def run_model(model: str, data: Path, n: int | None) -> list[dict]:
    predictor = Predictor.from_model(model)
    names = case_list(data, "all")[:n]
    dataset = CaseDataset(data, names, predictor.size, check=False)
    rows = []
    for index in range(len(dataset)):
        item = dataset[index]
        truth = target_to_hu(item["ct"][0].numpy())
        predicted = predictor.predict(item["xray1"][0].numpy(), item["xray2"][0].numpy())
        row = case_errors(truth, target_to_hu(predicted))
        row["case"] = names[index]
        rows.append(row)
    return rows


def summarise(rows: list[dict]) -> dict:
    """Means over cases of every number of ``case_errors``."""
    summary: dict = {"cases": len(rows), "PSNR-dB": float(np.mean([r["PSNR-dB"] for r in rows]))}
    for name in ("air", "soft tissue", "bone", "outline"):
        summary[name] = {k: float(np.mean([r[name][k] for r in rows])) for k in rows[0][name]}
    summary["profile-bias-HU"] = np.nanmean([r["profile-bias-HU"] for r in rows], axis=0).tolist()
    return summary


def draw(summaries: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=120)
    for label, summary in summaries.items():
        ax.plot(DISTANCES, summary["profile-bias-HU"], marker="o", label=label)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("voxel layer from the body's outline (-1 outermost body voxels, +1 first air)")
    ax.set_ylabel("mean error, predicted - true (HU)")
    ax.set_title("Signed HU error around the body's outline (hold-out phantoms)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=MODEL:DATA")
    parser.add_argument("--n", type=int, default=None, help="first N cases of each folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "error_regions.json")
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()
    summaries, per_case = {}, {}
    for spec in args.models:
        label, _, rest = spec.partition("=")
        model, _, data = rest.rpartition(":")
        if not (label and model and data):
            raise SystemExit(f"expected LABEL=MODEL:DATA, found {spec!r}")
        rows = run_model(model, Path(data), args.n)
        summaries[label], per_case[label] = summarise(rows), rows
    header = (
        f"{'model':28s} {'region':12s} {'volume':>7s} {'sq.err':>7s} {'bias HU':>8s} {'MAE HU':>7s}"
    )
    print(header)
    for label, summary in summaries.items():
        for name in ("air", "soft tissue", "bone", "outline"):
            s = summary[name]
            print(
                f"{label:28s} {name:12s} {s['volume-share']:7.3f} {s['squared-error-share']:7.3f} "
                f"{s['bias-HU']:8.1f} {s['MAE-HU']:7.1f}"
            )
        print(f"{label:28s} PSNR {summary['PSNR-dB']:.2f} dB over {summary['cases']} cases")
    record = {"summary": summaries, "per_case": per_case, "distances-voxels": DISTANCES.tolist()}
    write_text(args.out, json.dumps(record, indent=1) + "\n")
    draw(summaries, args.figure)
    print(f"wrote {args.out} and {args.figure}")


if __name__ == "__main__":
    main()
