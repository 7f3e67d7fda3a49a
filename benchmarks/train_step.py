"""Time of one X2CT-GAN training step (G step with D frozen, then D step) per preset, on CPU.

For each preset the networks are built from its ``model`` section and stepped with its
``train`` settings (batch size, AMP, loss weights) through ``x2ct.training.step.TrainStep`` on
random inputs, exactly as ``x2ct train`` steps them. Two arrangements run interleaved in this
process on the same inputs:

- ``gan``: the full step (generator and discriminator), what the presets train;
- ``cnn``: the generator-only step (``train.adversarial: false``, the X2CT-CNN ablation),
  the baseline of the reported ratio gan / cnn.

Reports medians over the timed repeats (after one warm-up step each) and the peak resident
memory of the process (VmHWM, reset before each preset). THP_MEM_ALLOC_ENABLE defaults to 1
and is reported; it must be set before torch allocates, so it is set before importing torch.

    .venv/bin/python benchmarks/train_step.py                      # tiny and cpu
    .venv/bin/python benchmarks/train_step.py --presets paper --repeats 2   # slow: minutes
    .venv/bin/python benchmarks/train_step.py --threads 1   # on a busy machine
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

import torch

from generator_speed import peak_rss_gb  # same folder: scripts run with it on sys.path
from x2ct.atomic import write_text
from x2ct.config import load_config
from x2ct.losses import LossWeights
from x2ct.models import build_discriminator, build_generator, count_parameters
from x2ct.training.step import TrainStep

RESULTS = Path(__file__).resolve().parent / "results" / "train_step.json"


def reset_peak() -> None:
    """Reset the process's peak RSS where Linux allows it."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def make_step(config, adversarial: bool) -> TrainStep:
    """Networks, Adam optimisers and the step of ``config`` (seeded, on CPU)."""
    tcfg = config.train
    torch.manual_seed(tcfg.seed)
    generator = build_generator(config.model)
    discriminator = build_discriminator(config.model) if adversarial else None
    adam = {"lr": tcfg.lr, "betas": tcfg.betas}
    opt_g = torch.optim.Adam(generator.parameters(), **adam)
    opt_d = None if discriminator is None else torch.optim.Adam(discriminator.parameters(), **adam)
    weights = LossWeights.from_config(tcfg)
    cpu = torch.device("cpu")
    return TrainStep(generator, discriminator, discriminator, opt_g, opt_d, weights, tcfg.amp, cpu)


def bench_preset(name: str, repeats: int) -> dict:
    """Median step times of the gan and cnn arrangements of one preset."""
    config = load_config(name)
    size, batch = config.model.input_size, config.train.batch_size
    g = torch.Generator().manual_seed(0)
    inputs = {
        "xray1": torch.rand(batch, 1, size, size, generator=g),
        "xray2": torch.rand(batch, 1, size, size, generator=g),
        "ct": torch.rand(batch, 1, size, size, size, generator=g),
    }
    reset_peak()
    steps = {"gan": make_step(config, True), "cnn": make_step(config, False)}
    times: dict[str, list[float]] = {key: [] for key in steps}
    for step in steps.values():  # warm-up (allocations, kernel selection)
        step(inputs)
    for _ in range(repeats):
        for key, step in steps.items():
            start = time.perf_counter()
            step(inputs)
            times[key].append(time.perf_counter() - start)
    gan, cnn = statistics.median(times["gan"]), statistics.median(times["cnn"])
    row = {
        "preset": name,
        "input_size": size,
        "batch_size": batch,
        "amp": config.train.amp,
        "generator_parameters": count_parameters(steps["gan"].generator),
        "discriminator_parameters": count_parameters(steps["gan"].discriminator),
        "gan_step_s": gan,
        "cnn_step_s": cnn,
        "gan_over_cnn": gan / cnn,
        "gan_times_s": times["gan"],
        "cnn_times_s": times["cnn"],
        "peak_rss_gb": peak_rss_gb(),
    }
    print(
        f"{name:<6s} {size:>4d}^3 batch {batch}  G+D step {gan:8.3f} s   G-only step {cnn:8.3f} s"
        f"   ratio {gan / cnn:5.2f}   peak {row['peak_rss_gb']:.2f} GB",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "cpu"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"THP_MEM_ALLOC_ENABLE={os.environ.get('THP_MEM_ALLOC_ENABLE')}"
    )
    rows = [bench_preset(name, args.repeats) for name in args.presets]
    record = {
        "benchmark": "train_step",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "thp_mem_alloc_enable": os.environ.get("THP_MEM_ALLOC_ENABLE"),
        "repeats": args.repeats,
        "results": rows,
    }
    write_text(args.out, json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
