"""``x2ct evaluate``: a trained run against held-out cases, next to two non-learned baselines.

For every case of the split and every method (the run's generator, the mean training volume,
the back-projection baseline) the metrics are computed on the network's grid (S^3, the truth
resized as the training dataset resizes it):
- Table 1 exactly as the seed computed it (``x2ct.metrics.table1``),
- corrected image metrics in HU (``x2ct.metrics.corrected``),
- bone shape: Dice, HD95, ASSD in mm, overall and per vertebra (``x2ct.metrics.shape_metrics``).
Outputs: per_case.csv, per_vertebra.csv, summary.json, tables.md, figures/cases.png and, on
request, predictions/<case>.nii.gz (HU, in the case's patient space).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from x2ct.atomic import write_text
from x2ct.data.dataset import CaseDataset
from x2ct.data.hdf5 import case_path, read_case, read_case_list
from x2ct.errors import InputError, MissingFileError
from x2ct.inference.baselines import BackprojectionBaseline, MeanVolumeBaseline, save_baseline
from x2ct.inference.export import resized_affine, write_prediction
from x2ct.inference.predictor import Predictor
from x2ct.metrics.shape import level_dice
from x2ct.models.runfolder import SPLIT_FILE
from x2ct.progress import BatchProgress
from x2ct.scaling import target_to_hu

MODEL = "x2ct"
BASELINES = ("mean-volume", "backprojection")


def _on_grid(view: torch.Tensor, size: int) -> np.ndarray:
    """A (1, X, X) view tensor -> (size, size) float32, bilinear as the dataset resizes."""
    if tuple(view.shape[-2:]) != (size, size):
        view = F.interpolate(view[None], size=(size, size), mode="bilinear", align_corners=False)[0]
    return view[0].numpy()


@dataclass
class EvaluationResult:
    """Rows per case and method, summaries per method, and where everything was written."""

    out_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    vertebra_rows: list[dict[str, Any]] = field(default_factory=list)
    clinical_rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    tables: str = ""


def _labels_on_grid(mask: np.ndarray | None, size: int) -> np.ndarray | None:
    """Vertebra labels resized (nearest, pixel centres aligned) to the network's grid."""
    if mask is None:
        return None
    if mask.shape == (size,) * 3:
        return mask.astype(np.int64)
    tensor = torch.from_numpy(mask.astype(np.float32))[None, None]
    return (
        F.interpolate(tensor, size=(size,) * 3, mode="nearest-exact")[0, 0].numpy().astype(np.int64)
    )


def _case_metrics(
    real01: np.ndarray, fake01: np.ndarray, spacing, labels, config
) -> tuple[dict, dict]:
    from x2ct import metrics

    real_hu, fake_hu = target_to_hu(real01), target_to_hu(fake01)
    row: dict[str, Any] = {}
    row.update(metrics.table1(real01, fake01))
    row.update(metrics.corrected(real_hu, fake_hu, config.evaluate.data_range_hu))
    shape = metrics.shape_metrics(
        real_hu,
        fake_hu,
        spacing,
        labels,
        config.evaluate.bone_hu,
        config.evaluate.vertebra_margin_mm,
    )
    per_vertebra = shape.pop("per_vertebra", {}) or {}
    row.update(shape)
    return row, per_vertebra


def case_list(data_dir: Path, split: str) -> list[str]:
    """The cases of ``split``: 'test', 'train' or 'all' (train then test, each name once)."""
    if split == "all":
        names: list[str] = []
        for part in ("train", "test"):
            path = data_dir / f"{part}.txt"
            if path.is_file():
                names += [n for n in read_case_list(path) if n not in names]
        if not names:
            raise InputError(data_dir, "train.txt or test.txt with cases", "neither")
        return names
    if split not in ("train", "test"):
        raise InputError("split", "test, train or all", repr(split))
    return read_case_list(data_dir / f"{split}.txt")


def fit_baselines(data_dir: Path, train_cases: list[str], size: int, bins: int):
    """Mean-volume and back-projection baselines fitted on the training cases at size^3."""
    dataset = CaseDataset(data_dir, train_cases, size, check=False)
    volumes, samples = [], []
    for index in range(len(dataset)):
        item = dataset[index]
        ct01 = item["ct"][0].numpy()
        volumes.append(ct01)
        samples.append((ct01, item["xray1"][0].numpy(), item["xray2"][0].numpy()))
    return {
        "mean-volume": MeanVolumeBaseline().fit(volumes),
        "backprojection": BackprojectionBaseline(bins=bins).fit(samples),
    }


