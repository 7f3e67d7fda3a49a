"""Speed of ``x2ct.drr.render`` (Joseph's method) against a naive grid_sample ray march.

Cases, all timed in this process; within a case the functions run in turns (so a burst of load
from other processes hits all of them alike) and the medians over repeats are reported:

- ct512: a 512 x 512 x 133 CT (the repository's real CT resampled to that grid, or a synthetic
  body if it is missing), two 256 x 256 cone-beam views (default clinical geometry), x2ct vs
  the baseline: generic trilinear sampling (``grid_sample``, 3D) at one point per slice along
  each ray, the same sample positions as Joseph's method, so the two images must agree (NCC).
  Also x2ct with two 256 x 256 parallel-beam views, and the cone beam on one thread.
- batch128: 16 cubes of 128^3 at 2 mm (the training-set case), two 128 x 128 cone-beam views,
  forward alone and forward + backward (gradient w.r.t. the volumes).
- real_ct: the real CT at its own grid (112 x 101 x 122 at 3 mm), default detector.

THP_MEM_ALLOC_ENABLE (PyTorch's huge pages for large CPU allocations) defaults to 1 here and is
reported; it must be set before torch allocates, so it is set before importing torch.

    .venv/bin/python benchmarks/drr_speed.py                 # about a minute
    .venv/bin/python benchmarks/drr_speed.py --repeats 3 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

import numpy as np
import torch
import torch.nn.functional as F

from x2ct.atomic import write_text
from x2ct.drr import ConeBeam, ParallelBeam, detector_for, hu_to_mu, render

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "drr_speed.json"
REAL_CT = ROOT / "data" / "totalseg-lumbar" / "ct.nii.gz"


def ct_volume(shape: tuple[int, int, int]) -> tuple[np.ndarray, tuple[float, float, float], str]:
    """A CT-like HU volume (D, H, W) of ``shape`` and its spacing (mm), and where it came from."""
    if REAL_CT.is_file():
        from scipy import ndimage

        from x2ct.io import read_volume

        ct = read_volume(REAL_CT)
        zoom = [n / m for n, m in zip(shape, ct.shape, strict=True)]
        array = ndimage.zoom(
            ct.array, zoom, order=1, grid_mode=True, mode="grid-constant", cval=-1000.0
        )
        spacing = tuple(s * m / n for s, m, n in zip(ct.spacing, ct.shape, shape, strict=True))
        return array.astype(np.float32), spacing, "real CT resampled"
    spacing = (2.5, 0.78, 0.78)
    d, h, w = np.meshgrid(
        *[(np.arange(n) - (n - 1) / 2) * s for n, s in zip(shape, spacing, strict=True)],
        indexing="ij",
    )
    body = (h / 110) ** 2 + (w / 160) ** 2 < 1
    spine = ((h - 60) / 20) ** 2 + (w / 22) ** 2 < 1
    array = np.where(body, 40.0, -1000.0) + np.where(spine, 400.0 + 300 * np.cos(d / 8), 0.0)
    return array.astype(np.float32), spacing, "synthetic body"


def naive_march(mu: torch.Tensor, spacing, geometry: ConeBeam, view: str) -> torch.Tensor:
    """Generic cone-beam ray march: trilinear grid_sample at every slice centre along each ray.

    mu (D, H, W) in 1/mm -> (rows, cols). Chunks of slices bound the memory of the sample grid.
    """
    ray, col = {"frontal": (1, 2), "lateral": (2, 1)}[view]
    det = detector_for(geometry, view, tuple(mu.shape), spacing)
    rows, cols = (torch.tensor(c, dtype=torch.float32) for c in det.centres_mm())
    n = mu.shape[ray]
    depth = (torch.arange(n, dtype=torch.float32) - (n - 1) / 2) * spacing[ray]
    half = torch.tensor([(s - 1) / 2 for s in mu.shape], dtype=torch.float32)
    image = torch.zeros(det.rows, det.cols)
    for k0 in range(0, n, 32):
        a = depth[k0 : k0 + 32]
        scale = (a + geometry.sad_mm) / geometry.sdd_mm
        index = torch.empty(len(a), det.rows, det.cols, 3)
        index[..., 0] = (scale[:, None, None] * rows[None, :, None]) / spacing[0] + half[0]
        index[..., col] = (scale[:, None, None] * cols[None, None, :]) / spacing[col] + half[col]
        index[..., ray] = (a / spacing[ray] + half[ray])[:, None, None]
        grid = (index / half * 1.0 - 1.0).flip(-1)  # normalised (x=W, y=H, z=D)
        samples = F.grid_sample(mu[None, None], grid[None], align_corners=True)
        image += samples[0, 0].sum(0)
    tilt = (rows[:, None] ** 2 + cols[None, :] ** 2) / geometry.sdd_mm**2
    return image * spacing[ray] * torch.sqrt(1 + tilt)


def ncc(a: torch.Tensor, b: torch.Tensor) -> float:
    """Normalised cross-correlation of two images."""
    a, b = a.double().ravel(), b.double().ravel()
    a, b = a - a.mean(), b - b.mean()
    return float(a @ b / (a.norm() * b.norm()))


def interleaved(runs: dict[str, tuple], repeats: int) -> tuple[dict[str, list[float]], dict]:
    """Time several functions in turns, so that a burst of load hits all of them alike.

    ``runs`` maps a name to (function, repeats or None for all, torch threads). Each function
    runs once to warm up; returns the times per name and each function's last result.
    """
    results = {}
    for name, (function, _, threads) in runs.items():
        torch.set_num_threads(threads)
        results[name] = function()
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeats):
        for name, (function, limit, threads) in runs.items():
            if limit is not None and round_ >= limit:
                continue
            torch.set_num_threads(threads)
            start = time.perf_counter()
            results[name] = function()
            seconds[name].append(time.perf_counter() - start)
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline-repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict = {
        "settings": {
            "threads": args.threads,
            "THP_MEM_ALLOC_ENABLE": os.environ.get("THP_MEM_ALLOC_ENABLE"),
            "torch": torch.__version__,
            "machine": platform.machine(),
            "processor": platform.processor() or platform.platform(),
            "repeats": args.repeats,
        },
        "cases": {},
    }
    table = []

    # ---- 512 x 512 x 133, two 256 x 256 views
    hu, spacing, origin = ct_volume((133, 512, 512))
    volume = torch.from_numpy(hu)
    cone = ConeBeam(detector_pixels=256)
    mu = hu_to_mu(volume)
    threads = args.threads
    seconds, outputs = interleaved(
        {
            "x2ct": (lambda: render(volume, cone, spacing_mm=spacing), None, threads),
            "baseline": (
                lambda: torch.stack(
                    [naive_march(mu, spacing, cone, v) for v in ("frontal", "lateral")]
                ),
                args.baseline_repeats,
                threads,
            ),
            "parallel": (
                lambda: render(volume, ParallelBeam(detector_pixels=256), spacing_mm=spacing),
                None,
                threads,
            ),
            # one thread is immune to a busy second core, which stalls every parallel region
            "one_thread": (lambda: render(volume, cone, spacing_mm=spacing), None, 1),
        },
        args.repeats,
    )
    torch.set_num_threads(threads)
    ours, base = outputs["x2ct"], outputs["baseline"]
    ours_s, base_s = seconds["x2ct"], seconds["baseline"]
    parallel_s, one_thread_s = seconds["parallel"], seconds["one_thread"]
    agreement = [ncc(ours[v], base[v]) for v in range(2)]
    max_rel = float((ours - base).abs().max() / base.abs().max())
    results["cases"]["ct512"] = {
        "volume": f"133 x 512 x 512 (D, H, W), spacing {tuple(round(s, 3) for s in spacing)} mm, {origin}",
        "views": "frontal + lateral, 256 x 256, cone beam SAD 850 / SDD 1000 mm",
        "x2ct_s": ours_s,
        "baseline_grid_sample_s": base_s,
        "x2ct_parallel_s": parallel_s,
        "x2ct_one_thread_s": one_thread_s,
        "median_x2ct_s": statistics.median(ours_s),
        "median_baseline_s": statistics.median(base_s),
        "median_x2ct_parallel_s": statistics.median(parallel_s),
        "median_x2ct_one_thread_s": statistics.median(one_thread_s),
        "speedup_vs_baseline": statistics.median(base_s) / statistics.median(ours_s),
        "ncc_frontal_lateral": agreement,
        "max_abs_difference_over_max": max_rel,
    }
    table += [
        ("512x512x133, 2 x 256^2 cone, x2ct", statistics.median(ours_s)),
        ("512x512x133, 2 x 256^2 cone, grid_sample march", statistics.median(base_s)),
        ("512x512x133, 2 x 256^2 parallel, x2ct", statistics.median(parallel_s)),
        ("512x512x133, 2 x 256^2 cone, x2ct, 1 thread", statistics.median(one_thread_s)),
    ]

    # ---- batch of 16 cubes of 128^3, two 128 x 128 views, forward and forward + backward
    generator = torch.Generator().manual_seed(0)
    batch = (torch.rand(16, 1, 128, 128, 128, generator=generator) * 1400.0 - 1000.0).contiguous()

    def forward_backward() -> None:
        x = batch.clone().requires_grad_(True)
        render(x, spacing_mm=(2.0, 2.0, 2.0)).sum().backward()

    seconds, _ = interleaved(
        {
            "forward": (lambda: render(batch, spacing_mm=(2.0, 2.0, 2.0)), None, threads),
            "backward": (forward_backward, None, threads),
        },
        args.repeats,
    )
    forward_s, backward_s = seconds["forward"], seconds["backward"]
    results["cases"]["batch128"] = {
        "volume": "16 x 1 x 128^3, 2 mm, random HU",
        "views": "frontal + lateral, 128 x 128, cone beam",
        "forward_s": forward_s,
        "forward_backward_s": backward_s,
        "median_forward_s": statistics.median(forward_s),
        "median_forward_per_case_s": statistics.median(forward_s) / 16,
        "median_forward_backward_s": statistics.median(backward_s),
    }
    table += [
        ("16 x 128^3, 2 x 128^2 cone, forward", statistics.median(forward_s)),
        ("16 x 128^3, 2 x 128^2 cone, forward + backward", statistics.median(backward_s)),
    ]

    # ---- the real CT at its own grid
    if REAL_CT.is_file():
        from x2ct.io import read_volume

        ct = read_volume(REAL_CT)
        real_s = interleaved({"real": (lambda: render(ct), None, threads)}, args.repeats)[0]["real"]
        results["cases"]["real_ct"] = {
            "volume": f"{ct.shape} at {ct.spacing} mm",
            "views": "frontal + lateral, default detector",
            "seconds": real_s,
            "median_s": statistics.median(real_s),
        }
        table.append((f"real CT {ct.shape}, 2 views cone, x2ct", statistics.median(real_s)))

    print(
        f"\nDRR speed ({args.threads} threads, THP_MEM_ALLOC_ENABLE={os.environ.get('THP_MEM_ALLOC_ENABLE')})"
    )
    print(f"{'case':<52s} {'median s':>10s}")
    for name, seconds in table:
        print(f"{name:<52s} {seconds:10.3f}")
    c = results["cases"]["ct512"]
    print(
        f"speed-up vs grid_sample march: {c['speedup_vs_baseline']:.1f}x; NCC {agreement[0]:.6f} / {agreement[1]:.6f}"
    )
    write_text(args.out, json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
