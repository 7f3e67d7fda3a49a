"""The quality study: how well x2ct reconstructs, against baselines, and which choices matter.

Runs from scratch on a 2-core CPU in resumable stages (a finished stage is skipped on rerun):

  phantoms   200 synthetic spine CTs (fixed seed) with the ``cpu`` preset's phantom settings
  prepare    three data variants of the same cases and split: aligned + cone beam (x2ct's
             default), the seed's preprocessing (paper) + cone beam, aligned + parallel beam
  train      four arms with the same budget of epochs: the GAN on each data variant, and the
             same generator without the discriminator (MSE + projection losses: X2CT-CNN)
  evaluate   every arm on the held-out cases, last checkpoint (the test split is never used
             for model selection): Table 1, corrected, bone shape, clinical; baselines included
  best       the best arm (bone Dice) trained again with three times the budget
  real       the real CT (data/totalseg-lumbar) prepared like the best arm's data and
             reconstructed by the best model
  report     benchmarks/results/quality.json and docs/quality.md with tables and figures

    .venv/bin/python benchmarks/quality.py                 # everything (hours; resumable)
    .venv/bin/python benchmarks/quality.py --stages report # rebuild the document only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

# Other processes may share the two cores: sleeping OpenMP threads instead of spinning ones keep
# a training step from slowing down tenfold under contention (measured here).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from quality_report import write_report
from x2ct.config import ProjectConfig, apply_overrides, load_config

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work" / "quality"
RESULTS = ROOT / "benchmarks" / "results" / "quality.json"
STAGES = ("phantoms", "prepare", "train", "evaluate", "best", "real", "report")

DATA_VARIANTS = {
    "aligned-cone": [],
    "paper-cone": ["prepare.mode=paper", "xray.mode=paper"],
    "aligned-parallel": ["drr.geometry=parallel"],
}
ARMS = {
    "gan-aligned-cone": ("aligned-cone", []),
    "gan-paper-cone": ("paper-cone", []),
    "gan-aligned-parallel": ("aligned-parallel", []),
    "cnn-aligned-cone": ("aligned-cone", ["train.adversarial=false"]),
}


class State:
    """Which stages are done and how long each took (work/quality/state.json)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}

    def done(self, key: str) -> bool:
        return bool(self.data.get(key, {}).get("done"))

    def finish(self, key: str, seconds: float, **extra: Any) -> None:
        self.data[key] = {"done": True, "seconds": round(seconds, 1), **extra}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=1) + "\n")


def run_stage(state: State, key: str, function, *args, **kwargs) -> Any:
    """Run ``function`` unless ``key`` is done; record its wall time."""
    if state.done(key):
        print(f"[quality] {key}: done before, skipped")
        return None
    print(f"[quality] {key}: running")
    started = time.perf_counter()
    extra = function(*args, **kwargs) or {}
    state.finish(key, time.perf_counter() - started, **extra)
    print(f"[quality] {key}: {time.perf_counter() - started:.0f} s")
    return extra


def study_config(args: argparse.Namespace, extra: list[str] | None = None) -> ProjectConfig:
    """The cpu preset with the study's schedule (same epochs for every arm)."""
    half = args.epochs // 2
    schedule = [
        f"train.epochs_constant={args.epochs - half}",
        f"train.epochs_decay={half}",
        f"train.checkpoint_every={args.epochs}",
        "train.max_minutes=null",
        "train.val_max_cases=20",
        f"train.seed={args.seed}",
        f"prepare.seed={args.seed}",
    ]
    return apply_overrides(load_config("cpu"), [*schedule, *(extra or [])])


def stage_phantoms(args: argparse.Namespace) -> dict[str, Any]:
    from x2ct.phantoms.writer import run_batch

    result = run_batch(
        WORK / "phantoms", args.cases, args.seed, study_config(args).phantoms, args.workers
    )
    return {"cases": len(result.cases), "failures": result.failures}


