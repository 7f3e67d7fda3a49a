"""Time of one reconstruction on the web page (`x2ct app`), per shipped model and example pair.

Times ``x2ct.app.work.reconstruct_request``, the page's own call from pressing Reconstruct to
the result: the model read from its folder (2 MB), the network (volume and level labels), the
NIfTI files, the bone surface (STL), the clinical measures, the scores against the truth and
the figures. The page's drawing of slices and the 3D view in the browser is not included.
Every model is warmed up once on the first example (imports, oneDNN kernels), then each of
its example pairs is reconstructed ``--repeats`` times; medians are reported, with the
process's CPU time. As a baseline in the same process, the network's forward pass alone
(``Predictor.predict_both`` on the same views) is timed, so the ratio shows what the rest of
the request costs. Target (issue 15): under 10 s on 2 cores, after the model is loaded.

Usage: .venv/bin/python benchmarks/app_speed.py [--repeats 3] [--models spine-cpu,...]
Writes benchmarks/results/app_speed.json.
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

RESULTS = Path(__file__).resolve().parent / "results" / "app_speed.json"
TARGET_SECONDS = 10.0


def _time_request(example, model: str, root: Path) -> tuple[float, float, float | None]:
    """(wall s, CPU s, bone Dice) of one page request in a fresh folder under ``root``."""
    from x2ct.app.work import reconstruct_request

    folder = Path(tempfile.mkdtemp(dir=root))
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = reconstruct_request(
        example.frontal, example.lateral, folder, model=model, truth=example.truth
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    dice = None if outcome.metrics is None else outcome.metrics.get("Dice")
    return wall, cpu, dice


def _time_network(example, model: str, repeats: int) -> float:
    """Median wall s of the network alone (volume and labels) on the example's views."""
    import numpy as np
    from PIL import Image

    from x2ct.inference.predictor import Predictor

    predictor = Predictor.from_model(model)
    views = [np.asarray(Image.open(p).convert("L")) for p in (example.frontal, example.lateral)]
    predictor.predict_both(*views)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict_both(*views)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per example (default 3)")
    parser.add_argument("--models", default="", help="comma-separated names (default: all shipped)")
    args = parser.parse_args()

    import torch

    from x2ct.app.examples import example_names, find_example
    from x2ct.atomic import write_text
    from x2ct.models.folder import shipped_names

    models = [m for m in args.models.split(",") if m] or shipped_names()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for model in models:
            examples = [find_example(name, model) for name in example_names()]
            _time_request(examples[0], model, root)  # warm-up
            for example in examples:
                runs = [_time_request(example, model, root) for _ in range(args.repeats)]
                network = _time_network(example, model, args.repeats)
                wall = statistics.median(r[0] for r in runs)
                rows.append(
                    {
                        "model": model,
                        "example": example.name,
                        "views": example.model,
                        "wall_s": wall,
                        "cpu_s": statistics.median(r[1] for r in runs),
                        "wall_runs_s": [r[0] for r in runs],
                        "network_s": network,
                        "request_to_network": wall / network,
                        "bone_dice": runs[0][2],
                    }
                )
                print(f"  {model} {example.name}: {wall:.2f} s", flush=True)

    print(
        f"\n{'model':<22} {'example':<10} {'wall s':>7} {'CPU s':>7} {'network s':>9} {'ratio':>6}"
    )
    for r in rows:
        print(
            f"{r['model']:<22} {r['example']:<10} {r['wall_s']:7.2f} {r['cpu_s']:7.2f} "
            f"{r['network_s']:9.2f} {r['request_to_network']:6.1f}"
        )
    slowest = max(r["wall_s"] for r in rows)
    met = slowest < TARGET_SECONDS
    print(
        f"slowest median {slowest:.2f} s: target < {TARGET_SECONDS:.0f} s {'met' if met else 'MISSED'}"
    )
    result = {
        "benchmark": "app_speed",
        "repeats": args.repeats,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": list(os.getloadavg()),
        "rows": rows,
        "slowest_median_s": slowest,
        "target_s": TARGET_SECONDS,
        "target_met": met,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.platform(),
    }
    write_text(RESULTS, json.dumps(result, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
