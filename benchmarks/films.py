"""Whole films in, spine out: the field found on real-looking radiographs, and what it costs.

``x2ct reconstruct`` cuts the model's field out of a whole radiograph (``x2ct.inference.inputs``).
This benchmark makes film-sized frontal and lateral radiographs whose spine position is known,
and measures each step against it:

- Cases: ``--n`` phantoms drawn with a whole trunk in the field (matrix 512 at 0.8-0.9 mm, seed
  ``--seed``, never trained on; ``--trunk population``: with the trunk of ``phantoms.trunk``
  'population'; ``--scan``: scans as long as the spine-cpu-scan preset draws them, so that the
  trunk fills the film above and below the spine too) and the real lumbar CT of
  ``data/totalseg-lumbar``.
- Films: 430 x 350 mm (portrait) at 1 mm pixels, rendered with the model's own ``drr`` settings
  (its physics and display) through the whole CT. The central ray is aimed as a radiographer
  does, at the body's middle (frontal) and at the spine's height, each off by a uniform error of
  up to 25 mm per axis, so the spine lies wherever that puts it.
- The spine's centre: the centroid of the labelled vertebrae (the real CT: L1-L5), projected.
- Field errors (mm at the isocentre) of the automatic choice: frontal column (mirror symmetry),
  lateral column (body centre), and the lateral column after ``predict_views`` moved it onto the
  spine of a first reconstruction.
- Bone Dice of the reconstruction against the CT resampled in the cube the fields imply, for the
  fields centred on the known spine, found, and found + recentred.
- The pair given the other way round: refused as swapped, or not.

    .venv/bin/python benchmarks/films.py --models spine-cpu spine-cpu-radiograph --n 12

Writes ``benchmarks/results/films_<model>.json`` and ``docs/figures/films_<model>.png`` (the
crops on the first films) per model; each phantom is drawn once for all models.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from holdout import scan_settings
from x2ct.atomic import write_text
from x2ct.config.phantoms import PhantomConfig
from x2ct.drr.geometry import ConeBeam
from x2ct.drr.radiograph import display, line_integrals
from x2ct.errors import InputError
from x2ct.inference.inputs import InputView, prepare_views
from x2ct.inference.predictor import Predictor
from x2ct.inference.reconstruct import predict_views
from x2ct.io import Radiograph, read_volume
from x2ct.models.folder import resolve_model
from x2ct.phantoms import generate_phantom
from x2ct.phantoms.trunk import TRUNK_MODELS, SagittalCover, patient_mask, sagittal_cover
from x2ct.prepare.case import read_label_ids
from x2ct.prepare.resample import aligned_cube_affine, resample_to_cube
from x2ct.scaling import hu_to_target
from x2ct.training.validation import case_metrics
from x2ct.volume import Volume

ROOT = Path(__file__).resolve().parents[1]
FILM_MM = (430.0, 350.0)
"""Film size (rows, cols) in mm: a 35 x 43 cm cassette or detector, portrait."""
PITCH_MM = 1.0
AIM_ERROR_MM = 25.0
"""Largest error of the central ray's aim along each axis (uniform), mm."""
REAL_LEVELS = (27, 28, 29, 30, 31)
"""TotalSegmentator ids of L5..L1: the real CT's complete lumbar vertebrae."""
TRUNK = PhantomConfig(matrix=512, inplane_spacing_mm=(0.8, 0.9))
"""Phantoms whose field holds the whole trunk (x2ct phantoms' defaults otherwise)."""


@dataclasses.dataclass(frozen=True)
class FilmCase:
    """A CT in the model frame with the spine's centre and the body's (mm from the grid centre,
    (D, H, W))."""

    name: str
    ct: Volume
    spine_mm: np.ndarray
    body_mm: np.ndarray
    cover: SagittalCover


def centre_mm(volume: Volume, mask: np.ndarray) -> np.ndarray:
    """Centroid of ``mask`` in mm from the grid centre, (D, H, W)."""
    index = np.array([axis.mean() for axis in np.nonzero(mask)])
    return (index - (np.array(volume.shape) - 1) / 2.0) * np.array(volume.spacing)


