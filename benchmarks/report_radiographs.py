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


def trunk() -> list[str]:
    data = load("trunk")
    out = ["## Where the spine lies in the trunk (phantoms against the real CT)", ""]
    if data is None:
        return out + missing("trunk", "benchmarks/trunk.py")

    def cell(values: list[float]) -> str:
        median, low, high = values
        return f"{median:.0f} ({low:.0f} to {high:.0f})"

    keys = ("tip_to_back_mm", "belly_to_tip_mm", "spine_minus_body_mm")
    rows = [
        f"| phantoms, `phantoms.trunk: {name}` | "
        + " | ".join(cell(entry["summary"][k]) for k in keys)
        + " |"
        for name, entry in data["models"].items()
    ]
    real = data["real CT"]
    rows.append(
        "| the real lumbar CT (L1-L5) | " + " | ".join(f"{real[k]:.0f}" for k in keys) + " |"
    )
    return out + [
        f"`benchmarks/trunk.py --n {data['n']}`: phantoms of seed {data['seed']} drawn with the whole "
        "trunk in the field under each trunk model, measured as the real CT is: along the body's depth "
        "through each vertebra's spinous tip (median over the vertebrae), and the vertebrae's centroid "
        "minus the body's (> 0: behind the trunk's middle). Median (5th to 95th percentile), mm. "
        "Sources of the models: [docs/phantoms.md](docs/phantoms.md); figure: "
        "[docs/figures/trunk.png](docs/figures/trunk.png).",
        "",
        "| trunk | spinous tip -> back skin | belly skin -> spinous tip | spine minus body centre |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ]


def robustness() -> list[str]:
    runs = _per_model("robustness")
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
        f"Target: no single perturbation costs more than {target:g}.",
        "",
        *table,
        "",
        *_geometric(runs),
    ]


def _geometric(runs: list[dict[str, Any]]) -> list[str]:
    """Rotation and magnification scored against the truth moved as the views imply."""
    runs = [r for r in runs if r.get("geometric")]
    if not runs:
        return []
    keys = list(runs[0]["geometric"])
    header = " | ".join(f"{_name(r['model'])}: drop / truth moved vs truth" for r in runs)
    rows = [
        f"| {key} | "
        + " | ".join(
            f"{r['geometric'][key]['drop_vs_moved_truth']:.3f} / "
            f"{r['geometric'][key]['moved_truth_vs_truth']:.3f}"
            for r in runs
        )
        + " |"
        for key in keys
    ]
    last = " | ".join(
        f"**{r['largest_drop_truth_moved_alike']:.3f}** "
        f"({'met' if r['target_met_truth_moved_alike'] else 'missed'})"
        for r in runs
    )
    return [
        "Rotation and magnification also move the spine the views show, and no network can tell "
        "a rotated detector from a rotated patient, or a film taken nearer the source from a "
        "larger patient. Scored against the truth moved as the views imply "
        "(`x2ct.xray.perturb.move_volume`), with the bone Dice between the moved and the "
        "unmoved truth (how far apart the two demands are):",
        "",
        f"| perturbation | {header} |",
        "|---|" + "---:|" * len(runs),
        *rows,
        f"| largest drop of any kind, these two scored so | {last} |",
        "",
    ]


def _per_model(benchmark: str) -> list[dict[str, Any]]:
    """Every ``<benchmark>_<model>.json`` result, shipped models first (``_order``)."""
    runs = [load(p.stem) for p in sorted(RESULTS.glob(f"{benchmark}_*.json"))]
    return sorted((r for r in runs if r), key=lambda r: _order(r["model"]))


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


def _trunk(run: dict[str, Any]) -> str:
    """How the phantoms' trunk and scan were drawn, when not as ``x2ct phantoms`` draws them."""
    trunk = run.get("trunk", "uniform")
    text = "" if trunk == "uniform" else f", phantoms.trunk {trunk}"
    scan = run.get("scan_mm")
    return text + ("" if scan is None else f", phantoms.scan_mm {scan[0]:g}-{scan[1]:g}")


def films() -> list[str]:
    runs = _per_model("films")
    out = ["## Whole films: the spine's field found, and what it costs", ""]
    if not runs:
        return out + missing("films", "benchmarks/films.py --models NAME ...")

    def err(run: dict[str, Any], key: str) -> str:
        phantoms, real = run["summary"]["phantoms"][key], run["summary"]["real CT"].get(key)
        real_text = "–" if real is None else f"{abs(real):.1f}"
        return f"{phantoms['median_abs']:.1f} / {phantoms['max_abs']:.1f} / {real_text}"

    def dice(run: dict[str, Any], key: str) -> str:
        real = run["summary"]["real CT"].get(key)
        return f"{run['summary']['phantoms'][key]['mean']:.3f} / " + (
            "–" if real is None else f"{real:.3f}"
        )

    rows = [
        f"| {_name(r['model'])}{_trunk(r)} | {err(r, 'frontal_col_error_mm')} | "
        f"{err(r, 'lateral_col_error_mm')} | {err(r, 'lateral_col_error_recentred_mm')} | "
        f"{dice(r, 'bone_Dice_known')} | {dice(r, 'bone_Dice_found')} | "
        f"{dice(r, 'bone_Dice_recentred')} | {r['summary']['swapped pairs refused']} |"
        for r in runs
    ]
    first = runs[0]
    return out + [
        f"`benchmarks/films.py --models NAME ... --n {first['drawn']}`: {first['drawn']} "
        f"phantoms with the whole trunk in the field (seed {first['seed']}; {first['phantoms']} "
        "of them scored, the others' films refused, listed in the JSON) and the real lumbar CT, "
        f"rendered as {first['film_mm'][0]:.0f} x {first['film_mm'][1]:.0f} mm films at "
        f"{first['pitch_mm']:g} mm pixels with each model's own DRR settings, the central ray aimed "
        f"up to {first['aim_error_mm']:g} mm off the body's middle. `x2ct reconstruct` finds the "
        "model's field on each film; errors are the distance (mm at the isocentre) of the field's "
        "centre from the projected centre of the labelled vertebrae, as median / largest over the "
        "phantoms / the real CT. Bone Dice is scored against the CT resampled in the cube the "
        "fields imply (phantoms' mean / the real CT), for fields centred on the known spine, as "
        "found, and with the lateral field moved onto the spine of a first reconstruction "
        "(`--recentre`, the default).",
        "",
        "| model | frontal error (mm) | lateral error, body centre (mm) | lateral error, recentred (mm) "
        "| bone Dice, known centres | bone Dice, found | bone Dice, recentred | swapped pairs refused |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
