"""Two models on the same hold-out seeds, compared case by case (paired differences).

    python benchmarks/paired.py holdout_spine-cpu.json holdout_OTHER.json [--out NAME]

Each argument is a hold-out record written by ``benchmarks/holdout.py`` (a path, or a file name
in ``benchmarks/results``). For every metric both records hold per case (``per_case_metrics``;
older records only ``per_case_bone_Dice``) it prints the two means over the shared cases, the
mean paired difference (second minus first) and its standard error (sd / sqrt(n)), and says
whether the second is worse by more than ``--se`` standard errors (for HD95, ASSD and MAE
larger is worse). The selection rules of docs/quality.md are written in these terms. Writes
``results/paired_<first>_vs_<second>.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from x2ct.atomic import write_text

RESULTS = Path(__file__).resolve().parent / "results"
LOWER_IS_BETTER = ("HD95-mm", "ASSD-mm", "MAE-HU")


def load(name: str) -> dict:
    path = Path(name)
    if not path.is_file():
        path = RESULTS / name
    return json.loads(path.read_text())


def per_case(record: dict) -> dict[str, dict[str, float]]:
    """{case: {metric: value}} from a hold-out record, old or new."""
    if "per_case_metrics" in record:
        return record["per_case_metrics"]
    return {case: {"Dice": value} for case, value in record["per_case_bone_Dice"].items()}


def compare(first: dict, second: dict, *, se_limit: float) -> list[dict]:
    """One row per metric that both records hold for every shared case."""
    a, b = per_case(first), per_case(second)
    cases = sorted(set(a) & set(b))
    if not cases:
        raise SystemExit(
            f"no case in common: {first['model']} and {second['model']} were not run on the same seeds"
        )
    metrics = [m for m in a[cases[0]] if all(m in a[c] and m in b[c] for c in cases)]
    rows = []
    for metric in metrics:
        diffs = [b[c][metric] - a[c][metric] for c in cases]
        n = len(diffs)
        mean = sum(diffs) / n
        sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else math.nan
        se = sd / math.sqrt(n)
        worse = -mean if metric not in LOWER_IS_BETTER else mean
        rows.append({
            "metric": metric,
            "cases": n,
            "first": sum(a[c][metric] for c in cases) / n,
            "second": sum(b[c][metric] for c in cases) / n,
            "difference": mean,
            "se": se,
            "worse_beyond_limit": bool(worse > se_limit * se),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--se", type=float, default=2.0, help="noise limit in standard errors")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    first, second = load(args.first), load(args.second)
    rows = compare(first, second, se_limit=args.se)
    names = (first["model"], second["model"])
    print(f"{'metric':<14}{names[0]:>28}{names[1]:>28}{'diff':>9}{'SE':>8}  worse > {args.se:g} SE")
    for r in rows:
        print(
            f"{r['metric']:<14}{r['first']:>28.4f}{r['second']:>28.4f}"
            f"{r['difference']:>+9.4f}{r['se']:>8.4f}  {r['worse_beyond_limit']}"
        )
    record = {"benchmark": "paired", "first": names[0], "second": names[1], "se_limit": args.se,
              "rows": rows}  # fmt: skip
    out = args.out or f"paired_{names[0]}_vs_{names[1]}"
    write_text(RESULTS / f"{out}.json", json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
