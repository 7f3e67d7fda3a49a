"""Speed of the paper-size X2CT-GAN generator on CPU: x2ct's arrangement vs the original one.

Both arrangements share the same weights (``x2ct.models.original.OriginalArrangement`` wraps the
generator and adds the two view outputs the original computes). Timings run interleaved in one
process on the same inputs:

- forward: one inference-mode pass, xray1 + xray2 (1, 1, S, S) -> CT (1, 1, S, S, S);
- train step: forward in train mode, 10 * MSE + (10/3) * sum of the three projection L1 losses
  on the fused output, backward, Adam step (the generator half of a GAN step, without D).

Reported: medians of wall time and of process CPU time, their ratios, and the largest
difference between the two fused outputs. Peak memory (VmHWM, the peak resident set) is
measured in one fresh subprocess per arrangement and mode, so that one measurement's memory
does not count in another's.

Settings (stated in the output and the JSON): THP_MEM_ALLOC_ENABLE=1 (PyTorch's huge pages for
large CPU allocations; set before torch is imported), the thread count, torch version. On these
VMs fresh memory is slow to touch, so the kernel time of page faults (a few seconds per
paper-size training step, for either arrangement) is part of the timings; the CPU time column
includes it.

``--gan-step PRESET`` instead times one full GAN training step of a preset (G forward and
backward with D frozen, Adam; D forward and backward on real and fake, Adam) at batch 1: the
number quoted in configs/cpu.yaml.

    .venv/bin/python benchmarks/generator_speed.py               # 128^3, about 10 minutes
    .venv/bin/python benchmarks/generator_speed.py --size 64 --repeats 2
    .venv/bin/python benchmarks/generator_speed.py --gan-step cpu
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

import torch

from x2ct.atomic import write_text
from x2ct.models import ModelConfig, build_generator, count_parameters
from x2ct.models.original import OriginalArrangement

RESULTS = Path(__file__).resolve().parent / "results" / "generator_speed.json"


def peak_rss_gb() -> float:
    """Peak resident memory of this process, in GB (VmHWM, else ru_maxrss)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def reconstruction_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """10 * MSE + (10/3) * sum over D, H, W of L1 between mean projections."""
    loss = 10.0 * torch.mean((pred - target) ** 2)
    for axis in (2, 3, 4):
        loss = loss + (10.0 / 3.0) * torch.mean(torch.abs(pred.mean(axis) - target.mean(axis)))
    return loss


class Bench:
    """The two arrangements of one generator, their inputs and one shared Adam optimiser."""

    def __init__(self, size: int) -> None:
        torch.manual_seed(0)
        self.generator = build_generator(ModelConfig(input_size=size))
        self.original = OriginalArrangement(self.generator, view_outputs=True)
        self.xray1, self.xray2 = torch.rand(1, 1, size, size), torch.rand(1, 1, size, size)
        self.target = torch.rand(1, 1, size, size, size)
        # One optimiser for both: they share the generator's parameters and the original's
        # view outputs never get a gradient, so either arrangement holds one Adam state.
        self.optimiser = torch.optim.Adam(self.original.parameters(), lr=2e-4, betas=(0.5, 0.99))

    def fused(self, kind: str) -> torch.Tensor:
        if kind == "x2ct":
            return self.generator(self.xray1, self.xray2)
        return self.original(self.xray1, self.xray2)[0]

    def forward(self, kind: str) -> None:
        self.generator.eval()
        with torch.inference_mode():
            self.fused(kind)

    def train_step(self, kind: str) -> None:
        self.generator.train()
        self.optimiser.zero_grad(set_to_none=True)
        reconstruction_loss(self.fused(kind), self.target).backward()
        self.optimiser.step()


def timed(function) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def memory_probe(size: int, mode: str, kind: str, threads: int) -> None:
    """Child process: run ``mode`` of ``kind`` twice and print the process's peak RSS."""
    torch.set_num_threads(threads)
    bench = Bench(size)
    for _ in range(2):  # the second train step runs with the Adam state allocated
        getattr(bench, mode)(kind)
    print(json.dumps({"peak_gb": peak_rss_gb()}))


