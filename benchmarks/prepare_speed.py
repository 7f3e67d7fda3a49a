"""Speed of ``x2ct prepare`` on one 512 x 512 x 300 CT with vertebra labels (target <= 3 s).

A synthetic phantom of clinical size (512^2 in-plane at 0.7 mm, 300 slices of 1 mm, written as
int16 NIfTI like a scanner export) goes through the whole per-case pipeline: read CT + labels,
crop, resample to the 128^3 cube, two 256^2 cone-beam DRRs, preprocessing, HDF5 write. Prints a
table of the median time per stage and writes benchmarks/results/prepare_speed.json.

    .venv/bin/python benchmarks/prepare_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

import torch

from x2ct.config import ProjectConfig, apply_overrides
from x2ct.prepare.case import SpineSelection, prepare_case
from x2ct.prepare.labels import resolve
from x2ct.prepare.layout import CaseSource

RESULTS = Path(__file__).resolve().parent / "results" / "prepare_speed.json"


def make_case(folder: Path) -> CaseSource:
    """Write a 512 x 512 x 300 phantom CT and its labels; return the case."""
    import numpy as np

    from x2ct.io import write_volume
    from x2ct.io.orientation import reorient
    from x2ct.phantoms import PhantomConfig, generate_phantom

    config = PhantomConfig(
        matrix=512,
        slices=300,
        inplane_spacing_mm=(0.7, 0.7),
        slice_spacing_mm=(1.0, 1.0),
        levels=(5, 5),
    )
    phantom = generate_phantom(7, config)
    paths = []
    for name, volume, dtype in (("ct", phantom.ct, np.int16), ("labels", phantom.labels, np.uint8)):
        # Store as a scanner would (L, P, S voxel order), not in the model frame.
        array, affine = reorient(volume.array, volume.affine, ("L", "P", "S"))
        path = folder / f"{name}.nii.gz"
        write_volume(volume.with_array(array, affine), path, dtype=dtype)
        paths.append(path)
    return CaseSource("bench", paths[0], paths[1], "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    config = apply_overrides(ProjectConfig(), ["prepare.size=128", "xray.size=128"])
    spine = SpineSelection(*resolve("ctspine1k", "ctspine1k"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        case = make_case(folder)
        ct_mb = case.ct.stat().st_size / 1e6
        prepare_case(case, folder / "warmup", config, spine)  # imports, allocator warm-up
        runs = []
        for repeat in range(args.repeats):
            started = time.perf_counter()
            summary = prepare_case(case, folder / f"out{repeat}", config, spine)
            runs.append({"total": time.perf_counter() - started, **summary["stage_seconds"]})
    stages = [k for k in runs[0] if k != "total"]
    median = {k: statistics.median(r[k] for r in runs) for k in ["total", *stages]}
    print(
        f"prepare, one 512 x 512 x 300 CT ({ct_mb:.0f} MB .nii.gz) -> 128^3 cube + 2 x 256^2 cone-beam DRRs"
    )
    print(f"{'stage':<10} {'median s':>9}")
    for key in [*stages, "total"]:
        print(f"{key:<10} {median[key]:>9.3f}")
    print(f"target <= 3 s: {'met' if median['total'] <= 3.0 else 'missed'}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "prepare_speed",
                "case": "512 x 512 x 300 phantom, 0.7 x 0.7 x 1.0 mm, int16 NIfTI (LPS order)",
                "output": "128^3 aligned cube, cone-beam DRRs 256^2 -> 128^2",
                "median_seconds": median,
                "runs": runs,
                "target_seconds": 3.0,
                "threads": torch.get_num_threads(),
                "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE"),
                "torch": torch.__version__,
                "machine": platform.machine(),
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
