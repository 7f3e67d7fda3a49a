"""Writing a set of phantoms as a CTSpine1K-like folder, in parallel.

Layout of ``out_dir``::

    volumes/<case>.nii.gz        CT in HU (int16), stored in LPS voxel order like a DICOM series
    labels/<case>_seg.nii.gz     vertebra labels (uint8, C1-C7 = 1-7, T1-T12 = 8-19, L1-L5 = 20-24)
    truth/<case>.json            ground truth (see docs/phantoms.md)
    preview/<case>.png           four views, with ``preview=True``
    manifest.json                cases, failures, base seed, config

Case ``i`` of base seed ``s`` has its own seed ``case_seed(s, i)`` (stored in its truth file), so
one case can be regenerated alone with ``generate_phantom(case_seed, config)``; the output does
not depend on the number of worker processes.
"""

from __future__ import annotations

import dataclasses
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from x2ct.atomic import write_text
from x2ct.config.phantoms import PhantomConfig
from x2ct.errors import InputError
from x2ct.progress import BatchProgress

STORED_AXCODES = ("L", "P", "S")
"""Voxel order of the written files: columns to patient left, rows to posterior, slices up."""


def case_name(index: int) -> str:
    """File stem of case ``index``: ``phantom_0000``."""
    return f"phantom_{index:04d}"


def case_seed(base_seed: int, index: int) -> int:
    """The seed of case ``index`` in a set made with ``base_seed`` (a 32-bit integer)."""
    return int(np.random.SeedSequence([int(base_seed), int(index)]).generate_state(1)[0])


@dataclass
class BatchResult:
    """Names of the written cases and ``{case: message}`` of the failed ones."""

    cases: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def write_case(
    out_dir: Path, index: int, base_seed: int, config: PhantomConfig, preview: bool
) -> str:
    """Generate case ``index`` and write its files; returns the case name."""
    from x2ct.io import write_volume
    from x2ct.io.orientation import reorient
    from x2ct.phantoms.generate import generate_phantom
    from x2ct.volume import Volume

    name = case_name(index)
    seed = case_seed(base_seed, index)
    phantom = generate_phantom(seed, config)
    for volume, path, dtype in (
        (phantom.ct, out_dir / "volumes" / f"{name}.nii.gz", np.int16),
        (phantom.labels, out_dir / "labels" / f"{name}_seg.nii.gz", np.uint8),
    ):
        array, affine = reorient(volume.array, volume.affine, STORED_AXCODES)
        write_volume(Volume(array, affine, name), path, dtype)
    truth = {"case": name, "base_seed": int(base_seed), "index": int(index), **phantom.truth}
    truth["volume"]["stored_axcodes"] = "".join(STORED_AXCODES)
    write_text(out_dir / "truth" / f"{name}.json", json.dumps(truth, indent=1))
    if preview:
        from x2ct.phantoms.preview import save_preview

        run = truth["spine"]["run"]
        title = (
            f"{name} (seed {seed}): {run[0]}-{run[-1]}, Cobb {truth['spine']['cobb_deg']:.1f} deg"
        )
        save_preview(phantom.ct, phantom.labels, out_dir / "preview" / f"{name}.png", title)
    return name


def _task(args: tuple) -> tuple[str, str | None]:
    out_dir, index, base_seed, config, preview = args
    try:
        return write_case(out_dir, index, base_seed, config, preview), None
    except (ValueError, OSError, MemoryError) as exc:
        # A case the config cannot make (ValueError), or a full disk / no memory: recorded, and
        # the other cases go on. Anything else is a bug and stops the batch with its traceback.
        return case_name(index), f"{type(exc).__name__}: {exc}"


def _single_thread_env() -> None:
    # Workers share the machine's cores; one thread each avoids oversubscription.
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(key, "1")


def run_batch(
    out_dir: str | Path,
    n: int,
    seed: int = 0,
    config: PhantomConfig | None = None,
    workers: int = 1,
    preview: bool = False,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Write ``n`` phantoms into ``out_dir`` with ``workers`` processes; see the module docstring.

    ``progress`` hears each case as it finishes, in this process ('done', or 'failed' with the
    reason). A failed case is recorded and the others go on; ``manifest.json`` lists both.
    """
    from x2ct.phantoms.case import validate_config

    config = config or PhantomConfig()
    validate_config(config)
    if not isinstance(n, int) or n < 1:
        raise InputError("`n`", "a number of phantoms >= 1", repr(n))
    if not isinstance(workers, int) or workers < 1:
        raise InputError("`workers`", "a number of worker processes >= 1", repr(workers))
    if not isinstance(seed, int) or seed < 0:
        raise InputError("`seed`", "an integer >= 0", repr(seed))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(out, "an output folder", "a file")
    for sub in ("volumes", "labels", "truth") + (("preview",) if preview else ()):
        (out / sub).mkdir(parents=True, exist_ok=True)
    tasks = [(out, i, seed, config, preview) for i in range(n)]
    outcomes: dict[str, str | None] = {}

    def finished(name: str, error: str | None) -> None:
        outcomes[name] = error
        if progress is not None:
            progress.case(name, "done" if error is None else "failed", error or "")

    if progress is not None:
        progress.start(n)
    if workers == 1:
        for task in tasks:
            finished(*_task(task))
    else:
        import multiprocessing

        _single_thread_env()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, n), mp_context=context) as pool:
            futures = [pool.submit(_task, task) for task in tasks]
            for future in as_completed(futures):
                finished(*future.result())
    result = BatchResult(
        cases=sorted(k for k, v in outcomes.items() if v is None),
        failures={k: v for k, v in sorted(outcomes.items()) if v is not None},
    )
    manifest = {
        "n": n,
        "seed": seed,
        "cases": result.cases,
        "case_seeds": {case_name(i): case_seed(seed, i) for i in range(n)},
        "failures": result.failures,
        "config": dataclasses.asdict(config),
    }
    write_text(out / "manifest.json", json.dumps(manifest, indent=1))
    return result


def write_phantoms(
    out_dir: str | Path,
    n: int,
    seed: int = 0,
    config: PhantomConfig | None = None,
    workers: int = 1,
    preview: bool = False,
) -> list[str]:
    """Write ``n`` phantoms (CT, labels, truth, optional preview) and return the written case names.

    Failed cases (none expected) are left out of the list and recorded in ``manifest.json``.
    """
    return run_batch(out_dir, n, seed, config, workers, preview).cases
