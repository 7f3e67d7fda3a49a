"""The run folder before training: checks, resume config, split record, stop signals.

Everything here runs on every rank and raises one-line errors before any training starts; the
writes (config.yaml, split.json) are made by rank 0 only.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from x2ct.atomic import write_text
from x2ct.config import ProjectConfig, save_config
from x2ct.config.schema import to_dict
from x2ct.errors import InputError
from x2ct.models.folder import DATA_SETTINGS_FILE
from x2ct.models.runfolder import (
    CHECKPOINT_DIR,
    CONFIG_FILE,
    SPLIT_FILE,
    check_same_model,
    checkpoint_path,
    load_checkpoint,
    read_run_config,
)

DATA_MANIFEST = "manifest.json"


def open_run(out: Path, config: ProjectConfig, resume: bool) -> dict[str, Any] | None:
    """Check the run folder for a fresh run or a resume; return last.pt's payload to resume from.

    A fresh run needs a new or empty folder. A resume needs the same model settings as the run
    (another preset is refused) and starts from ``checkpoints/last.pt``; a resume of a folder
    without one starts from scratch (so a job script may always pass --resume).
    """
    if out.exists() and not out.is_dir():
        raise InputError(out, "a run folder", "a file")
    has_run = (out / CONFIG_FILE).is_file() or any((out / CHECKPOINT_DIR).glob("*.pt"))
    if not resume:
        if has_run:
            raise InputError(
                out, "a new run folder (or `resume` to continue this one)", "an existing run"
            )
        return None
    if not has_run:
        return None
    if (out / CONFIG_FILE).is_file():
        check_same_model(read_run_config(out), config, out / CONFIG_FILE)
    last = checkpoint_path(out, "last")
    if not last.is_file():
        return None
    payload = load_checkpoint(last)
    check_same_model(payload["config"], config, last)
    return payload


def changed_settings(previous: dict[str, Any], config: ProjectConfig) -> list[str]:
    """``section.key old -> new`` for every setting that differs from a checkpoint's config."""
    current = to_dict(config)
    changes = []
    for section, values in current.items():
        old_values = previous.get(section)
        if not isinstance(values, dict) or not isinstance(old_values, dict):
            continue
        for key, value in values.items():
            if old_values.get(key) != value:
                changes.append(f"{section}.{key} {old_values.get(key)!r} -> {value!r}")
    return changes


def write_run_files(
    out: Path, config: ProjectConfig, data: Path, train: list[str], test: list[str]
) -> str | None:
    """Write config.yaml, split.json and data_settings.json; return a warning if the training
    list changed on resume.

    data_settings.json is the ``settings`` of the prepared folder's manifest (cube field of view,
    DRR geometry, X-ray preprocessing), so that a reconstruction from the run alone prepares new
    radiographs as the training views were; it is not written for data without a manifest.
    """
    warning = None
    split_path = out / SPLIT_FILE
    if split_path.is_file():
        previous = json.loads(split_path.read_text(encoding="utf-8"))
        if previous.get("train") != train:
            warning = (
                f"{split_path}: the training cases differ from the interrupted run's; "
                "the resumed data order is not the one the run would have had"
            )
    save_config(config, out / CONFIG_FILE)
    record = {"data": str(data.resolve()), "train": train, "test": test}
    write_text(split_path, json.dumps(record, indent=1) + "\n")
    manifest = data / DATA_MANIFEST
    if manifest.is_file():
        settings = json.loads(manifest.read_text(encoding="utf-8")).get("settings")
        if settings:
            write_text(out / DATA_SETTINGS_FILE, json.dumps(settings, indent=1) + "\n")
    return warning


def read_data_settings(data: Path) -> dict[str, Any] | None:
    """The ``settings`` of a prepared folder's manifest.json (None without a manifest)."""
    manifest = Path(data) / DATA_MANIFEST
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("settings")


class StopRequest:
    """SIGINT / SIGTERM ask for a clean stop after the current step (a second SIGINT aborts).

    Installed only in the main thread; the previous handlers are restored on exit.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