def film_case(name: str, ct: Volume, levels: np.ndarray) -> FilmCase:
    """A case from its CT and its (D, H, W) map of vertebra ids (0 elsewhere)."""
    body = patient_mask(ct.array)
    cover = sagittal_cover(body, levels, ct.spacing)
    return FilmCase(name, ct, centre_mm(ct, levels > 0), centre_mm(ct, body), cover)


def film_cases(
    n: int, seed: int, trunk: str = "uniform", scan_mm: tuple[float, float] | None = None
) -> Iterator[FilmCase]:
    """The ``n`` trunk phantoms, one at a time (each holds a few hundred MB), then the real CT."""
    drawn = dataclasses.replace(TRUNK, trunk=trunk, scan_mm=scan_mm)
    for i in range(n):
        phantom = generate_phantom(seed + i, drawn)
        yield film_case(f"phantom-{seed + i}", phantom.ct, phantom.labels.array)
    real = ROOT / "data" / "totalseg-lumbar"
    ct = read_volume(real / "ct.nii.gz")
    ids, _ = read_label_ids(real / "labels.nii.gz")
    yield film_case("real CT", ct, np.where(np.isin(ids, REAL_LEVELS), ids, 0))


def project(point_mm: np.ndarray, geometry: ConeBeam, view: str) -> tuple[float, float]:
    """(row, col) pixel of a point (mm from the grid centre, (D, H, W)) on a film."""
    rel = point_mm - np.array(geometry.isocenter_mm)
    ray, col_axis = (1, 2) if view == "frontal" else (2, 1)
    scale = geometry.sdd_mm / (geometry.sad_mm + rel[ray]) / PITCH_MM
    rows, cols = geometry.detector_pixels
    return (rows - 1) / 2.0 + rel[0] * scale, (cols - 1) / 2.0 + rel[col_axis] * scale


def films(case: FilmCase, predictor: Predictor, rng: np.random.Generator):
    """(frontal, lateral) Radiographs and their geometry."""
    aim = np.array([case.spine_mm[0], case.body_mm[1], case.body_mm[2]])
    aim = aim + rng.uniform(-AIM_ERROR_MM, AIM_ERROR_MM, size=3)
    drr = predictor.geometry.drr
    pixels = tuple(round(mm / PITCH_MM) for mm in FILM_MM)
    geometry = ConeBeam(drr.sad_mm, drr.sdd_mm, pixels, PITCH_MM, tuple(float(v) for v in aim))
    lines = line_integrals(case.ct, geometry, drr, seed=int(rng.integers(2**31)))
    images = display(lines, drr, pixel_mm=PITCH_MM).astype(np.float32)
    pair = tuple(
        Radiograph(images[v], (PITCH_MM, PITCH_MM), f"{case.name} {view}")
        for v, view in enumerate(("frontal", "lateral"))
    )
    return pair, geometry


def cube_truth(case: FilmCase, views, geometry: ConeBeam, predictor: Predictor) -> np.ndarray:
    """The CT in [0, 1] resampled in the model's cube that the two fields imply."""
    rows, cols = geometry.detector_pixels
    to_iso = PITCH_MM / geometry.magnification
    (row_f, col_f), (row_l, col_l) = (v.crop.center for v in views)
    offset = np.array(
        [((row_f + row_l) / 2 - (rows - 1) / 2), col_l - (cols - 1) / 2, col_f - (cols - 1) / 2]
    )
    centre = np.array(geometry.isocenter_mm) + offset * to_iso
    index = (np.array(case.ct.shape) - 1) / 2.0 + centre / np.array(case.ct.spacing)
    world = (case.ct.affine @ np.append(index, 1.0))[:3]
    size, voxel = predictor.size, predictor.voxel_mm
    hu = resample_to_cube(case.ct, aligned_cube_affine(case.ct, world, size, voxel), size)
    return hu_to_target(hu)


