"""Wall time to held-out bone Dice 0.5 / 0.8 / 0.9 of both model families, on 2 CPU cores.

Both families train from scratch on the same prepared phantoms and are validated after every
epoch on the same held-out cases (the data folder's test.txt, never used to choose a model).
The validation's ``bone_Dice`` (voxels >= 200 HU in prediction and truth, on the 64^3 grid) is
read from each run's metrics.csv against its ``elapsed_s`` (training plus validation time).

    # the data: 500 phantoms, prepared with spine-cpu's data settings (about 6 minutes)
    .venv/bin/x2ct phantoms --n 500 --seed 1000 --workers 2 --config spine-cpu --out P
    .venv/bin/x2ct prepare P DATA --config spine-cpu --split 0.95 --workers 2
    # train each family for its budget, one after the other, then report
    .venv/bin/python benchmarks/time_to_quality.py DATA --minutes 75 20
    # or report runs already trained on DATA (e.g. the shipped model's run)
    .venv/bin/python benchmarks/time_to_quality.py DATA --runs spine=RUN1 x2ct-gan=RUN2

The spine family trains with the ``spine-cpu`` preset, X2CT-GAN with ``cpu`` (the paper's
network at 64^3 with its losses and optimiser); a curve that stops below a threshold is
reported as not reached, with its best value.
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

RESULTS = Path(__file__).resolve().parent / "results" / "time_to_quality.json"
THRESHOLDS = (0.5, 0.8, 0.9)
PRESETS = {"spine": "spine-cpu", "x2ct-gan": "cpu"}


def curve(run: Path) -> list[tuple[float, int, float]]:
    """(elapsed minutes, step, validation bone Dice) after every validated epoch of a run
    (empty when the run stopped before its first epoch ended)."""
    path = run / "metrics.csv"
    if not path.is_file():
        return []
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    points = []
    for row in rows:
        if row.get("val_bone_Dice") not in (None, ""):
            points.append(
                (float(row["elapsed_s"]) / 60.0, int(row["step"]), float(row["val_bone_Dice"]))
            )
    return points


def first_reach(points: list[tuple[float, int, float]], threshold: float) -> dict | None:
    """The first validated epoch at or above ``threshold`` (minutes, step), or None."""
    for minutes, step, dice in points:
        if dice >= threshold:
            return {"minutes": round(minutes, 1), "step": step, "bone_Dice": round(dice, 4)}
    return None


def train_family(data: Path, family: str, minutes: float, out: Path) -> Path:
    """Train one family from scratch for ``minutes`` with the x2ct CLI (a fresh process)."""
    run = out / f"ttq-{family}"
    command = [
        sys.executable, "-m", "x2ct", "train", str(data), "--config", PRESETS[family],
        "--out", str(run), "--set", f"train.max_minutes={minutes}",
        "--set", "train.fit_schedule_to_budget=true",
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="prepared data folder (train.txt / test.txt)")
    parser.add_argument("--minutes", type=float, nargs=2, default=(75.0, 20.0),
                        metavar=("SPINE", "GAN"), help="training budgets")  # fmt: skip
    parser.add_argument("--runs", nargs="*", default=[], help="family=RUN of runs already trained")
    parser.add_argument("--out", type=Path, default=Path("ttq-runs"))
    args = parser.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    budgets = dict(zip(PRESETS, args.minutes, strict=True))
    results = {}
    print(f"{'family':10} {'minutes':>8} {'steps':>6} {'best Dice':>9} " + " ".join(
        f"{'to ' + str(t):>14}" for t in THRESHOLDS))  # fmt: skip
    for family in PRESETS:
        run = Path(runs[family]) if family in runs else None
        if run is None:
            run = train_family(args.data, family, budgets[family], args.out)
        points = curve(run)
        reached = {str(t): first_reach(points, t) for t in THRESHOLDS}
        best = max((p[2] for p in points), default=float("nan"))
        if not points:
            print(f"{family}: no epoch finished within the budget, so no validation point")
        results[family] = {
            "preset": PRESETS[family],
            "run": str(run),
            "curve": [
                {"minutes": round(m, 2), "step": s, "bone_Dice": round(d, 4)} for m, s, d in points
            ],
            "reached": reached,
            "best_bone_Dice": best,
            "minutes_trained": round(points[-1][0], 1) if points else 0.0,
            "steps": points[-1][1] if points else 0,
        }
        if not points:  # where the run stopped, from its resumable checkpoint
            loop = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["loop"]
            results[family].update(
                minutes_trained=round(loop["elapsed"] / 60.0, 1), steps=int(loop["step"])
            )
        cells = [
            f"{r['minutes']:>8.1f} min" if r else f"{'not reached':>14}" for r in reached.values()
        ]
        print(f"{family:10} {results[family]['minutes_trained']:8.1f} {results[family]['steps']:6d}"
              f" {best:9.3f} " + " ".join(cells))  # fmt: skip
    record = {
        "benchmark": "time_to_quality",
        "data": str(args.data.resolve()),
        "validation_cases": len((args.data / "test.txt").read_text().split()),
        "thresholds": THRESHOLDS,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
        },
        "results": results,
    }
    write_text(RESULTS, json.dumps(record, indent=1) + "\n")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