def measure_memory(size: int, threads: int) -> dict[str, float]:
    """Peak RSS (GB) of each (mode, arrangement), each in its own fresh process."""
    peaks = {}
    for mode in ("forward", "train_step"):
        for kind in ("x2ct", "original"):
            command = [sys.executable, __file__, "--probe", mode, kind, "--size", str(size)]
            command += ["--threads", str(threads)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            peaks[f"{mode} {kind}"] = json.loads(out.strip().splitlines()[-1])["peak_gb"]
            print(f"  {mode:<10s} {kind:<8s} peak {peaks[f'{mode} {kind}']:.2f} GB", flush=True)
    return peaks


def gan_step(preset: str, repeats: int) -> dict:
    """Median wall time of one full G + D training step of ``preset`` at batch 1."""
    from x2ct.config import load_config
    from x2ct.models import build_discriminator

    cfg = load_config(preset).model
    torch.manual_seed(0)
    generator, discriminator = build_generator(cfg).train(), build_discriminator(cfg).train()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.99))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.99))
    s = cfg.input_size
    x1, x2, real = torch.rand(1, 1, s, s), torch.rand(1, 1, s, s), torch.rand(1, 1, s, s, s)

    def step() -> None:
        fake = generator(x1, x2)
        discriminator.requires_grad_(False)
        opt_g.zero_grad(set_to_none=True)
        logits = discriminator(fake, x1, x2)
        loss_g = 0.1 * torch.mean((logits - 1) ** 2) + reconstruction_loss(fake, real)
        loss_g.backward()
        opt_g.step()
        discriminator.requires_grad_(True)
        opt_d.zero_grad(set_to_none=True)
        real_logits = discriminator(real, x1, x2)
        fake_logits = discriminator(fake.detach(), x1, x2)
        loss_d = 0.1 * (torch.mean((real_logits - 1) ** 2) + torch.mean(fake_logits**2))
        loss_d.backward()
        opt_d.step()

    step()
    runs = [timed(step) for _ in range(repeats)]
    return {
        "preset": preset,
        "input_size": s,
        "median_s": statistics.median(w for w, _ in runs),
        "median_cpu_s": statistics.median(c for _, c in runs),
        "runs_s": [w for w, _ in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="input size (128 = paper)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-train", action="store_true", help="forward pass only")
    parser.add_argument("--skip-memory", action="store_true", help="no memory subprocesses")
    parser.add_argument("--gan-step", metavar="PRESET", help="time a full G + D step of a preset")
    parser.add_argument("--probe", nargs=2, metavar=("MODE", "KIND"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    if args.probe:
        memory_probe(args.size, args.probe[0], args.probe[1], args.threads)
        return
    torch.set_num_threads(args.threads)
    settings = {
        "threads": torch.get_num_threads(),
        "thp_mem_alloc_enable": os.environ.get("THP_MEM_ALLOC_ENABLE"),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    print(f"settings: {settings}", flush=True)
    if args.gan_step:
        result = gan_step(args.gan_step, args.repeats) | settings
        print(
            f"GAN step of {args.gan_step}: median {result['median_s']:.3f} s wall, "
            f"{result['median_cpu_s']:.3f} s cpu; runs {[round(r, 3) for r in result['runs_s']]}"
        )
        out = (
            args.out.with_name(f"gan_step_{args.gan_step}.json")
            if args.out == RESULTS
            else args.out
        )
        write_text(out, json.dumps(result, indent=2) + "\n")
        print(f"wrote {out}")
        return

    bench = Bench(args.size)
    print(
        f"generator {count_parameters(bench.generator):,} parameters (original arrangement "
        f"{count_parameters(bench.original):,}); size {args.size}",
        flush=True,
    )
    parameters = count_parameters(bench.generator)
    bench.generator.eval()
    with torch.inference_mode():
        difference = float((bench.fused("x2ct") - bench.fused("original")).abs().max())
        scale = float(bench.fused("original").abs().max())
    print(f"max |fused difference| {difference:.3g} (output max {scale:.3g})", flush=True)

    modes = ["forward"] + ([] if args.skip_train else ["train_step"])
    runs: dict[str, list[tuple[float, float]]] = {}
    for mode in modes:
        print(f"{mode}: warm-up, then {args.repeats} interleaved runs", flush=True)
        for kind in ("x2ct", "original"):
            getattr(bench, mode)(kind)
        for _ in range(args.repeats):
            for kind in ("x2ct", "original"):
                wall, cpu = timed(partial(getattr(bench, mode), kind))
                runs.setdefault(f"{mode} {kind}", []).append((wall, cpu))
                print(f"  {mode:<10s} {kind:<8s} wall {wall:7.2f} s  cpu {cpu:7.2f} s", flush=True)
    del bench

    peaks = {} if args.skip_memory else measure_memory(args.size, args.threads)
    summary = {
        name: {
            "median_wall_s": statistics.median(w for w, _ in r),
            "median_cpu_s": statistics.median(c for _, c in r),
            "runs_wall_s": [w for w, _ in r],
            "peak_gb": peaks.get(name),
        }
        for name, r in runs.items()
    }
    ratios = {}
    for mode in modes:
        fast, slow = summary[f"{mode} x2ct"], summary[f"{mode} original"]
        ratios[f"{mode} speed-up (wall)"] = slow["median_wall_s"] / fast["median_wall_s"]
        ratios[f"{mode} speed-up (cpu)"] = slow["median_cpu_s"] / fast["median_cpu_s"]
    print(f"\n{'measurement':<22s} {'wall s':>8s} {'cpu s':>8s} {'peak GB':>8s}")
    for name, row in summary.items():
        peak = "-" if row["peak_gb"] is None else f"{row['peak_gb']:.2f}"
        print(f"{name:<22s} {row['median_wall_s']:8.2f} {row['median_cpu_s']:8.2f} {peak:>8s}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x")

    result = {
        "benchmark": "generator_speed",
        "size": args.size,
        "repeats": args.repeats,
        "settings": settings,
        "generator_parameters": parameters,
        "max_abs_fused_difference": difference,
        "fused_output_max": scale,
        "measurements": summary,
        "ratios": ratios,
        "command": " ".join(["python", *sys.argv]),
    }
    write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
