"""Preparing a dataset: every case (in parallel), then the split and the manifest.

A case that fails is reported with its one-line reason and skipped; the others finish. A case
whose HDF5 exists is complete (writes are atomic) and is skipped unless ``overwrite``; a folder
prepared with other settings is refused, so one folder never mixes two preparations.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import x2ct
from x2ct.atomic import write_text
from x2ct.config import ProjectConfig, check_modes
from x2ct.config.schema import to_dict
from x2ct.data.hdf5 import case_path
from x2ct.data.split import grouped_split, write_split
from x2ct.errors import InputError
from x2ct.prepare.case import SpineSelection, prepare_case
from x2ct.prepare.labels import resolve
from x2ct.prepare.layout import CaseSource, discover
from x2ct.progress import BatchProgress

MANIFEST = "manifest.json"


@dataclass
class PrepareReport:
    """What a prepare run did; ``failures`` maps case name -> reason."""

    out_dir: Path
    layout: str
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    train: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)


def settings_of(config: ProjectConfig, spine: SpineSelection) -> dict[str, Any]:
    """The settings that define a prepared folder's content (a changed one means redo)."""
    prepare = to_dict(config.prepare)
    for runtime_only in ("split", "seed"):
        prepare.pop(runtime_only)
    return {
        "prepare": prepare,
        "drr": to_dict(config.drr),
        "xray": to_dict(config.xray),
        "spine_labels": {"preset": spine.preset, "ids": list(spine.ids)},
    }


def _check_previous(out_dir: Path, settings: dict[str, Any], overwrite: bool) -> None:
    manifest = out_dir / MANIFEST
    if overwrite or not manifest.is_file():
        return
    previous = json.loads(manifest.read_text(encoding="utf-8")).get("settings")
    if previous is not None and previous != settings:
        changed = sorted(
            f"{section}.{key}"
            for section, values in settings.items()
            if isinstance(values, dict)
            for key in values
            if previous.get(section, {}).get(key) != values[key]
        ) or ["spine_labels"]
        raise InputError(
            out_dir,
            "the settings this folder was prepared with (or `overwrite`, or a new folder)",
            f"different {', '.join(changed[:4])}",
        )


def _run_one(
    args: tuple[CaseSource, Path, ProjectConfig, SpineSelection, bool],
) -> tuple[str, dict | str]:
    source, out_dir, config, spine, png = args
    try:
        return "done", prepare_case(source, out_dir, config, spine, png)
    except (ValueError, FileNotFoundError, OSError) as exc:
        return "failed", str(exc)


def _init_worker() -> None:
    # One BLAS/torch thread per process: the pool itself provides the parallelism.
    import torch

    torch.set_num_threads(1)


def prepare_dataset(
    src: str | Path,
    out_dir: str | Path,
    config: ProjectConfig,
    layout: str = "auto",
    workers: int = 1,
    png: bool = False,
    overwrite: bool = False,
    group_pattern: str | None = None,
    progress: BatchProgress | None = None,
) -> PrepareReport:
    """Prepare every case of ``src`` into ``out_dir`` and write the split and the manifest.

    ``progress`` hears the number of cases once they are known and each case as it ends
    (done, skipped or failed, with the reason).
    """
    check_modes(config)
    out_dir = Path(out_dir)
    layout, cases = discover(src, layout, group_pattern)
    preset, ids = resolve(config.prepare.spine_labels, layout)
    spine = SpineSelection(preset, ids)
    settings = settings_of(config, spine)
    _check_previous(out_dir, settings, overwrite)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = PrepareReport(out_dir, layout)
    if progress is not None:
        progress.start(len(cases))
    details: dict[str, dict] = {}
    todo = []
    for case in cases:
        if not overwrite and case_path(out_dir, case.name).is_file():
            report.skipped.append(case.name)
            if progress is not None:
                progress.case(case.name, "skipped", "already prepared")
        else:
            todo.append((case, out_dir, config, spine, png))

    def record(name: str, status: str, value: dict | str) -> None:
        if status == "done":
            report.done.append(name)
            details[name] = value  # type: ignore[assignment]
        else:
            report.failures[name] = str(value)
        if progress is not None:
            progress.case(name, status, "" if status == "done" else str(value))

    if workers <= 1 or len(todo) <= 1:
        for job in todo:
            record(job[0].name, *_run_one(job))
    else:
        context = get_context("spawn")
        with ProcessPoolExecutor(
            min(workers, len(todo)), mp_context=context, initializer=_init_worker
        ) as pool:
            futures = {pool.submit(_run_one, job): job[0].name for job in todo}
            for future in as_completed(futures):
                record(futures[future], *future.result())

    ready = sorted(report.done + report.skipped)
    groups = {case.name: case.group for case in cases}
    report.train, report.test = (
        grouped_split(
            ready, [groups[name] for name in ready], config.prepare.split, config.prepare.seed
        )
        if ready
        else ([], [])
    )
    write_split(out_dir, report.train, report.test)
    _write_manifest(report, src, cases, settings, config, details)
    return report


def _write_manifest(report, src, cases, settings, config, details) -> None:
    previous: dict[str, Any] = {}
    path = report.out_dir / MANIFEST
    if path.is_file():
        previous = {
            c["name"]: c for c in json.loads(path.read_text(encoding="utf-8")).get("cases", [])
        }
    entries = []
    for case in cases:
        status = "failed" if case.name in report.failures else "prepared"
        entry = {
            "name": case.name,
            "group": case.group,
            "status": status,
            "ct": str(case.ct),
            "labels": str(case.labels),
        }
        if case.name in details:
            entry.update(details[case.name])
        elif case.name in previous and status == "prepared":
            entry = {**previous[case.name], **entry}
        entries.append(entry)
    manifest = {
        "x2ct_version": x2ct.__version__,
        "source": str(Path(src).resolve()),
        "layout": report.layout,
        "settings": settings,
        "split": {
            "train_fraction": config.prepare.split,
            "seed": config.prepare.seed,
            "train": len(report.train),
            "test": len(report.test),
        },
        "cases": entries,
        "failures": [
            {"case": name, "reason": reason} for name, reason in sorted(report.failures.items())
        ],
    }
    write_text(path, json.dumps(manifest, indent=2))