def column_error_mm(view: InputView, truth: tuple[float, float], geometry: ConeBeam) -> float:
    """Signed column error of a field's centre (mm at the isocentre)."""
    return (view.crop.center[1] - truth[1]) * PITCH_MM / geometry.magnification


def run_case(case: FilmCase, predictor: Predictor, rng: np.random.Generator) -> dict:
    (frontal, lateral), geometry = films(case, predictor, rng)
    truth = {v: project(case.spine_mm, geometry, v) for v in ("frontal", "lateral")}
    row: dict = {"case": case.name}
    # where the spine lies in the trunk, (D, H, W) mm: H > 0 is posterior of the body's middle
    row["spine_minus_body_mm"] = [round(float(v), 1) for v in case.spine_mm - case.body_mm]
    row["tip_to_back_mm"] = round(case.cover.tip_to_back_mm, 1)
    row["belly_to_tip_mm"] = round(case.cover.belly_to_tip_mm, 1)
    try:
        prepare_views(lateral, frontal, predictor)
        row["swap_refused"] = False
    except InputError as exc:
        row["swap_refused"] = "swapped" in str(exc) or "looks frontal" in str(exc)
    try:
        found = prepare_views(frontal, lateral, predictor)
    except InputError as exc:
        row["refused"] = str(exc)
        return row
    known = prepare_views(frontal, lateral, predictor, centers=(truth["frontal"], truth["lateral"]))
    recentred, ct01, _ = predict_views(found, predictor, recentre=True)
    row["frontal_col_error_mm"] = column_error_mm(found[0], truth["frontal"], geometry)
    row["lateral_col_error_mm"] = column_error_mm(found[1], truth["lateral"], geometry)
    row["lateral_col_error_recentred_mm"] = column_error_mm(
        recentred[1], truth["lateral"], geometry
    )
    row["recentred"] = recentred[1].crop.method != found[1].crop.method
    for key, views in (("known", known), ("found", found), ("recentred", recentred)):
        if key == "recentred":
            fake = ct01
        else:
            fake, _ = predictor.predict_both(views[0].image, views[1].image)
        row[f"bone_Dice_{key}"] = case_metrics(cube_truth(case, views, geometry, predictor), fake)[
            "bone_Dice"
        ]
    row["views"] = (found, recentred, truth)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["default"])
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--seed", type=int, default=525252)
    parser.add_argument(
        "--trunk", choices=TRUNK_MODELS, default="uniform",
        help="how the phantoms' trunk is drawn (phantoms.trunk); not 'uniform': files get a suffix",
    )  # fmt: skip
    parser.add_argument(
        "--scan", action="store_true",
        help="scans that fill the film (phantoms.scan_mm of spine-cpu-scan); files get a suffix",
    )  # fmt: skip
    args = parser.parse_args()
    suffix = "" if args.trunk == "uniform" else f"_trunk-{args.trunk}"
    suffix += "_scan" if args.scan else ""
    scan_mm = scan_settings()["scan_mm"] if args.scan else None
    torch.set_num_threads(2)
    folders = [resolve_model(name) for name in args.models]
    predictors = [Predictor.from_model(folder) for folder in folders]
    started = time.perf_counter()
    rows: dict[str, list[dict]] = {folder.name: [] for folder in folders}
    for index, case in enumerate(film_cases(args.n, args.seed, args.trunk, scan_mm)):
        for folder, predictor in zip(folders, predictors, strict=True):
            row = run_case(case, predictor, np.random.default_rng([args.seed, index]))
            rows[folder.name].append(row)
            print_row(folder.name, row)
    for name, model_rows in rows.items():
        figure = ROOT / "docs" / "figures" / f"films_{name}{suffix}.png"
        shown = [r for r in model_rows[:-1] if "views" in r][:3]
        draw(shown + [r for r in model_rows[-1:] if "views" in r], figure)
        record = summarise(model_rows, name, args, time.perf_counter() - started)
        out = ROOT / "benchmarks" / "results" / f"films_{name}{suffix}.json"
        write_text(out, json.dumps(record, indent=1) + "\n")
        print(name, json.dumps(record["summary"], indent=1))
        print(f"-> {out}, {figure}")


