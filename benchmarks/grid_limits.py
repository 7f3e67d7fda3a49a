"""What the output grid itself allows: empty cube, bone share, and what one voxel costs in Dice.

Two of the suspects of docs/quality.md need no training, only the prepared targets. For each data
folder (every case of train.txt and test.txt), on the (D, H, W) target grid:

- ``empty_rows``: share of the cube's D rows (axial slices) with no body voxel (HU > -500):
  the part of the cube outside the scanned extent, which the network must learn to leave empty;
- ``body`` and ``bone``: shares of the cube's voxels that are body, and bone (HU >= 200);
- ``Dice_dilated`` / ``Dice_eroded``: bone Dice of the truth against itself grown / shrunk by one
  voxel (6-connected). A prediction whose every bone surface is one voxel off scores about this,
  so it bounds what a grid of that voxel size forgives;
- ``thin_bone``: share of bone voxels that a one-voxel erosion removes (bone at most ~2 voxels
  thick at that point): structures a voxel-wise intensity loss can average away.

    .venv/bin/python benchmarks/grid_limits.py NAME=DATA [NAME=DATA ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from x2ct.atomic import write_text
from x2ct.data.hdf5 import read_case

RESULTS = Path(__file__).resolve().parent / "results" / "grid_limits.json"
BODY_HU, BONE_HU = -500.0, 200.0


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice of two boolean masks (1 for two empty ones)."""
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def case_limits(hu: np.ndarray) -> dict[str, float]:
    """The measures of the module docstring for one (D, H, W) HU volume."""
    body, bone = hu > BODY_HU, hu >= BONE_HU
    eroded = ndimage.binary_erosion(bone)
    return {
        "empty_rows": float(1.0 - body.any(axis=(1, 2)).mean()),
        "body": float(body.mean()),
        "bone": float(bone.mean()),
        "Dice_dilated": dice(bone, ndimage.binary_dilation(bone)),
        "Dice_eroded": dice(bone, eroded),
        "thin_bone": float(1.0 - eroded.sum() / max(int(bone.sum()), 1)),
    }


def folder_limits(data: Path) -> dict:
    """Means over the cases of a prepared data folder, with its grid from manifest.json."""
    names = []
    for split in ("train.txt", "test.txt"):
        names += (data / split).read_text(encoding="utf-8").split()
    settings = json.loads((data / "manifest.json").read_text(encoding="utf-8"))["settings"]
    rows = []
    for name in names:
        case = read_case(data / name / "ct_xray_data.h5", load_mask=False)
        rows.append(case_limits(case.ct - 1024.0))  # stored as HU + 1024
    prepare = settings["prepare"]
    means = {key: round(float(np.mean([r[key] for r in rows])), 4) for key in rows[0]}
    return {
        "cases": len(rows),
        "size": prepare["size"],
        "field_mm": prepare["field_mm"],
        "voxel_mm": round(prepare["field_mm"] / prepare["size"], 2),
        **means,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="NAME=DATA of prepared data folders")
    args = parser.parse_args()
    results = {}
    keys = ("voxel_mm", "empty_rows", "body", "bone", "thin_bone", "Dice_dilated", "Dice_eroded")
    print(f"{'data':14} {'cases':>5} " + " ".join(f"{k:>12}" for k in keys))
    for item in args.folders:
        name, folder = item.split("=", 1)
        results[name] = folder_limits(Path(folder))
        row = results[name]
        print(f"{name:14} {row['cases']:5d} " + " ".join(f"{row[k]:12.4f}" for k in keys))
    write_text(RESULTS, json.dumps({"benchmark": "grid_limits", "data": results}, indent=1) + "\n")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