def stage_prepare(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    from x2ct.prepare.pipeline import prepare_dataset

    config = study_config(args, DATA_VARIANTS[variant])
    report = prepare_dataset(
        WORK / "phantoms", WORK / f"data-{variant}", config, workers=args.workers, png=True
    )
    return {
        "prepared": len(report.done) + len(report.skipped),
        "failures": report.failures,
        "train": len(report.train),
        "test": len(report.test),
    }


def stage_common_split(args: argparse.Namespace) -> dict[str, Any]:
    """One split for every data variant: the cases prepared in all of them, split once.

    A case can fail in one variant only (an aligned cube has a fixed field of view, the paper
    mode stretches any box), and every arm must be tested on the same cases.
    """
    from x2ct.data.hdf5 import case_path
    from x2ct.data.split import grouped_split, write_split

    names = sorted(p.name for p in (WORK / "phantoms" / "volumes").glob("*.nii.gz"))
    cases = [n.removesuffix(".nii.gz") for n in names]
    ready = [
        c for c in cases if all(case_path(WORK / f"data-{v}", c).is_file() for v in DATA_VARIANTS)
    ]
    train, test = grouped_split(ready, ready, 0.8, args.seed)
    for variant in DATA_VARIANTS:
        write_split(WORK / f"data-{variant}", train, test)
    return {
        "cases": len(ready),
        "train": len(train),
        "test": len(test),
        "dropped": sorted(set(cases) - set(ready)),
    }


def stage_train(args: argparse.Namespace, arm: str, epochs: int, name: str) -> dict[str, Any]:
    from x2ct.training.loop import train

    variant, extra = ARMS[arm]
    config = study_config(args, extra)
    half = epochs // 2
    config = replace(
        config,
        train=replace(
            config.train, epochs_constant=epochs - half, epochs_decay=half, checkpoint_every=epochs
        ),
    )
    run_dir = WORK / "runs" / name
    resume = run_dir.exists()
    result = train(WORK / f"data-{variant}", config, run_dir, resume=resume, quiet=True)
    if result.stopped == "signal":
        raise SystemExit(f"training of {name} was stopped by a signal; rerun to resume it")
    return {
        "epochs": result.epochs,
        "steps": result.step,
        "stopped": result.stopped,
        "data": variant,
    }


def stage_evaluate(
    args: argparse.Namespace,
    name: str,
    data: Path | None = None,
    split: str = "test",
    out_name: str | None = None,
) -> dict:
    from x2ct.inference.evaluation import evaluate_run

    out = WORK / "eval" / (out_name or name)
    if out.exists():
        shutil.rmtree(out)
    result = evaluate_run(
        WORK / "runs" / name, data, split=split, checkpoint="last", out_dir=out, figure_cases=3
    )
    return {"cases": result.summary["settings"]["cases"]}


def best_arm(state: State) -> str:
    """The arm with the highest mean bone Dice of the model on the held-out cases."""
    scores = {}
    for arm in ARMS:
        summary = WORK / "eval" / arm / "summary.json"
        if summary.is_file():
            stats = json.loads(summary.read_text())["methods"]["x2ct"]["mean"]
            scores[arm] = stats["Dice"]
    if not scores:
        raise SystemExit("no evaluated arm: run the evaluate stage first")
    return max(scores, key=scores.get)


def stage_real(args: argparse.Namespace, arm: str, name: str) -> dict[str, Any]:
    """Prepare the real CT like the arm's data and reconstruct it with the long-trained model."""
    from x2ct.inference.reconstruct import reconstruct
    from x2ct.prepare.pipeline import prepare_dataset

    variant = ARMS[arm][0]
    config = study_config(args, DATA_VARIANTS[variant])
    folder = WORK / f"real-{variant}"
    report = prepare_dataset(
        ROOT / "data" / "totalseg-lumbar", folder, config, png=True, overwrite=True
    )
    if report.failures:
        raise SystemExit(f"the real CT failed to prepare: {report.failures}")
    case = report.done[0]
    stage_evaluate(args, name, folder, "train", out_name="real")  # one case: it sits in train.txt
    recon = reconstruct(
        folder / case / "xray1_frontal.png",
        folder / case / "xray2_lateral.png",
        WORK / "real-reconstruction",
        run_dir=WORK / "runs" / name,
        checkpoint="last",
        mesh=True,
        truth=folder / case / "ct_xray_data.h5",
    )
    return {"case": case, "figure": str(recon.figure)}


def main() -> None:
    parser = argparse.ArgumentParser(description="x2ct quality study (resumable)")
    parser.add_argument("--stages", nargs="+", default=["all"], choices=["all", *STAGES])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=6, help="budget of every arm (epochs)")
    parser.add_argument(
        "--best-factor", type=int, default=3, help="budget multiple of the best arm"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    stages = STAGES if "all" in args.stages else tuple(args.stages)
    state = State(WORK / "state.json")
    started = time.perf_counter()
    if "phantoms" in stages:
        run_stage(state, "phantoms", stage_phantoms, args)
    if "prepare" in stages:
        for variant in DATA_VARIANTS:
            run_stage(state, f"prepare-{variant}", stage_prepare, args, variant)
        run_stage(state, "split", stage_common_split, args)
    if "train" in stages:
        for arm in ARMS:
            run_stage(state, f"train-{arm}", stage_train, args, arm, args.epochs, arm)
    if "evaluate" in stages:
        for arm in ARMS:
            run_stage(state, f"evaluate-{arm}", stage_evaluate, args, arm)
    best = None
    if {"best", "real", "report"} & set(stages):
        best = state.data.get("best-arm", {}).get("arm") or best_arm(state)
        state.data["best-arm"] = {"arm": best, "done": True}
    long_name = f"{best}-long" if best else None
    if "best" in stages and best:
        run_stage(
            state,
            f"train-{long_name}",
            stage_train,
            args,
            best,
            args.epochs * args.best_factor,
            long_name,
        )
        run_stage(state, f"evaluate-{long_name}", stage_evaluate, args, long_name)
    if "real" in stages and best:
        run_stage(state, "real", stage_real, args, best, long_name)
    if "report" in stages:
        write_report(WORK, RESULTS, ROOT / "docs", state.data, ARMS, best, long_name, vars(args))
    print(f"[quality] this call took {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