def print_row(model: str, row: dict) -> None:
    if "refused" in row:
        print(f"{model} {row['case']:18s} refused: {row['refused']}", flush=True)
        return
    print(
        f"{model} {row['case']:18s} frontal {row['frontal_col_error_mm']:+6.1f} mm  lateral "
        f"{row['lateral_col_error_mm']:+6.1f} -> {row['lateral_col_error_recentred_mm']:+6.1f} mm"
        f"  Dice known {row['bone_Dice_known']:.3f} found {row['bone_Dice_found']:.3f}"
        f" recentred {row['bone_Dice_recentred']:.3f}  swap refused {row['swap_refused']}",
        flush=True,
    )


def summarise(rows: list[dict], model: str, args, seconds: float) -> dict:
    used = [r for r in rows if "refused" not in r]
    phantoms = [r for r in used if r["case"] != "real CT"]

    def stats(key: str, group: list[dict]) -> dict:
        values = np.array([r[key] for r in group], dtype=float)
        if "error" in key:
            return {
                "median_abs": round(float(np.median(np.abs(values))), 1),
                "max_abs": round(float(np.abs(values).max()), 1),
            }
        return {"mean": round(float(values.mean()), 4)}

    keys = (
        "frontal_col_error_mm",
        "lateral_col_error_mm",
        "lateral_col_error_recentred_mm",
        "bone_Dice_known",
        "bone_Dice_found",
        "bone_Dice_recentred",
    )
    real = next((r for r in used if r["case"] == "real CT"), None)
    return {
        "benchmark": "films",
        "model": model,
        "seed": args.seed,
        "drawn": args.n,
        "trunk": args.trunk,
        "scan_mm": scan_settings()["scan_mm"] if args.scan else None,
        "phantoms": len(phantoms),
        "spine_minus_body_centre_mm": {
            r["case"]: r["spine_minus_body_mm"] for r in rows if "spine_minus_body_mm" in r
        },
        "film_mm": list(FILM_MM),
        "pitch_mm": PITCH_MM,
        "aim_error_mm": AIM_ERROR_MM,
        "seconds": round(seconds, 1),
        "summary": {
            "phantoms": {key: stats(key, phantoms) for key in keys} if phantoms else {},
            "real CT": {k: round(float(real[k]), 4) for k in keys} if real else {},
            "pairs refused": [r["case"] for r in rows if "refused" in r],
            "swapped pairs refused": f"{sum(r['swap_refused'] for r in rows)} of {len(rows)}",
        },
        "cases": [{k: v for k, v in r.items() if k != "views"} for r in rows],
    }


def draw(rows: list[dict], path: Path) -> None:
    """Each film pair with the field found (dashed), recentred (solid) and the spine (cross)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from x2ct.atomic import atomic_path

    fig, axes = plt.subplots(len(rows), 2, figsize=(6.4, 3.9 * len(rows)), squeeze=False)
    for ax_row, row in zip(axes, rows, strict=True):
        found, recentred, truth = row["views"]
        for ax, first, final, view in zip(ax_row, found, recentred, truth, strict=True):
            ax.imshow(first.original, cmap="gray")
            for choice, style in ((first.crop, "--"), (final.crop, "-")):
                r, c = choice.center
                half = choice.side / 2
                ax.add_patch(Rectangle((c - half, r - half), choice.side, choice.side, fill=False,
                                       edgecolor="tab:cyan", linestyle=style, linewidth=1.4))  # fmt: skip
            ax.plot(truth[view][1], truth[view][0], "x", color="tab:orange", markersize=9)
            ax.set_title(f"{row['case']}, {view}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("field found (dashed), after recentring (solid), spine centre (x)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
