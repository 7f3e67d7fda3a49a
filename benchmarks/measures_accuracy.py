"""Accuracy of x2ct.measures against exact phantom truth, at three resolutions, with and without labels.

For each phantom: the CT at its own resolution, and the CT resampled (as `x2ct prepare` does, aligned
mode) to a 128^3 cube of 2 mm and a 64^3 cube of 4 mm voxels; each measured with the label map
(resampled by nearest neighbour) and without (threshold + split, vertebrae paired with the truth by
body centre). Errors are those of ``compare_measures`` against the truth record: mean absolute
error over paired vertebrae for heights (mm), tilts and wedge angles (degrees), the absolute error
of the Cobb angle and lordosis per case, and the Genant grade agreement. Two tables: the mean
over cases, and the median over cases (a few failed cases dominate the means).

    .venv/bin/python benchmarks/measures_accuracy.py --n 24
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from x2ct.measures import compare_measures, measure_volume
from x2ct.phantoms import PhantomConfig, generate_phantom
from x2ct.prepare.crop import bounding_box, box_center_world
from x2ct.prepare.resample import aligned_cube_affine, resample_to_cube
from x2ct.volume import Volume

RESULTS = Path(__file__).resolve().parent / "results" / "measures_accuracy.json"
KEYS = (
    "height_anterior_mae_mm",
    "height_middle_mae_mm",
    "height_posterior_mae_mm",
    "superior_coronal_tilt_mae_deg",
    "superior_sagittal_tilt_mae_deg",
    "wedge_angle_mae_deg",
    "body_centre_mae_mm",
    "cobb_abs_error_deg",
    "lordosis_abs_error_deg",
    "grade_agreement",
)
SHORT = ("Ha", "Hm", "Hp", "cor", "sag", "wedge", "centre", "Cobb", "lord", "grade")


def cubes(ct: Volume, labels: Volume):
    """(name, ct, labels) at the phantom's resolution and on 2 mm / 4 mm cubes around the spine."""
    yield "full", ct, labels
    centre = box_center_world(ct, bounding_box(labels.array > 0))
    for name, size, voxel in (("2mm", 128, 2.0), ("4mm", 64, 4.0)):
        affine = aligned_cube_affine(ct, centre, size, voxel)
        yield (
            name,
            Volume(resample_to_cube(ct, affine, size), affine, ct.source),
            Volume(resample_to_cube(labels, affine, size, labels=True), affine, ct.source),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24, help="number of phantoms")
    parser.add_argument("--seed", type=int, default=1000, help="first phantom seed")
    args = parser.parse_args()
    config = PhantomConfig(fracture_probability=0.35, scoliosis_probability=0.35)
    rows: dict[str, list[dict]] = {}
    failures: dict[str, int] = {}
    started = time.perf_counter()
    for seed in range(args.seed, args.seed + args.n):
        phantom = generate_phantom(seed, config)
        for res, ct, labels in cubes(phantom.ct, phantom.labels):
            for mode, lab in (("labels", labels), ("threshold", None)):
                key = f"{res}/{mode}"
                try:
                    result = compare_measures(measure_volume(ct, lab), phantom.truth)
                except ValueError:
                    failures[key] = failures.get(key, 0) + 1
                    continue
                rows.setdefault(key, []).append({"seed": seed, **result["summary"]})
    table = {}
    for key, cases in rows.items():
        summary = {"cases": len(cases), "failed": failures.get(key, 0)}
        summary["vertebrae_paired"] = int(sum(c["vertebrae_paired"] for c in cases))
        for name in KEYS:
            values = [c[name] for c in cases if c.get(name) is not None]
            summary[name] = round(float(np.mean(values)), 3) if values else None
            summary[f"{name}_median"] = round(float(np.median(values)), 3) if values else None
        table[key] = summary
    header = f"{'condition':<16}{'cases':>6}{'vert':>6}" + "".join(f"{s:>8}" for s in SHORT)
    for title, suffix in (("mean over cases", ""), ("median over cases", "_median")):
        print(title)
        print(header)
        for key, s in table.items():
            cells = "".join(
                f"{'-' if s[k + suffix] is None else f'{s[k + suffix]:.2f}':>8}" for k in KEYS
            )
            print(f"{key:<16}{s['cases']:>6}{s['vertebrae_paired']:>6}{cells}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "measures_accuracy",
        "n_phantoms": args.n,
        "first_seed": args.seed,
        "phantom_config": {"fracture_probability": 0.35, "scoliosis_probability": 0.35},
        "units": "mm for heights and centres, degrees for angles; grade_agreement a fraction",
        "table": table,
        "per_case": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.write_text(json.dumps(payload, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
