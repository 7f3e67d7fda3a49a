"""The real CT as the yardstick: shipped models reconstruct a real patient from its own DRRs.

For each ``--models`` entry the real labelled CT (``data/totalseg-lumbar``: TotalSegmentator's
abdomen CT, L1-S1 labelled) is prepared with that model's data settings (as ``x2ct prepare
--model`` does: crop to the labelled spine, the model's DRR physics and display), then evaluated
like the phantom hold-out (``x2ct evaluate --model``): bone Dice / HD95 / ASSD, level Dice and
per-vertebra Dice of the predicted labels, Table 1 and corrected image metrics, and the clinical
measures against the CT's own. The two non-learned baselines are fitted on ``--baseline-n``
phantoms of the hold-out seed (never the real CT). The model card's phantom hold-out is printed
beside it, so the gap between phantoms and a real patient is one table.

    .venv/bin/python benchmarks/real_ct.py --models spine-cpu spine-cpu-realistic

Writes ``results/real_ct.json`` (entries of models not given this time are kept) and, per model, ``docs/figures/real_ct_<model>.png`` (the
inputs, slices and bone surface of the reconstruction beside the CT).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from holdout import CLINICAL, KEPT, holdout_set, pick
from x2ct.atomic import write_text
from x2ct.inference.evaluation import evaluate_run
from x2ct.inference.predictor import model_data_config
from x2ct.inference.reconstruct import reconstruct
from x2ct.models.folder import read_card, resolve_model
from x2ct.prepare.pipeline import prepare_dataset

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("no-pelvis", "no-gas", "scan-box", "centred", "all")
"""Edits of the real CT that each remove one way it differs from the phantoms (see ``variant``)."""
SOFT_TISSUE_HU = 40.0
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ROOT / "docs" / "figures"
REAL_CT = ROOT / "data" / "totalseg-lumbar"


def per_vertebra(summary: dict) -> dict[str, dict[str, float]]:
    """Bone Dice and level Dice of each vertebra of the x2ct reconstruction, by level name."""
    levels = summary.get("per_vertebra", {}).get("x2ct", {})
    return {
        level: {k: round(float(v), 4) for k, v in means.items() if k in ("Dice", "level_Dice")}
        for level, means in levels.items()
    }


def variant(kind: str, out: Path) -> Path:
    """Write the real CT edited towards the phantoms into ``out`` (a TotalSegmentator folder).

    - no-pelvis: bone (>= 150 HU) farther than 6 mm from a labelled vertebra (iliac bones,
      femoral heads, the sacrum below S1, rib tips) becomes soft tissue; phantoms draw none.
    - no-gas: gas inside the body (< -300 HU; bowel, lung bases) becomes soft tissue; phantom
      bowel gas is sparse.
    - scan-box: air outside a box of 200 mm in plane around the spine and 20 mm above and below
      the labels, the median extent of a phantom scan (154-256 mm, the run of levels plus part
      of a neighbour): phantom trunks end inside the model's 320 mm field.
    - centred: the scan padded with 60 mm of air, so that the cube is centred on the labelled
      spine as in every phantom (``prepare`` moves the cube off the spine to cover as much of
      a larger scan as it can: here 47 mm caudal and 31 mm posterior).
    - all: the four together.
    """
    from scipy.ndimage import binary_fill_holes, distance_transform_edt

    ct_image = nib.load(REAL_CT / "ct.nii.gz")
    ct = np.asarray(ct_image.dataobj, dtype=np.float32)
    labels_image = nib.load(REAL_CT / "labels.nii.gz")
    labels = np.asarray(labels_image.dataobj) > 0
    spacing = np.asarray(ct_image.header.get_zooms()[:3], dtype=np.float64)
    labels_out = np.asarray(labels_image.dataobj)
    kinds = VARIANTS[:-1] if kind == "all" else (kind,)
    if "no-pelvis" in kinds:
        far = distance_transform_edt(~labels, sampling=spacing) > 6.0
        ct[(ct >= 150) & far] = SOFT_TISSUE_HU
    if "no-gas" in kinds:
        body = np.stack([binary_fill_holes(s) for s in np.moveaxis(ct > -500, 2, 0)], axis=2)
        ct[body & (ct < -300)] = SOFT_TISSUE_HU
    if "scan-box" in kinds:
        # RAS grid: axes 0, 1 in plane, axis 2 superior-inferior.
        spine = np.argwhere(labels)
        centre = spine.mean(axis=0)
        keep = np.zeros(ct.shape, dtype=bool)
        lo = [int(np.floor(centre[a] - 100.0 / spacing[a])) for a in (0, 1)]
        hi = [int(np.ceil(centre[a] + 100.0 / spacing[a])) for a in (0, 1)]
        z0 = int(spine[:, 2].min() - 20.0 / spacing[2])
        z1 = int(spine[:, 2].max() + 20.0 / spacing[2])
        keep[max(lo[0], 0) : hi[0] + 1, max(lo[1], 0) : hi[1] + 1, max(z0, 0) : z1 + 1] = True
        ct[~keep] = -1000.0
    affine = ct_image.affine.copy()
    if "centred" in kinds:
        pad = np.ceil(60.0 / spacing).astype(int)
        ct = np.pad(ct, [(p, p) for p in pad], constant_values=-1000.0)
        labels_out = np.pad(labels_out, [(p, p) for p in pad])
        affine[:3, 3] -= affine[:3, :3] @ pad
    out.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(ct.astype(np.int16), affine), out / "ct.nii.gz")
    nib.save(nib.Nifti1Image(labels_out.astype(np.int16), affine), out / "labels.nii.gz")
    return out


def split_model(entry: str) -> tuple[str, str]:
    """``label=model`` or ``model`` (labelled by its folder's name) -> (label, model)."""
    label, _, model = entry.rpartition("=")
    return (label or resolve_model(model).name), model


def evaluate_model(
    entry: str,
    out: Path,
    baseline_data: Path | None,
    *,
    source: Path = REAL_CT,
    figure: bool = True,
) -> dict:
    """Prepare the real CT (or an edit of it) like the model's data, evaluate and reconstruct it;
    ``entry`` is ``[label=]model`` (the label names folders, figure and record)."""
    label, name = split_model(entry)
    folder = resolve_model(name)
    data = out / label / "data"
    report = prepare_dataset(source, data, model_data_config(name), png=True, overwrite=True)
    if report.failures:
        raise SystemExit(f"the real CT failed to prepare: {report.failures}")
    case = report.done[0]
    result = evaluate_run(
        None, data, split="all", out_dir=out / label / "eval", model=folder,
        baseline_data=baseline_data, baselines=baseline_data is not None,
    )  # fmt: skip
    summary = result.summary
    # The real CT's own measures are the truth here (phantoms also carry their drawn values).
    clinical = summary.get("clinical", {}).get("x2ct vs true CT", {}).get("mean", {})
    record = {
        "case": case,
        "metrics": pick(summary, "x2ct"),
        "per_vertebra_Dice": per_vertebra(summary),
        "clinical_vs_truth": {
            k: float(clinical[k]) for k in ("vertebrae_paired", *CLINICAL) if k in clinical
        },
        "baselines": {m: pick(summary, m) for m in ("mean-volume", "backprojection")},
    }
    if not figure:
        return record
    recon_dir = out / label / "reconstruction"
    if recon_dir.exists():
        shutil.rmtree(recon_dir)  # our own scratch folder from an earlier run
    recon = reconstruct(
        data / case / "xray1_frontal.png",
        data / case / "xray2_lateral.png",
        recon_dir,
        model=folder,
        truth=data / case / "ct_xray_data.h5",
    )
    FIGURES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(recon.figure, FIGURES / f"real_ct_{label}.png")
    card = read_card(folder).get("holdout", {})
    return record | {
        "phantom_holdout": {
            "cases": card.get("cases"),
            "seed": card.get("seed"),
            "metrics": {k: card.get("metrics", {}).get(k) for k in KEPT},
            "clinical_vs_truth": card.get("clinical_vs_truth", {}),
        },
        "figure": f"docs/figures/real_ct_{label}.png",
    }


def print_table(record: dict) -> None:
    keys = ("Dice", "level_Dice", "Dice-vert", "HD95-mm", "ASSD-mm", "PSNR-true-3D", "MAE-HU")
    print(f"{'model / set':<36}" + "".join(f"{k:>14}" for k in keys))
    for name, entry in record["models"].items():
        for label, metrics in (
            ("real CT", entry["metrics"]),
            ("phantom hold-out", entry["phantom_holdout"]["metrics"]),
            ("real CT, back-projection", entry["baselines"].get("backprojection", {})),
        ):
            cells = "".join(
                f"{metrics[k]:>14.3f}" if metrics.get(k) is not None else f"{'-':>14}" for k in keys
            )
            print(f"{name + ': ' + label:<36}{cells}")
        for kind, edit in entry.get("variants", {}).items():
            cells = "".join(
                f"{edit['metrics'][k]:>14.3f}" if k in edit["metrics"] else f"{'-':>14}"
                for k in keys
            )
            print(f"{name + ': real CT, ' + kind:<36}{cells}")
        print(f"{name}: per-vertebra Dice {entry['per_vertebra_Dice']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["spine-cpu", "spine-cpu-realistic"],
        help="[label=]model: a shipped name or a model folder",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("real-ct"))
    parser.add_argument("--baseline-n", type=int, default=20)
    parser.add_argument("--baseline-seed", type=int, default=424242)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args()

    started = time.perf_counter()
    record: dict = {"ct": "data/totalseg-lumbar (TotalSegmentator example CT, 3 mm)", "models": {}}
    for entry in args.models:
        label, name = split_model(entry)
        baseline_data = None
        if args.baseline_n > 0:
            base_out = args.out / label / "baseline"
            baseline_data = base_out / "data"
            if not (baseline_data / "manifest.json").is_file():
                baseline_data = holdout_set(
                    base_out, name, args.baseline_n, args.baseline_seed, args.workers
                )
        result = evaluate_model(entry, args.out, baseline_data)
        result["variants"] = {}
        for kind in args.variants:
            source = variant(kind, args.out / "variants" / kind / "totalseg-lumbar")
            edit = evaluate_model(entry, args.out / kind, None, source=source, figure=False)
            result["variants"][kind] = {
                k: edit[k] for k in ("metrics", "per_vertebra_Dice", "clinical_vs_truth")
            }
        record["models"][label] = result
    record["seconds"] = round(time.perf_counter() - started, 1)
    print_table(record)
    # Models measured before (not given now) keep their entries: one file for the table.
    path = RESULTS / "real_ct.json"
    if path.is_file():
        earlier = json.loads(path.read_text()).get("models", {})
        record["models"] = {**earlier, **record["models"]}
    write_text(path, json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
