"""Hold-out quality of a shipped (or exported) model on phantoms of seeds it never saw.

Generates ``--n`` phantoms with ``x2ct phantoms``' default settings and base seed ``--seed``,
prepares them with the model's data settings (as ``x2ct prepare --model`` does), and evaluates
the model on all of them (``x2ct evaluate --model ... --split all``): Table 1, corrected metrics,
bone Dice / HD95 / ASSD, level Dice of the predicted labels, and the clinical measures taken
with the predicted labels against the phantoms' truth. The two non-learned baselines are fitted
on ``--train-data`` (the model's training set) and evaluated beside it; ``--runs`` adds trained
runs (e.g. the X2CT-GAN of the time-to-quality benchmark) on the same cases.

    .venv/bin/python benchmarks/holdout.py --model spine-cpu --train-data DATA \\
        --runs x2ct-gan=ttq-runs/ttq-x2ct-gan --write-card

``--pelvis`` draws the same seeds with a pelvis and scans that reach up to 140 mm below the run
(the phantoms of the spine-cpu-pelvis preset), ``--center-jitter-mm`` moves each cube off the
spine, ``--bone-density age`` draws the same seeds with cancellous bone as dense as an adult CT
population's (``phantoms.bone_density``, the phantoms of the spine-cpu-density preset),
``--trunk population`` with the trunk as deep as adults' and the spine in its back half
(``phantoms.trunk``, the phantoms of the spine-cpu-trunk preset), ``--scan`` in scans that fill
the field (``phantoms.scan_mm`` and the in-plane matrix of the spine-cpu-scan preset); none of
them writes a card. With ``--write-card`` the model folder's card.json gets the result (``holdout``): the numbers
that ``x2ct models`` lists and that tests/models/test_shipped.py reproduces.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from x2ct.atomic import write_text
from x2ct.config.phantoms import PhantomConfig
from x2ct.inference.evaluation import evaluate_run
from x2ct.inference.predictor import model_data_config
from x2ct.models.folder import read_card, resolve_model, write_card
from x2ct.phantoms.density import BONE_DENSITY_MODELS
from x2ct.phantoms.trunk import TRUNK_MODELS
from x2ct.phantoms.writer import run_batch
from x2ct.prepare.pipeline import prepare_dataset

RESULTS = Path(__file__).resolve().parent / "results"
KEPT = ("Dice", "level_Dice", "HD95-mm", "ASSD-mm", "PSNR-true-3D", "MAE-HU", "PSNR-3D", "SSIM",
        "Dice-vert", "HD95-vert-mm")  # fmt: skip
PAIRED_METRICS = KEPT[:8]
"""Kept per case as well (``per_case_metrics``): the whole-volume metrics."""
CLINICAL = ("height_anterior_mae_mm", "height_middle_mae_mm", "height_posterior_mae_mm",
            "cobb_abs_error_deg", "lordosis_abs_error_deg", "grade_agreement", "failed")  # fmt: skip


PELVIS_PRESET = "spine-cpu-pelvis"
"""``--pelvis`` takes the pelvis settings of this preset's phantoms (its training data)."""
SCAN_PRESET = "spine-cpu-scan"
"""``--scan`` takes the scan settings of this preset's phantoms (its training data)."""


def preset_phantoms(preset: str, names: tuple[str, ...]) -> dict:
    """The ``phantoms`` settings ``names`` of ``preset`` (ranges as tuples)."""
    from x2ct.config import load_config

    phantoms = load_config(preset).phantoms
    values = {name: getattr(phantoms, name) for name in names}
    return {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in values.items()}


def pelvis_settings() -> dict:
    """``phantoms.pelvis`` and ``phantoms.margin_below_mm`` of PELVIS_PRESET."""
    return preset_phantoms(PELVIS_PRESET, ("pelvis", "margin_below_mm"))


def scan_settings() -> dict:
    """``phantoms.matrix``, ``inplane_spacing_mm`` and ``scan_mm`` of SCAN_PRESET."""
    return preset_phantoms(SCAN_PRESET, ("matrix", "inplane_spacing_mm", "scan_mm"))


def holdout_set(
    out: Path,
    model: str,
    n: int,
    seed: int,
    workers: int,
    *,
    center_jitter_mm: float = 0.0,
    pelvis: bool = False,
    bone_density: str = "uniform",
    trunk: str = "uniform",
    scan: bool = False,
) -> Path:
    """Phantoms of ``x2ct phantoms``' defaults (with ``pelvis``, plus a pelvis and scans that
    reach up to 140 mm below the run), prepared with the model's data settings;
    ``center_jitter_mm`` moves each cube off the spine (``prepare.center_jitter_mm``); ``scan``
    draws scans that fill the field (``scan_settings``)."""
    from dataclasses import replace

    phantoms = out / "phantoms"
    drawn = PhantomConfig(
        **(pelvis_settings() if pelvis else {}),
        **(scan_settings() if scan else {}),
        bone_density=bone_density,
        trunk=trunk,
    )
    run_batch(phantoms, n, seed, drawn, workers)
    data = out / "data"
    config = model_data_config(model)
    config = replace(config, prepare=replace(config.prepare, center_jitter_mm=center_jitter_mm))
    report = prepare_dataset(phantoms, data, config, workers=workers, png=True)
    if report.failures:
        print(f"{len(report.failures)} phantoms could not be prepared: {report.failures}")
    return data


