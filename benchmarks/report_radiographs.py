"""BENCHMARKS.md sections on radiograph realism, robustness and the web page (see ``report.py``)."""

from __future__ import annotations

from typing import Any

from report_io import RESULTS, load, missing


def realism() -> list[str]:
    data = load("drr_realism")
    out = ["## How radiograph-like the DRRs are (real CT)", ""]
    if data is None:
        return out + missing("drr_realism", "benchmarks/drr_realism.py")
    rows = [
        f"| {name} | {r['frontal']['contrast']:.3f} | {r['frontal']['CNR']:.1f} | "
        f"{r['frontal']['edge_10_90_mm']:.1f} | {r['lateral']['contrast']:.3f} | {r['lateral']['CNR']:.1f} |"
        for name, r in data["settings"].items()
    ]
    return out + [
        "`benchmarks/drr_realism.py`: the repository's real lumbar CT prepared with 256-pixel views under "
        "each DRR setting; vertebral-body contrast against the paraspinal soft tissue, a contrast-to-noise "
        "ratio (noise plus fine anatomy in the denominator) and the 10-90 % width of the vertebral body's "
        "side edge. Method and discussion: [docs/drr.md](docs/drr.md#measured-on-the-real-ct). "
        f"Reference: {data['reference']}.",
        "",
        "| setting | frontal contrast | frontal CNR | frontal edge 10-90 % (mm) | lateral contrast | lateral CNR |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]


def robustness() -> list[str]:
    runs = [load(p.stem) for p in sorted(RESULTS.glob("robustness_*.json"))]
    runs = sorted((r for r in runs if r), key=lambda r: _order(r["model"]))
    out = ["## Robustness of the models to how radiographs differ", ""]
    if not runs:
        return out + missing("robustness", "benchmarks/robustness.py --model NAME")
    target = runs[0]["target_drop_at_most"]
    kinds = [k.rsplit(" ", 1)[0] for k in runs[0]["rows"] if k.endswith(" 1")]

    def cell(rows: dict[str, Any], kind: str) -> str:
        drops = [rows[f"{kind} {s:g}"]["drop"] for s in runs[0]["strengths"]]
        return " / ".join(f"{d:.3f}" for d in drops) + (" (over)" if max(drops) > target else "")

    table = [
        "| perturbation | "
        + " | ".join(f"{_name(r['model'])}: drop at 0.5 / 1" for r in runs)
        + " |",
        "|---|" + "---:|" * len(runs),
        "| (clean bone Dice) | "
        + " | ".join(f"{r['rows']['clean']['bone_Dice']:.3f}" for r in runs)
        + " |",
        *(
            f"| {kind} | " + " | ".join(cell(r["rows"], kind) for r in runs) + " |"
            for kind in kinds
        ),
        "| largest drop | "
        + " | ".join(
            f"**{r['largest_drop']:.3f}** ({'met' if r['target_met'] else 'missed'})" for r in runs
        )
        + " |",
    ]
    return out + [
        f"`benchmarks/robustness.py --model NAME --n {runs[0]['cases']}`: bone Dice lost on "
        f"{runs[0]['cases']} held-out phantoms (seed {runs[0]['seed']}) when both views are changed one way "
        "at a time (`x2ct.xray.perturb`, strengths 0.5 and 1). "
        f"Target: no single perturbation costs more than {target:g}. Rotation and magnification change the "
        "spine the views show while the truth stays put, so their rows bound what the model's sensitivity "
        "costs from above (docs/quality.md).",
        "",
        *table,
        "",
    ]


def _order(model: str) -> tuple[int, str]:
    """Shipped models first, in their listed order, then the others by name."""
    from x2ct.models.folder import shipped_names

    names = shipped_names()
    return (names.index(model), "") if model in names else (len(names), model)


def _name(model: str) -> str:
    """The model's name, marked when it is not one of the shipped models."""
    from x2ct.models.folder import shipped_names

    return model if model in shipped_names() else f"{model} (trained, not shipped)"


def app_speed() -> list[str]:
    data = load("app_speed")
    out = ["## Web page: one reconstruction", ""]
    if data is None:
        return out + missing("app_speed", "benchmarks/app_speed.py")
    rows = [
        f"| {r['model']} | {r['example']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['network_s']:.2f} | "
        f"{r['request_to_network']:.0f}x |"
        for r in data["rows"]
    ]
    return out + [
        f"`benchmarks/app_speed.py --repeats {data['repeats']}`: the page's call (`reconstruct_request`: model "
        "read, network, NIfTI, STL, measures, scores against the truth, figures) per shipped model and bundled "
        f"example, after one warm-up per model; medians; {data['torch_threads']} threads. The baseline, in the "
        "same process, is the network's forward pass alone on the same views. Target (issue 15): under "
        f"{data['target_s']:g} s after the model is loaded.",
        "",
        "| model | example | wall s | CPU s | network alone s | request / network |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Slowest median {data['slowest_median_s']:.2f} s: target **{'met' if data['target_met'] else 'missed'}**. "
        "The clinical measures, the surface and the figures take most of the time; see "
        "[docs/app.md](docs/app.md#speed).",
        "",
    ]
