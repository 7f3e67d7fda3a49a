"""The example pairs bundled with the page: views of held-out phantoms, with their truth.

Each example is one phantom of ``x2ct phantoms``' defaults with a base seed that no shipped model
saw (training used seeds 1000-1499, the hold-out set 424242): its CT cube as the truth
(``truth.nii.gz``, HU int16, the model frame) and, for each shipped model, the frontal and
lateral views rendered with that model's data settings (``<model>/xray1_frontal.png``,
``xray2_lateral.png``), exactly as ``x2ct prepare --model`` makes training views.

Regenerate them (a minute on 2 cores) with::

    python -m x2ct.app.examples
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent / "example_data"
EXAMPLE_SEED = 900000
"""Base seed of the example phantoms: neither a shipped model's training nor hold-out seed."""
EXAMPLE_COUNT = 3
FRONTAL, LATERAL, TRUTH = "xray1_frontal.png", "xray2_lateral.png", "truth.nii.gz"


@dataclass(frozen=True)
class Example:
    """One bundled pair for one model: the two view PNGs and the truth CT (or None)."""

    name: str
    model: str
    frontal: Path
    lateral: Path
    truth: Path | None


def example_names(root: Path = EXAMPLES_DIR) -> list[str]:
    """Names of the bundled examples (folders holding a truth or views), sorted."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*/" + FRONTAL)))


def find_example(name: str, model: str, root: Path = EXAMPLES_DIR) -> Example:
    """The views of example ``name`` rendered for ``model``, else for the default model.

    Models differ in how their views were rendered (ideal or radiograph-like), so each gets its
    own; a model without its own rendering (a user's exported model) gets the default's.

    Raises:
        InputError: no example of that name.
    """
    from x2ct.errors import InputError
    from x2ct.models.folder import default_model_name

    folder = root / name
    if name not in example_names(root):
        raise InputError("example", f"one of {', '.join(example_names(root))}", repr(name))
    views = folder / model
    if not (views / FRONTAL).is_file():
        views = folder / default_model_name()
    if not (views / FRONTAL).is_file():
        views = next(p.parent for p in sorted(folder.glob("*/" + FRONTAL)))
    truth = folder / TRUTH
    return Example(
        name, views.name, views / FRONTAL, views / LATERAL, truth if truth.is_file() else None
    )


def generate(
    out: Path = EXAMPLES_DIR,
    *,
    n: int = EXAMPLE_COUNT,
    seed: int = EXAMPLE_SEED,
    models: list[str] | None = None,
    workers: int = 1,
) -> list[str]:
    """Write ``n`` examples into ``out`` (replacing what is there); returns their names.

    Phantoms and prepared cases are made in a temporary folder; only the (S, S) uint8 view PNGs
    and the (D, H, W) HU cube of each case (int16, rounded to 1 HU) are kept.
    """
    import numpy as np

    from x2ct.config.phantoms import PhantomConfig
    from x2ct.data.hdf5 import case_volume
    from x2ct.inference.predictor import model_data_config
    from x2ct.io import write_volume
    from x2ct.models.folder import shipped_names
    from x2ct.phantoms.writer import case_seed, run_batch
    from x2ct.prepare.pipeline import prepare_dataset

    models = models or shipped_names()
    with tempfile.TemporaryDirectory(prefix="x2ct-examples-") as tmp:
        work = Path(tmp)
        result = run_batch(work / "phantoms", n, seed, PhantomConfig(), workers)
        # Models whose data sections agree see the same views: each set is prepared once.
        prepared_by: dict[str, str] = {}
        first_with: dict[str, str] = {}
        for model in models:
            config = model_data_config(model)
            key = repr((config.prepare, config.drr, config.xray))
            prepared_by[model] = first_with.setdefault(key, model)
            if prepared_by[model] == model:
                prepare_dataset(work / "phantoms", work / model, config, workers=workers, png=True)
        # Replace the example folders only: the folder's README stays.
        for old in out.glob("*/"):
            shutil.rmtree(old)
        out.mkdir(parents=True, exist_ok=True)
        names, seeds = [], {}
        for index, case in enumerate(result.cases):
            name = f"holdout-{index + 1}"
            seeds[name] = case_seed(seed, int(case.rsplit("_", 1)[1]))
            for model in models:
                prepared = work / prepared_by[model] / case
                (out / name / model).mkdir(parents=True)
                for view in (FRONTAL, LATERAL):
                    shutil.copyfile(prepared / view, out / name / model / view)
            truth = case_volume(work / models[0] / case / "ct_xray_data.h5")
            write_volume(truth, out / name / TRUTH, dtype=np.int16)
            names.append(name)
    manifest = {
        "base_seed": seed,
        "case_seeds": seeds,
        "phantoms": "x2ct phantoms defaults (PhantomConfig())",
        "models": models,
    }
    (out / "examples.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return names


def main() -> None:
    """``python -m x2ct.app.examples``: regenerate the bundled examples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXAMPLES_DIR)
    parser.add_argument("--n", type=int, default=EXAMPLE_COUNT)
    parser.add_argument("--seed", type=int, default=EXAMPLE_SEED)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    names = generate(args.out, n=args.n, seed=args.seed, workers=args.workers)
    print(f"{len(names)} examples in {args.out}: {', '.join(names)}")


if __name__ == "__main__":
    main()
