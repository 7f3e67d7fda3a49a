"""Why X2CT-GAN misses the vertebrae: short SpineNet runs that change one suspect at a time.

Every arm trains the ``spine-cpu`` preset from scratch for the same number of steps on the same
phantoms and is validated after every epoch on the same validation cases: the data folder's
test.txt, phantoms of their own seed, never the hold-out seed of the shipped model's card. An arm
differs from ``base`` in one setting:

    base        spine-cpu as shipped: ray lifting, L1 + bone Dice/CE + level Dice/CE
    mse         MSE on HU only, no segmentation terms (X2CT-GAN's voxel loss; bone by threshold)
    axis        views copied along their axis, cone magnification ignored (X2CT-GAN's lifting)
    projection  base + X2CT-GAN's projection L1 (weight 10)
    no-levels   base without the level term (does level identity slow bone down?)
    contrast    base on views rendered through a narrower line-integral window (WINDOW_DATA)
    ordinal     base with the ordinal level head (vertebra mask + level index) for the classes
    adversarial base + X2CT-GAN's conditional PatchGAN term (weight 0.1, 16 base channels)

Data (about 7 minutes), then the runs one after the other (about 13 minutes each on 2 cores):

    .venv/bin/x2ct phantoms --n 200 --seed 5000 --workers 2 --config spine-cpu --out P
    .venv/bin/x2ct prepare P DATA --config spine-cpu --split 0.88 --workers 2
    .venv/bin/x2ct prepare P DATA_W --config spine-cpu --split 0.88 --workers 2 \\
        --set "drr.window_water_mm=[50, 300]"
    .venv/bin/python benchmarks/ablation.py DATA --contrast-data DATA_W --epochs 5 --out RUNS

Runs already finished are read again, not retrained, so the script resumes after a stop; the
arms of an invocation replace their own records in the results file and keep the others.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
from pathlib import Path

import torch

from x2ct.atomic import write_text

RESULTS = Path(__file__).resolve().parent / "results" / "ablation.json"
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "figures" / "ablation_curves.png"

ARMS: dict[str, tuple[str, ...]] = {
    "base": (),
    "mse": (
        "train.spine_intensity_loss=mse", "train.weight_bone=0", "train.weight_levels=0",
        "model.bone_consistent=false",
    ),
    "axis": ("model.spine_lifting=axis",),
    "projection": ("train.weight_spine_projection=10",),
    "no-levels": ("train.weight_levels=0",),
    "contrast": (),
    "ordinal": ("model.spine_level_head=ordinal",),
    "adversarial": ("train.adversarial=true", "model.discriminator_channels=16"),
}  # fmt: skip
"""--set overrides of each arm (``contrast`` changes the data, not a setting)."""

COLUMNS = ("bone_Dice", "level_Dice", "PSNR-3D", "MAE0")
"""Validation columns kept from each run's metrics.csv (as ``val_<name>``)."""


def curve(run: Path) -> list[dict]:
    """One dict per validated epoch: step, elapsed minutes and the COLUMNS present."""
    path = run / "metrics.csv"
    if not path.is_file():
        return []
    points = []
    for row in csv.DictReader(path.open(encoding="utf-8")):
        if row.get("val_bone_Dice") in (None, ""):
            continue
        point = {"step": int(row["step"]), "minutes": round(float(row["elapsed_s"]) / 60.0, 2)}
        for name in COLUMNS:
            value = row.get(f"val_{name}")
            if value not in (None, ""):
                point[name] = round(float(value), 4)
        points.append(point)
    return points


def draw(results: dict[str, dict], path: Path) -> None:
    """Validation bone Dice against step, one line per arm (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from x2ct.atomic import atomic_path

    fig, (ax, ax_levels) = plt.subplots(1, 2, figsize=(11.0, 4.2), dpi=120)
    for name, arm in results.items():
        points = arm["curve"]
        ax.plot([p["step"] for p in points], [p["bone_Dice"] for p in points], "o-", label=name)
        leveled = [p for p in points if "level_Dice" in p]
        if leveled:
            steps = [p["step"] for p in leveled]
            ax_levels.plot(steps, [p["level_Dice"] for p in leveled], "o-", label=name)
    ax.set_ylabel("validation bone Dice (>= 200 HU)")
    ax_levels.set_ylabel("validation level Dice (arms that recorded it)")
    levels = [p.get("level_Dice", 0.0) for arm in results.values() for p in arm["curve"]]
    for axis, top in ((ax, 1.0), (ax_levels, max(0.2, 1.2 * max(levels, default=0.0)))):
        axis.set_xlabel("training step (batch 2)")
        axis.set_ylim(0.0, top)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    fig.suptitle("SpineNet spine-cpu, one setting changed per arm")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def train_arm(data: Path, name: str, epochs: int, out: Path) -> Path:
    """Train one arm in a fresh process (resumed if a checkpoint exists)."""
    run = out / name
    command = [sys.executable, "-m", "x2ct", "train", str(data), "--config", "spine-cpu",
               "--out", str(run), "--resume",
               "--set", f"train.epochs_constant={epochs}", "--set", "train.epochs_decay=0"]  # fmt: skip
    for override in ARMS[name]:
        command += ["--set", override]
    subprocess.run(command, check=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="prepared data folder (train.txt / test.txt)")
    parser.add_argument("--contrast-data", type=Path, help="the same phantoms, narrower window")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--arms", nargs="*", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--out", type=Path, default=Path("ablation-runs"))
    args = parser.parse_args()
    if "contrast" in args.arms and args.contrast_data is None:
        parser.error("the contrast arm needs --contrast-data")
    # Arms not run in this invocation keep their earlier record.
    results = json.loads(RESULTS.read_text())["arms"] if RESULTS.is_file() else {}
    print(f"{'arm':11} {'steps':>6} {'minutes':>8} " + " ".join(f"{c:>13}" for c in COLUMNS))
    for name in args.arms:
        data = args.contrast_data if name == "contrast" else args.data
        run = train_arm(data, name, args.epochs, args.out)
        points = curve(run)
        results[name] = {"overrides": list(ARMS[name]), "data": str(data), "curve": points}
        last = points[-1] if points else {}
        cells = " ".join(f"{last.get(c, float('nan')):13.4f}" for c in COLUMNS)
        print(f"{name:11} {last.get('step', 0):6d} {last.get('minutes', 0.0):8.1f} {cells}")
    record = {
        "benchmark": "ablation",
        "preset": "spine-cpu",
        "epochs": args.epochs,
        "train_cases": len((args.data / "train.txt").read_text().split()),
        "validation_cases": len((args.data / "test.txt").read_text().split()),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
        },
        "arms": results,
    }
    write_text(RESULTS, json.dumps(record, indent=1) + "\n")
    draw(results, FIGURE)
    print(f"-> {RESULTS}, {FIGURE}")


if __name__ == "__main__":
    main()
