"""``x2ct prepare``: a dataset of CTs + vertebra labels -> HDF5 training set with a split."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import (
    EXIT_PARTIAL_FAILURE,
    as_flags,
    console,
    err_console,
    progress,
    reports_errors,
)

MODEL_FIXED = ("prepare.mode", "xray.mode", "prepare.size", "prepare.field_mm", "drr.geometry")
"""Settings a model's data fixes: with --model the cube and the views must be those it knows."""


def load_with_overrides(
    config: str | None, sets: list[str], flags: dict[str, object], model: str | None = None
):
    """Load a preset/YAML (None = built-in defaults) or a model's data settings, then apply CLI
    flags and --set values (with a model, those it fixes are refused)."""
    from x2ct.config import ProjectConfig, apply_overrides, load_config
    from x2ct.errors import InputError

    overrides = [f"{key}={value}" for key, value in flags.items() if value is not None]
    if model is not None:
        if config is not None:
            raise InputError("--model", "either --model or --config", "both")
        fixed = [k for k in MODEL_FIXED if flags.get(k) is not None]
        fixed += [s.partition("=")[0] for s in sets if s.partition("=")[0].strip() in MODEL_FIXED]
        if fixed:
            raise InputError(
                "--model", "no setting that the model's data fixes", f"{', '.join(fixed)}"
            )
        from x2ct.inference.predictor import model_data_config

        base = model_data_config(model)
    else:
        base = ProjectConfig(name="defaults") if config is None else load_config(config)
    return apply_overrides(base, [*overrides, *sets])


@reports_errors
def prepare(
    src: Path = typer.Argument(..., help="Dataset folder (or CSV with columns case, ct, labels)."),
    out: Path = typer.Argument(
        ..., help="Output folder: <case>/ct_xray_data.h5, train.txt, test.txt."
    ),
    layout: str = typer.Option("auto", help="auto, ctspine1k, verse, totalseg, phantoms or csv."),
    spine_labels: str = typer.Option(
        None,
        "--spine-labels",
        help="Spine label ids: ranges (1-25,28) or ctspine1k, verse, totalseg-v1, totalseg-v2.",
    ),
    mode: str = typer.Option(
        None, help="aligned (isotropic cube, views share its field) or paper."
    ),
    size: int = typer.Option(None, help="Cube edge in voxels (default 128)."),
    geometry: str = typer.Option(None, help="DRR geometry: cone or parallel."),
    field_mm: float = typer.Option(
        None, "--field-mm", help="aligned mode: cube edge in mm (default 320)."
    ),
    margin_mm: float = typer.Option(None, "--margin-mm", help="Margin around the spine box in mm."),
    mask_outside: float = typer.Option(
        None,
        "--mask-outside",
        help="HU for voxels away from the spine (the seed's masking); default keeps them.",
    ),
    resample_labels: bool = typer.Option(
        False, "--resample-labels", help="Resample labels whose grid differs from the CT's."
    ),
    split: float = typer.Option(None, help="Fraction of cases in train.txt (default 0.8)."),
    seed: int = typer.Option(None, help="Seed of the split."),
    group_pattern: str = typer.Option(
        None, "--group-pattern", help="Regex whose first group is the patient id in a case name."
    ),
    workers: int = typer.Option(1, help="Cases prepared in parallel."),
    png: bool = typer.Option(
        False, "--png", help="Also write the two X-rays as PNG beside each HDF5."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Redo cases that are already prepared."
    ),
    config: str = typer.Option(
        None,
        "--config",
        help="Preset name or YAML file for the settings (default: built-in defaults).",
    ),
    model: str = typer.Option(
        None,
        "--model",
        help="Prepare with the data settings of a shipped model ('default', a name) or a model folder.",
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Override a setting: section.key=value (repeatable)."
    ),
) -> None:
    """Crop each CT to its labelled spine, render frontal and lateral DRRs, write one HDF5 per case,
    then an 80/20 split grouped by patient and a manifest. Resumable; failed cases are listed."""
    from x2ct.prepare.pipeline import prepare_dataset
    from x2ct.progress import BarProgress

    flags = {
        "prepare.spine_labels": spine_labels,
        "prepare.mode": mode,
        "xray.mode": mode,  # one choice: the 3D crop and the 2D preprocessing go together
        "prepare.size": size,
        "prepare.field_mm": field_mm,
        "prepare.margin_mm": margin_mm,
        "prepare.mask_outside_hu": mask_outside,
        "prepare.resample_labels": True if resample_labels else None,
        "prepare.split": split,
        "prepare.seed": seed,
        "drr.geometry": geometry,
    }
    settings = load_with_overrides(config, set_, flags, model)
    with progress() as bar:
        task = bar.add_task("prepare", total=None, status="")

        def on_failure(name: str, detail: str) -> None:
            bar.console.print(f"[red]failed[/] {name}: {as_flags(detail)}", highlight=False)

        report = prepare_dataset(
            src,
            out,
            settings,
            layout,
            workers,
            png,
            overwrite,
            group_pattern,
            progress=BarProgress(bar, task, on_failure),
        )
    console.print(
        f"prepared {len(report.done)}, already there {len(report.skipped)}, failed {len(report.failures)}"
        f" ({report.layout} layout) -> {out}  [train {len(report.train)} / test {len(report.test)}]",
        highlight=False,
    )
    if report.failures:
        err_console.print(f"{len(report.failures)} case(s) failed; see {out / 'manifest.json'}")
        raise typer.Exit(EXIT_PARTIAL_FAILURE)