def pick(summary: dict, method: str) -> dict:
    means = summary["methods"].get(method, {}).get("mean", {})
    return {k: float(means[k]) for k in KEPT if k in means}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--train-data", type=Path, default=None)
    parser.add_argument("--runs", nargs="*", default=[], help="name=RUN evaluated on the same set")
    parser.add_argument("--out", type=Path, default=Path("holdout"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-card", action="store_true")
    parser.add_argument(
        "--center-jitter-mm", type=float, default=0.0,
        help="move each cube up to this far off the spine (the spine-position test; no card)",
    )  # fmt: skip
    parser.add_argument(
        "--pelvis", action="store_true",
        help="phantoms with a pelvis, scans up to 140 mm below the run (no card)",
    )  # fmt: skip
    parser.add_argument(
        "--bone-density", choices=BONE_DENSITY_MODELS, default="uniform",
        help="how cancellous bone density is drawn (phantoms.bone_density; 'age': no card)",
    )  # fmt: skip
    parser.add_argument(
        "--trunk", choices=TRUNK_MODELS, default="uniform",
        help="how the trunk around the spine is drawn (phantoms.trunk; 'population': no card)",
    )  # fmt: skip
    parser.add_argument(
        "--scan", action="store_true",
        help="scans that fill the field, as the spine-cpu-scan preset draws them (no card)",
    )  # fmt: skip
    args = parser.parse_args()

    folder = resolve_model(args.model)
    started = time.perf_counter()
    data = args.out / "data"
    if not (data / "manifest.json").is_file():
        data = holdout_set(
            args.out, args.model, args.n, args.seed, args.workers,
            center_jitter_mm=args.center_jitter_mm, pelvis=args.pelvis,
            bone_density=args.bone_density, trunk=args.trunk, scan=args.scan,
        )  # fmt: skip
    result = evaluate_run(
        None, data, split="all", out_dir=args.out / "eval-model", model=folder,
        baseline_data=args.train_data, baselines=args.train_data is not None,
    )  # fmt: skip
    summary = result.summary
    per_case = {
        row["case"]: round(float(row["Dice"]), 4) for row in result.rows if row["method"] == "x2ct"
    }
    # Every headline metric per case, so that two models on the same seeds compare paired.
    per_case_metrics = {
        row["case"]: {k: round(float(row[k]), 4) for k in PAIRED_METRICS if k in row}
        for row in result.rows
        if row["method"] == "x2ct"
    }
    clinical = summary.get("clinical", {}).get("x2ct vs phantom truth", {}).get("mean", {})
    record = {
        "model": folder.name,
        "cases": len(per_case),
        "seed": args.seed,
        "phantoms": "x2ct phantoms defaults (PhantomConfig())"
        + (f", with {pelvis_settings()}" if args.pelvis else "")
        + (f", bone_density {args.bone_density!r}" if args.bone_density != "uniform" else "")
        + (f", trunk {args.trunk!r}" if args.trunk != "uniform" else "")
        + (f", with {scan_settings()}" if args.scan else ""),
        "center_jitter_mm": args.center_jitter_mm,
        "metrics": pick(summary, "x2ct"),
        "clinical_vs_truth": {k: float(clinical[k]) for k in CLINICAL if k in clinical},
        "per_case_bone_Dice": per_case,
        "per_case_metrics": per_case_metrics,
        "baselines": {m: pick(summary, m) for m in ("mean-volume", "backprojection")},
        "runs": {},
        "seconds": round(time.perf_counter() - started, 1),
    }
    for item in args.runs:
        name, run = item.split("=", 1)
        other = evaluate_run(
            Path(run), data, split="all", checkpoint="last", out_dir=args.out / f"eval-{name}"
        )
        record["runs"][name] = pick(other.summary, "x2ct")
        clin = other.summary.get("clinical", {}).get("x2ct vs phantom truth", {}).get("mean", {})
        record["runs"][name]["clinical_vs_truth"] = {
            k: float(clin[k]) for k in CLINICAL if k in clin
        }
    print(json.dumps({k: v for k, v in record.items() if not k.startswith("per_case")}, indent=1))
    shifted = f"_jitter{args.center_jitter_mm:g}" if args.center_jitter_mm else ""
    shifted += "_pelvis" if args.pelvis else ""
    shifted += f"_{args.bone_density}" if args.bone_density != "uniform" else ""
    shifted += f"_trunk-{args.trunk}" if args.trunk != "uniform" else ""
    shifted += "_scan" if args.scan else ""
    write_text(
        RESULTS / f"holdout_{folder.name}{shifted}.json", json.dumps(record, indent=1) + "\n"
    )
    if args.write_card and not shifted:
        card = read_card(folder)
        card["holdout"] = {k: record[k] for k in ("cases", "seed", "phantoms", "metrics",
                                                  "clinical_vs_truth", "per_case_bone_Dice")}  # fmt: skip
        card["holdout"]["baselines"] = record["baselines"]
        write_card(folder, card)


if __name__ == "__main__":
    main()
