"""Frontal-lateral pairs given the right way and the wrong way round: what the pair check says.

    python benchmarks/swap_check.py HOLDOUT_DIR/data [MORE/data ...] [--model spine-cpu]

Each argument is a prepared hold-out folder (the ``data`` folder ``benchmarks/holdout.py --out
DIR`` leaves). Its cases' two views (``xray1_frontal.png``, ``xray2_lateral.png``: x2ct's own
views, the model's field, no pixel spacing) go through the check ``x2ct reconstruct`` applies to
such views (``x2ct.inference.inputs.check_own_views``) once as given and once swapped. A true
pair refused is a false alarm; a swapped pair passed is a miss. Each refusal is counted by the
cue that made it: mirror symmetry, the body's width against the lateral's depth, or a lateral
that looks frontal. Writes ``results/swap_check.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from x2ct.atomic import write_text
from x2ct.errors import InputError
from x2ct.inference.inputs import check_own_views
from x2ct.inference.predictor import Predictor
from x2ct.io import Radiograph

RESULTS = Path(__file__).resolve().parent / "results"


def cue(message: str) -> str:
    """Which check refused a pair, from its one-line message."""
    if "across here" in message:
        return "width"
    if "looks frontal" in message:
        return "lateral looks frontal"
    return "mirror symmetry" if "swapped" in message else "other"


def check_folder(folder: Path, side_mm: float) -> dict:
    counts = {"pairs": 0, "true refused": 0, "swapped refused": 0, "by cue": {}}
    for case in sorted(p for p in folder.iterdir() if (p / "xray1_frontal.png").is_file()):
        views = [
            Radiograph(np.asarray(Image.open(case / name).convert("L"), np.float32), None, name)
            for name in ("xray1_frontal.png", "xray2_lateral.png")
        ]
        counts["pairs"] += 1
        try:
            check_own_views(views, ("frontal", "lateral"), side_mm=side_mm)
        except InputError:
            counts["true refused"] += 1
        try:
            check_own_views(views[::-1], ("lateral", "frontal"), side_mm=side_mm)
        except InputError as exc:
            counts["swapped refused"] += 1
            name = cue(str(exc))
            counts["by cue"][name] = counts["by cue"].get(name, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--model", default="default", help="whose field the views show")
    parser.add_argument("--out", type=Path, default=RESULTS / "swap_check.json")
    args = parser.parse_args()
    geometry = Predictor.from_model(args.model).geometry
    side = geometry.prepare.field_mm * geometry.magnification
    rows = {}
    print(f"{'folder':58s} {'pairs':>5s} {'true refused':>12s} {'swapped refused':>15s}  by cue")
    for folder in args.folders:
        counts = check_folder(folder, side)
        label = str(folder)
        rows[label] = counts
        print(
            f"{label[-58:]:58s} {counts['pairs']:5d} {counts['true refused']:12d} "
            f"{counts['swapped refused']:15d}  {counts['by cue']}"
        )
    total = {
        k: sum(r[k] for r in rows.values()) for k in ("pairs", "true refused", "swapped refused")
    }
    print(
        f"{'all':58s} {total['pairs']:5d} {total['true refused']:12d} {total['swapped refused']:15d}"
    )
    write_text(args.out, json.dumps({"model": args.model, "folders": rows, "all": total}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
