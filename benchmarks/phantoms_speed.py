"""Speed of the phantom generator: a 256 x 256 x 200 phantom on one core.

Runs ``generate_phantom`` for several seeds with ``PhantomConfig(matrix=256, slices=200)`` (so the
volume is 200 x 256 x 256 whatever the sampled spacing), single-threaded (OMP / OpenBLAS / MKL
threads = 1, torch.set_num_threads(1)), and reports the median time. As a machine-speed baseline
in the same process it times the unavoidable part of any generator of that size: allocating the
volume and drawing its Gaussian noise. It also times writing one case (NIfTI .gz, truth JSON).

Usage: .venv/bin/python benchmarks/phantoms_speed.py [--seeds 9]
Writes benchmarks/results/phantoms_speed.json.
"""

from __future__ import annotations

import os

for _key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_key] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

SHAPE = (200, 256, 256)
RESULTS = Path(__file__).resolve().parent / "results" / "phantoms_speed.json"


def _torch_threads() -> str:
    try:
        import torch
    except ImportError:
        return "torch not installed"
    torch.set_num_threads(1)
    return str(torch.get_num_threads())


def _baseline() -> float:
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    volume = np.full(SHAPE, -1000.0, dtype=np.float32)
    volume += rng.standard_normal(SHAPE, dtype=np.float32)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=9, help="number of seeds timed (default 9)")
    args = parser.parse_args()
    torch_threads = _torch_threads()

    from x2ct.phantoms import PhantomConfig, generate_phantom
    from x2ct.phantoms.writer import write_case

    config = PhantomConfig(matrix=256, slices=200)
    generate_phantom(10_000, config)  # warm-up: imports, texture tile
    rows = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        phantom = generate_phantom(seed, config)
        elapsed = time.perf_counter() - start
        assert phantom.ct.shape == SHAPE
        run = phantom.truth["spine"]["run"]
        rows.append(
            {
                "seed": seed,
                "seconds": elapsed,
                "levels": f"{run[0]}-{run[-1]}",
                "drawn": len(phantom.truth["spine"]["levels"]),
            }
        )
    baseline = float(np.median([_baseline() for _ in range(5)]))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_case(Path(tmp), 0, 0, config, preview=False)
        write_seconds = time.perf_counter() - start
    median = float(np.median([r["seconds"] for r in rows]))

    print(f"{'seed':>4}  {'levels':>8}  {'drawn':>5}  {'seconds':>8}")
    for r in rows:
        print(f"{r['seed']:>4}  {r['levels']:>8}  {r['drawn']:>5}  {r['seconds']:8.3f}")
    print(f"median generate_phantom 256x256x200, 1 thread: {median:.3f} s")
    print(
        f"baseline (allocate + Gaussian noise, same shape): {baseline:.3f} s -> ratio {median / baseline:.1f}"
    )
    print(f"generate + write one case (NIfTI .gz + JSON): {write_seconds:.3f} s")
    result = {
        "benchmark": "phantoms_speed",
        "shape_dhw": list(SHAPE),
        "threads": {"numpy/OMP/OpenBLAS/MKL": 1, "torch": torch_threads},
        "seeds": args.seeds,
        "median_seconds": median,
        "max_seconds": max(r["seconds"] for r in rows),
        "baseline_seconds": baseline,
        "ratio_to_baseline": median / baseline,
        "generate_and_write_seconds": write_seconds,
        "per_seed": rows,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    from x2ct.atomic import write_text

    write_text(RESULTS, json.dumps(result, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
