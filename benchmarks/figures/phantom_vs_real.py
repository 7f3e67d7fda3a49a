"""docs/figures/phantom_vs_real.png: a synthetic phantom beside a real lumbar CT, same windows.

Rows: the real CT (TotalSegmentator example, 3 mm voxels), a phantom at its own resolution, and
the same phantom resampled to 3 mm. Columns: mid-sagittal and mid-coronal slices through the
spine (bone window W1500/L300), an axial slice through the L3 body in the bone and in the soft
tissue window (W400/L40), and a frontal projection (mean of HU + 1000 along the AP axis). All
views are centred on the L3 body and share one millimetre scale, so sizes can be compared.

Usage: .venv/bin/python benchmarks/figures/phantom_vs_real.py [--real DIR] [--seed 3] [--out PNG]
       [--pelvis]   (the phantom with a pelvis: docs/figures/phantom_pelvis_vs_real.png)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
REAL_CANDIDATES = (
    ROOT / "data" / "totalseg-lumbar",
    ROOT.parent / "shared" / "data" / "real" / "totalseg-lumbar",
)
REAL_L3 = 29
"""TotalSegmentator v2 label of L3 (26 S1, 27 L5, ..., 31 L1)."""
PHANTOM_L3 = 22
"""CTSpine1K label of L3."""
HALF_MM = (110.0, 100.0, 120.0)
"""Half extent (mm) of every view around the L3 body centre along D, H, W."""
HALF_PELVIS_MM = (180.0, 110.0, 180.0)
"""The same with ``--pelvis``: down to the hips and out to the iliac crests."""
BONE, SOFT = (300.0, 1500.0), (40.0, 400.0)


def _resample(volume, spacing_mm: float):
    from scipy import ndimage

    from x2ct.volume import Volume

    factors = [s / spacing_mm for s in volume.spacing]
    array = ndimage.zoom(volume.array, factors, order=1)
    affine = volume.affine.copy()
    affine[:3, :3] = volume.affine[:3, :3] / np.asarray(factors)
    return Volume(array, affine)


def _views(
    ct, labels, l3: int
) -> list[tuple[np.ndarray, tuple[float, ...], tuple[float, float] | None]]:
    """(image, extent in mm around the L3 centre, window) of the five views."""
    a = ct.array
    sd, sh, sw = ct.spacing
    idx = np.argwhere(labels.array == l3)
    d, h, w = np.rint(idx.mean(axis=0)).astype(int)
    h = int(np.rint(np.percentile(idx[:, 1], 20)))  # the body, in front of the canal
    d0, h0, w0 = d * sd, h * sh, w * sw

    sag = (a[:, :, w], (-h0, a.shape[1] * sh - h0, a.shape[0] * sd - d0, -d0), BONE)
    cor = (a[:, h, :], (-w0, a.shape[2] * sw - w0, a.shape[0] * sd - d0, -d0), BONE)
    axial_extent = (-w0, a.shape[2] * sw - w0, a.shape[1] * sh - h0, -h0)
    projection = np.clip(a + 1000.0, 0, None).mean(axis=1)
    proj = (projection, (-w0, a.shape[2] * sw - w0, a.shape[0] * sd - d0, -d0), None)
    return [sag, cor, (a[d], axial_extent, BONE), (a[d], axial_extent, SOFT), proj]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--real", type=Path, default=None, help="folder with ct.nii.gz and labels.nii.gz"
    )
    parser.add_argument("--seed", type=int, default=3, help="phantom seed (default 3: L1-L5)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "figures" / "phantom_vs_real.png"
    )
    parser.add_argument(
        "--pelvis",
        action="store_true",
        help="draw the phantom with a pelvis and a scan reaching 140 mm below L5 "
        "(default out: docs/figures/phantom_pelvis_vs_real.png)",
    )
    args = parser.parse_args()
    if args.pelvis and args.out == parser.get_default("out"):
        args.out = ROOT / "docs" / "figures" / "phantom_pelvis_vs_real.png"
    real_dir = args.real or next((p for p in REAL_CANDIDATES if (p / "ct.nii.gz").is_file()), None)
    if real_dir is None:
        raise SystemExit("real CT not found; pass --real DIR (ct.nii.gz + labels.nii.gz)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from x2ct.atomic import atomic_path
    from x2ct.io import read_volume
    from x2ct.phantoms import PhantomConfig, generate_phantom
    from x2ct.phantoms.preview import window

    real = (read_volume(real_dir / "ct.nii.gz"), read_volume(real_dir / "labels.nii.gz"))
    extra = {}
    if args.pelvis:  # a training-like scan: wide field, reaching the hips
        extra = {
            "pelvis": True,
            "margin_below_mm": (140.0, 140.0),
            "inplane_spacing_mm": (1.4, 1.4),
        }
    half = HALF_PELVIS_MM if args.pelvis else HALF_MM
    phantom = generate_phantom(args.seed, PhantomConfig(last_level="L5", levels=(5, 5), **extra))
    coarse_ct = _resample(phantom.ct, 3.0)
    coarse_labels = _resample(phantom.labels, 3.0)
    coarse_labels.array = np.rint(coarse_labels.array)
    rows = [
        ("real CT (3 mm)", real[0], real[1], REAL_L3),
        (
            f"phantom seed {args.seed} ({', '.join(f'{s:.2f}' for s in phantom.ct.spacing)} mm)",
            phantom.ct,
            phantom.labels,
            PHANTOM_L3,
        ),
        ("phantom resampled to 3 mm", coarse_ct, coarse_labels, PHANTOM_L3),
    ]
    titles = [
        "sagittal, bone W1500/L300",
        "coronal, bone",
        "axial L3, bone",
        "axial L3, soft W400/L40",
        "frontal projection",
    ]
    fig, axes = plt.subplots(len(rows), 5, figsize=(19, 4.2 * len(rows)), dpi=80)
    for r, (name, ct, labels, l3) in enumerate(rows):
        for c, (image, extent, win) in enumerate(_views(ct, labels, l3)):
            ax = axes[r, c]
            shown = window(image, win) if win else image
            vmax = 1.0 if win else float(np.percentile(image, 99.5))
            ax.imshow(
                shown, cmap="gray", vmin=0, vmax=vmax, extent=extent, interpolation="bilinear"
            )
            if c < 2 or c == 4:
                ax.set_xlim(-half[2 if c != 0 else 1], half[2 if c != 0 else 1])
                ax.set_ylim(half[0], -half[0])
            else:
                ax.set_xlim(-half[2], half[2])
                ax.set_ylim(half[1], -half[1])
            ax.set_title(f"{titles[c]}" if r == 0 else "", fontsize=10)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(name, fontsize=10)
    fig.suptitle(
        "Synthetic phantom"
        + (" with a pelvis" if args.pelvis else "")
        + " vs real lumbar CT (same windows, mm axes centred on L3)",
        fontsize=12,
    )
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
