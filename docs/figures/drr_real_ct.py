"""Figure docs/figures/drr_real_ct.png: DRRs of the repository's real lumbar CT, 8-bit window.

Top: the whole CT (abdomen and pelvis, 3 mm voxels) on square 1 mm detector pixels. Bottom: the
field of view of ``prepare --mode aligned`` with its defaults: the whole CT rendered with the
isocentre at the centre of the vertebra labels' bounding box and a detector whose footprint at
the isocentre is 256 mm (128 voxels of 2 mm; shown here with 256 x 256 pixels). Default
clinical cone beam and default window of ``DRRConfig``.

    .venv/bin/python docs/figures/drr_real_ct.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from x2ct.atomic import atomic_path
from x2ct.drr import ConeBeam, DRRConfig, render, to_uint8
from x2ct.io import read_volume
from x2ct.volume import Volume

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "totalseg-lumbar"
OUT = Path(__file__).resolve().parent / "drr_real_ct.png"


def spine_isocentre(ct: Volume) -> tuple[float, float, float]:
    """Centre of the vertebra labels' bounding box, in mm from the centre of the CT grid (D, H, W)."""
    spine = np.argwhere(read_volume(DATA / "labels.nii.gz").array > 0)
    centre = (spine.min(0) + spine.max(0)) / 2.0
    offset = (centre - (np.array(ct.shape) - 1) / 2.0) * np.array(ct.spacing)
    return tuple(float(v) for v in offset)


def main() -> None:
    config = DRRConfig()
    ct = read_volume(DATA / "ct.nii.gz")
    whole = render(ct, ConeBeam(config.sad_mm, config.sdd_mm, detector_spacing_mm=1.0))
    magnification = config.sdd_mm / config.sad_mm
    field = ConeBeam(config.sad_mm, config.sdd_mm, 256, magnification, spine_isocentre(ct))
    aligned = render(ct, field)
    panels = [
        (whole[0], "whole CT, frontal (xray1)", "R", "L"),
        (whole[1], "whole CT, lateral (xray2)", "A", "P"),
        (aligned[0], "aligned field (256 mm at the spine), frontal", "R", "L"),
        (aligned[1], "aligned field (256 mm at the spine), lateral", "A", "P"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 10.5))
    for ax, (image, title, left, right) in zip(axes.ravel(), panels, strict=True):
        ax.imshow(to_uint8(image, config), cmap="gray", vmin=0, vmax=255, interpolation="bilinear")
        ax.set_title(title, fontsize=10)
        for x, y, text in ((0.02, 0.5, left), (0.98, 0.5, right), (0.5, 0.97, "S")):
            ax.text(x, y, text, color="yellow", transform=ax.transAxes, ha="center", va="center")
        ax.axis("off")
    lo, hi = config.window_water_mm
    fig.suptitle(
        f"x2ct.drr: cone beam SAD {config.sad_mm:g} / SDD {config.sdd_mm:g} mm, "
        f"{config.energy_kev:g} keV, window {lo:g}-{hi:g} mm water",
        fontsize=10,
    )
    fig.tight_layout()
    with atomic_path(OUT) as tmp:
        fig.savefig(tmp, dpi=100)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