def _run_split(run_dir: Path | None) -> dict[str, Any]:
    if run_dir is None:
        return {}
    path = run_dir / SPLIT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def evaluate_run(
    run_dir: str | Path | None,
    data_dir: str | Path | None = None,
    *,
    split: str = "test",
    checkpoint: str | int = "best",
    out_dir: str | Path | None = None,
    save_predictions: bool = False,
    baselines: bool = True,
    figure_cases: int = 3,
    clinical: bool = True,
    device: str = "cpu",
    progress: BatchProgress | None = None,
    model: str | Path | None = None,
    baseline_data: str | Path | None = None,
) -> EvaluationResult:
    """Evaluate ``run_dir`` (or the shipped / exported ``model``) on the ``split`` cases
    ('test', 'train' or 'all') of ``data_dir`` (default: the run's data).

    ``progress`` hears the number of cases, then each case as it is done. ``clinical``
    adds the clinical measures table for cases with a label map (``x2ct.measures``). A model
    with a level head adds ``level_Dice`` (its predicted labels against the true ones) and
    separates the vertebrae of its reconstruction with its own labels in the clinical table.
    Baselines learn from the run's training data; for a model, from ``baseline_data``'s
    train.txt when given, else from ``data_dir``'s train.txt when evaluating its test split,
    and they are left out otherwise.
    """
    from x2ct.inference.report import summarise_methods, write_outputs

    if (run_dir is None) == (model is None):
        raise InputError("evaluate", "a run folder or a model (one of them)", "both or neither")
    if model is not None:
        predictor = Predictor.from_model(model, device)
        if data_dir is None or out_dir is None:
            raise InputError("`model`", "`data` and `out` with a model", "one of them missing")
        source = predictor.source
    else:
        run_dir = Path(run_dir)
        predictor = Predictor.from_run(run_dir, checkpoint, device)
        source = str(run_dir.resolve())
    config, size = predictor.config, predictor.size
    recorded = _run_split(run_dir)
    if data_dir is None:
        if "data" not in recorded:
            raise MissingFileError(run_dir / SPLIT_FILE, "the run's data folder (or pass `data`)")
        data_dir = recorded["data"]
    data_dir = Path(data_dir)
    cases = case_list(data_dir, split)
    if not cases:
        raise InputError(
            data_dir / f"{split}.txt", "at least one case to evaluate", "an empty list"
        )
    out_dir = Path(out_dir) if out_dir else run_dir / f"eval-{split}-{checkpoint}"
    result = EvaluationResult(out_dir)
    fitted: dict[str, Any] = {}
    if baseline_data is not None:
        recorded = {**recorded, "data": str(baseline_data), "train": None}
    elif model is not None and (split != "test" or not (data_dir / "train.txt").is_file()):
        baselines = False  # nothing to learn from that is not evaluated
    if baselines:
        # Baselines learn from the run's own training data, whatever data is evaluated.
        train_root = Path(recorded.get("data", data_dir))
        train_cases = recorded.get("train") or read_case_list(train_root / "train.txt")
        fitted = fit_baselines(train_root, train_cases, size, config.evaluate.baseline_bins)
        for name, baseline in fitted.items():
            save_baseline(baseline, out_dir / "baselines" / f"{name}.npz")
    dataset = CaseDataset(data_dir, cases, size, check=True, view_size=predictor.view_size)
    figure_items = []
    started = time.perf_counter()
    if progress is not None:
        progress.start(len(cases))
    for index, name in enumerate(cases):
        item = dataset[index]
        stored = read_case(case_path(data_dir, name))
        cube = stored.ct.shape[0]
        spacing = tuple(s * cube / size for s in (stored.spacing_mm or (1.0, 1.0, 1.0)))
        labels = _labels_on_grid(stored.mask, size)
        real01 = item["ct"][0].numpy()
        x1, x2 = item["xray1"], item["xray2"]
        volume, predicted_labels = predictor.predict_both_batch(x1[None], x2[None])
        predictions = {MODEL: volume[0, 0].cpu().numpy()}
        if predicted_labels is not None:
            predicted_labels = predicted_labels[0].cpu().numpy()
        small = [_on_grid(x, size) for x in (x1, x2)]  # the baselines' views: the cube's grid
        for method, baseline in fitted.items():
            predictions[method] = baseline.predict(*small).astype(np.float32)
        for method, fake01 in predictions.items():
            row, per_vertebra = _case_metrics(real01, fake01, spacing, labels, config)
            if method == MODEL and predicted_labels is not None and labels is not None:
                by_level = level_dice(labels, predicted_labels)
                row["level_Dice"] = float(np.mean(list(by_level.values()))) if by_level else 1.0
                for vertebra, score in by_level.items():
                    per_vertebra.setdefault(vertebra, {})["level_Dice"] = score
            result.rows.append({"case": name, "method": method, **row})
            for vertebra, values in sorted(per_vertebra.items()):
                result.vertebra_rows.append(
                    {"case": name, "method": method, "vertebra": int(vertebra), **values}
                )
        affine = resized_affine(stored.affine, cube, size) if stored.affine is not None else None
        if save_predictions and affine is not None:
            write_prediction(predictions[MODEL], affine, out_dir / "predictions" / f"{name}.nii.gz")
        if clinical and labels is not None and affine is not None:
            from x2ct.inference.clinical import clinical_rows

            truth_json = (stored.attrs.get("source") or {}).get("truth")
            result.clinical_rows += clinical_rows(
                name,
                target_to_hu(real01),
                target_to_hu(predictions[MODEL]),
                labels,
                affine,
                truth_json,
                config,
                predicted_labels,
            )
        if index < figure_cases:
            shown = {
                k: target_to_hu(v) for k, v in predictions.items() if k in (MODEL, "backprojection")
            }
            figure_items.append((name, target_to_hu(real01), shown))
        if progress is not None:
            progress.case(name, "done")
    result.summary = summarise_methods(result.rows, result.vertebra_rows, result.clinical_rows)
    result.summary["settings"] = {
        "run": source,
        "labels": "predicted" if predictor.has_labels else "true",
        "data": str(data_dir.resolve()),
        "split": split,
        "checkpoint": str(checkpoint),
        "cases": len(cases),
        "grid": size,
        "bone_hu": config.evaluate.bone_hu,
        "seconds": round(time.perf_counter() - started, 1),
    }
    result.tables = write_outputs(result, figure_items, config.evaluate.bone_hu)
    write_text(out_dir / "summary.json", json.dumps(result.summary, indent=1, default=float) + "\n")
    return result
