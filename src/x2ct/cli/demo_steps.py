"""``x2ct demo``: the whole pipeline on built-in synthetic spine phantoms, on a laptop CPU.

0. the default shipped model reconstructs phantoms it never saw (a new seed): it is prepared
   with the model's data settings, evaluated (bone and level Dice) and one case is reconstructed
   with its mesh, vertebra labels and clinical measures (``x2ct reconstruct``, no --run);
1. generate synthetic spine CTs with vertebra labels (``x2ct phantoms``),
2. prepare them (crop, DRRs, HDF5, 80/20 split; ``x2ct prepare``),
3. train the ``cpu`` X2CT-GAN for the time left in the budget (``x2ct train``),
4. evaluate it on the held-out cases next to two baselines (``x2ct evaluate``),
5. reconstruct one held-out case from its two radiographs (``x2ct reconstruct``).
Steps 1-5 show the training pipeline; a short run does not learn the spine (docs/quality.md).
Phantoms and the prepared data are reused when the output folder already holds them.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from x2ct.config import ProjectConfig, apply_overrides, load_config
from x2ct.errors import InputError
from x2ct.inference.reconstruct import ReconstructionResult
from x2ct.progress import BarProgress, progress

EVALUATE_RESERVE_MINUTES = 1.5
"""Budget kept for evaluation and reconstruction after training."""
SHIPPED_SEED = 20261203
"""Base seed of the demo's phantoms for the shipped model: neither its training nor its hold-out
set (docs/models.md lists those seeds)."""
SHIPPED_CASES = 4


def _step(console: Console, number: int, text: str) -> None:
    console.rule(f"[bold]{number}/5[/] {text}", align="left")


def _shipped_model(out: Path, workers: int, console: Console) -> ReconstructionResult:
    """Step 0: the default shipped model on new phantoms; returns the reconstruction outputs.

    Its clinical measures are shown when the reconstruction can be measured; otherwise one
    line says why and the demo goes on.
    """
    from x2ct.config.phantoms import PhantomConfig
    from x2ct.inference.evaluation import evaluate_run
    from x2ct.inference.predictor import model_data_config
    from x2ct.inference.reconstruct import reconstruct
    from x2ct.models.folder import resolve_model
    from x2ct.phantoms.writer import run_batch
    from x2ct.prepare.pipeline import prepare_dataset

    model = resolve_model("default")
    folder = out / "shipped"
    if not (folder / "data" / "manifest.json").is_file():
        run_batch(folder / "phantoms", SHIPPED_CASES, SHIPPED_SEED, PhantomConfig(), workers)
        prepare_dataset(
            folder / "phantoms",
            folder / "data",
            model_data_config(model),
            workers=workers,
            png=True,
        )
    evaluation = evaluate_run(
        None, folder / "data", split="all", out_dir=folder / "evaluation", model=model
    )
    means = evaluation.summary["methods"]["x2ct"]["mean"]
    console.print(
        f"shipped model '{model.name}' on {SHIPPED_CASES} new phantoms (seed {SHIPPED_SEED}):"
        f" bone Dice {means['Dice']:.3f}, level Dice {means.get('level_Dice', float('nan')):.3f},"
        f" HD95 {means['HD95-mm']:.1f} mm",
        highlight=False,
    )
    case = sorted(p.name for p in (folder / "data").iterdir() if p.is_dir())[0]
    inputs = (
        folder / "data" / case / "xray1_frontal.png",
        folder / "data" / case / "xray2_lateral.png",
    )
    options = {"mesh": True, "truth": folder / "data" / case / "ct_xray_data.h5", "model": model}
    try:
        return reconstruct(*inputs, out / "reconstruction-shipped", measure=True, **options)
    except InputError as exc:  # raised after the volume and figure are written
        console.print(f"measures of {case}: {exc}", highlight=False)
        return reconstruct(*inputs, out / "reconstruction-shipped", **options)


def _phantoms(
    out: Path, config: ProjectConfig, cases: int, seed: int, workers: int, console: Console
) -> Path:
    from x2ct.phantoms.writer import run_batch

    folder = out / "phantoms"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        done = json.loads(manifest.read_text(encoding="utf-8")).get("cases", [])
        if len(done) >= cases:
            console.print(f"reusing {len(done)} phantoms in {folder}")
            return folder
    with progress() as bar:
        task = bar.add_task("phantoms", total=cases, status="")
        result = run_batch(
            folder,
            cases,
            seed,
            config.phantoms,
            workers,
            progress=BarProgress(bar, task),
        )
    console.print(
        f"{len(result.cases)} phantoms in {folder}"
        + (f", {len(result.failures)} failed" if result.failures else "")
    )
    return folder


def _prepare(
    source: Path, out: Path, config: ProjectConfig, workers: int, console: Console
) -> Path:
    from x2ct.prepare.pipeline import prepare_dataset

    folder = out / "data"
    with progress() as bar:
        task = bar.add_task("prepare", total=None, status="")
        report = prepare_dataset(
            source,
            folder,
            config,
            workers=workers,
            png=True,
            progress=BarProgress(bar, task),
        )
    console.print(
        f"{len(report.done) + len(report.skipped)} cases in {folder}: train {len(report.train)}, test {len(report.test)}"
        + (f"; {len(report.failures)} failed (see manifest.json)" if report.failures else "")
    )
    if len(report.train) < 2 or not report.test:
        from x2ct.errors import InputError

        raise InputError(
            folder,
            "at least 2 training and 1 test case",
            f"{len(report.train)} and {len(report.test)}",
        )
    return folder


def run_demo(
    out: str | Path = "demo",
    minutes: float = 10.0,
    cases: int = 60,
    preset: str = "cpu",
    workers: int = 2,
    seed: int = 0,
    overrides: list[str] | None = None,
    console: Console | None = None,
) -> dict[str, Any]:
    """Run the five steps within about ``minutes`` of wall time; returns the output paths."""
    from x2ct.inference.evaluation import evaluate_run
    from x2ct.inference.reconstruct import reconstruct
    from x2ct.training.loop import train

    console = console or Console()
    started = time.perf_counter()
    out = Path(out)
    config = apply_overrides(load_config(preset), overrides or [])
    console.print(
        f"x2ct demo: synthetic spine CTs -> synthetic radiographs -> X2CT-GAN ({preset} preset,"
        f" {config.model.input_size}^3) -> evaluation -> reconstruction, in about {minutes:g} minutes. Output: {out}"
    )
    console.rule("[bold]0/5[/] The shipped model reconstructs phantoms it never saw", align="left")
    shipped = _shipped_model(out, workers, console)
    console.print(f"figure: {shipped.figure}", highlight=False)
    _step(console, 1, f"Generating {cases} synthetic spine CTs with vertebra labels")
    phantoms = _phantoms(out, config, cases, seed, workers, console)
    _step(
        console,
        2,
        "Preparing the training set: crop to the spine, frontal + lateral DRRs, HDF5, split",
    )
    data = _prepare(phantoms, out, config, workers, console)

    elapsed = (time.perf_counter() - started) / 60.0
    budget = max(minutes - elapsed - EVALUATE_RESERVE_MINUTES, 0.5)
    _step(console, 3, f"Training the {preset} X2CT-GAN for {budget:.1f} minutes")
    run_dir = out / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    # Fit the lr schedule (constant, then linear decay) into the time left, as a full run would.
    config = replace(
        config, train=replace(config.train, max_minutes=budget, fit_schedule_to_budget=True)
    )
    result = train(data, config, run_dir)
    console.print(f"stopped ({result.stopped}) after {result.epochs} epochs, {result.step} steps")

    _step(
        console,
        4,
        "Evaluating on the held-out cases (Table 1, corrected, bone shape) next to two baselines",
    )
    with progress() as bar:
        task = bar.add_task("evaluate", total=None, status="")
        evaluation = evaluate_run(
            run_dir,
            data,
            checkpoint="best",
            progress=BarProgress(bar, task),
        )
    console.print(evaluation.tables, markup=False, highlight=False, soft_wrap=True)

    _step(console, 5, "Reconstructing one held-out case from its two radiographs")
    case = (data / "test.txt").read_text(encoding="utf-8").split()[0]
    recon = reconstruct(
        data / case / "xray1_frontal.png",
        data / case / "xray2_lateral.png",
        out / "reconstruction",
        run_dir=run_dir,
        mesh=True,
        truth=data / case / "ct_xray_data.h5",
    )
    minutes_used = (time.perf_counter() - started) / 60.0
    paths = {
        "shipped model figure": str(shipped.figure),
        "shipped model labels": str(shipped.labels or ""),
        "tables": str(evaluation.out_dir / "tables.md"),
        "cases figure": str(evaluation.out_dir / "figures" / "cases.png"),
        "reconstruction figure": str(recon.figure),
        "volume": str(recon.volume),
        "mesh": str(recon.mesh or ""),
        "training curves": str(run_dir / "metrics.csv"),
    }
    console.rule(f"done in {minutes_used:.1f} minutes", align="left")
    for key, value in paths.items():
        console.print(f"{key:>22}: {value}", highlight=False)
    return {
        "paths": paths,
        "minutes": minutes_used,
        "evaluation": evaluation.summary,
        "reconstruction": recon,
        "shipped": shipped,
    }
