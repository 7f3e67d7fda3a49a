"""``x2ct drr``: the frontal and lateral synthetic radiographs of one CT, as PNG."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import console, reports_errors


@reports_errors
def drr(
    ct: Path = typer.Argument(..., help="CT as NIfTI or a DICOM series folder."),
    out: Path = typer.Option(..., "--out", help="Output folder for the PNGs."),
    labels: Path = typer.Option(
        None, "--labels", help="Vertebra labels: render exactly the views prepare would make."
    ),
    spine_labels: str = typer.Option(None, "--spine-labels", help="Spine label ids (see prepare)."),
    geometry: str = typer.Option(None, help="cone or parallel."),
    config: str = typer.Option(
        None, "--config", help="Preset name or YAML file (default: built-in defaults)."
    ),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: section.key=value."),
) -> None:
    """Render the frontal (AP) and lateral DRRs of a CT with the same code as ``prepare``.

    With --labels the views are those of the training cube around the labelled spine (PNG of the
    preprocessed S x S images as stored in the HDF5); without, the whole CT is rendered around its
    centre. Both also write the full-resolution detector images and the line integrals (.npy).
    """
    import numpy as np
    from PIL import Image

    from x2ct.atomic import atomic_path
    from x2ct.cli.prepare import load_with_overrides
    from x2ct.drr.radiograph import display
    from x2ct.io import read_volume
    from x2ct.prepare.case import SpineSelection, load_pair, place_spine
    from x2ct.prepare.crop import crop
    from x2ct.prepare.labels import resolve
    from x2ct.prepare.layout import CaseSource
    from x2ct.prepare.views import noise_seed, render_detector
    from x2ct.xray import preprocess

    settings = load_with_overrides(
        config, set_, {"prepare.spine_labels": spine_labels, "drr.geometry": geometry}
    )
    name = ct.name.removesuffix(".gz").removesuffix(".nii") if ct.is_file() else ct.name
    if labels is not None:
        source = CaseSource(name, ct, labels, name)
        volume, label_volume = load_pair(source, settings)
        preset, ids = resolve(settings.prepare.spine_labels, "csv" if spine_labels else "totalseg")
        placed = place_spine(
            volume, label_volume, SpineSelection(preset, ids), settings.prepare, source
        )
        center, field_mm = placed.center_world, placed.field_mm
        if field_mm is None:
            volume, center = crop(volume, placed.crop_box), None
    else:
        volume = read_volume(ct)
        extents = np.array(volume.shape) * np.array(volume.spacing)
        center, field_mm = volume.center_world(), float(extents.max())
    seed = noise_seed(settings.prepare.seed, name)
    line_integrals, info = render_detector(volume, center, field_mm, settings, seed=seed)
    detector = display(line_integrals, settings.drr, pixel_mm=info["detector_spacing_mm"])
    out.mkdir(parents=True, exist_ok=True)
    images = {
        f"{name}_frontal_detector.png": detector[0],
        f"{name}_lateral_detector.png": detector[1],
        f"{name}_xray1_frontal.png": preprocess(detector[0], settings.xray),
        f"{name}_xray2_lateral.png": preprocess(detector[1], settings.xray),
    }
    for file_name, image in images.items():
        with atomic_path(out / file_name) as tmp:
            Image.fromarray(image).save(tmp, format="PNG")
    with atomic_path(out / f"{name}_line_integrals.npy") as tmp, tmp.open("wb") as handle:
        np.save(handle, line_integrals.astype(np.float32))
    console.print(
        f"{name}: {settings.drr.geometry} beam, detector {info['detector_pixels']} px at"
        f" {info['detector_spacing_mm']:.3f} mm, magnification {info['magnification']:.3f} -> {out}",
        highlight=False,
    )
