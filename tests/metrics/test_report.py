"""Summaries, Markdown tables and CSV of per-case metrics."""

from __future__ import annotations

import csv
import io
import math

import pytest

from x2ct.metrics import csv_text, format_table, summarise, write_csv


def test_summarise_uses_finite_values_and_counts_the_rest() -> None:
    cases = [
        {"Dice": 1.0, "HD95-mm": math.inf, "per_vertebra": {1: {}}},
        {"Dice": 3.0, "HD95-mm": 2.0},
        {"Dice": 8.0, "HD95-mm": math.nan},
    ]
    summary = summarise(cases)
    assert summary["mean"]["Dice"] == 4.0
    assert summary["median"]["Dice"] == 3.0
    # sample std of 1, 3, 8: deviations -3, -1, 4 -> sqrt(26 / 2)
    assert summary["std"]["Dice"] == pytest.approx(math.sqrt(13.0))
    assert summary["n"]["Dice"] == 3 and summary["nonfinite"]["Dice"] == 0
    assert summary["mean"]["HD95-mm"] == 2.0 and summary["std"]["HD95-mm"] == 0.0
    assert summary["n"]["HD95-mm"] == 1 and summary["nonfinite"]["HD95-mm"] == 2
    assert "per_vertebra" not in summary["mean"]


def test_summarise_all_nonfinite_gives_nan() -> None:
    summary = summarise([{"ASSD-mm": math.inf}])
    assert math.isnan(summary["mean"]["ASSD-mm"]) and summary["nonfinite"]["ASSD-mm"] == 1


def test_format_table_markdown() -> None:
    rows = {
        "x2ct": {"PSNR-3D": 28.4321, "SSIM": 0.468123, "MSE": 24998.7},
        "mean volume": {"PSNR-3D": 100.0, "SSIM": math.nan},
    }
    text = format_table(rows, ["PSNR-3D", "SSIM", "MSE"], title="arm")
    assert text == (
        "| arm | PSNR-3D | SSIM | MSE |\n"
        "|---|---:|---:|---:|\n"
        "| x2ct | 28.43 | 0.4681 | 24999 |\n"
        "| mean volume | 100 | nan | – |\n"
    )


def test_format_table_takes_summarise_output() -> None:
    text = format_table(summarise([{"a": 1.0}, {"a": 2.0}]), title="")
    lines = text.splitlines()
    assert lines[0] == "|  | a |"
    assert lines[2] == "| mean | 1.50 |"
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| mean", "| std", "| median", "| n", "| nonfinite",
    ]  # fmt: skip


def test_csv_round_trip(tmp_path) -> None:
    rows = [{"case": "a", "PSNR": 21.123456789, "HD95": math.inf}, {"case": "b", "PSNR": 1.0}]
    path = write_csv(tmp_path / "cases.csv", rows)
    read = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert read[0] == {"case": "a", "PSNR": "21.123456789", "HD95": "inf"}
    assert read[1]["HD95"] == "" and float(read[1]["PSNR"]) == 1.0
    assert csv_text(rows, ["PSNR"]).splitlines() == ["PSNR", "21.123456789", "1.0"]
