"""Finding the cases of a dataset folder: CTSpine1K, VerSe, TotalSegmentator, x2ct phantoms, CSV.

Each case pairs a CT with its vertebra label file. A CT without labels (or labels without a CT)
is still listed, with the missing side set to None, so that the pipeline can report it as a
failed case instead of silently dropping it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from x2ct.errors import InputError, MissingFileError

LAYOUTS = ("auto", "ctspine1k", "verse", "totalseg", "phantoms", "csv")
TOTALSEG_LABEL_NAMES = ("labels", "segmentations", "segmentation", "seg", "totalseg", "mask")
VERSE_CT = "_ct.nii.gz"
VERSE_SEG = "_seg-vert_msk.nii.gz"


@dataclass(frozen=True)
class CaseSource:
    """Input files of one case; ``group`` is the patient (split unit)."""

    name: str
    ct: Path | None
    labels: Path | None
    group: str
    truth: Path | None = None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _nifti_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith((".nii.gz", ".nii")))


def detect_layout(src: Path) -> str:
    """Guess the layout of ``src`` (see module docstring)."""
    if src.is_file() and src.suffix.lower() == ".csv":
        return "csv"
    if not src.is_dir():
        raise InputError(src, "a dataset folder or a CSV file", "neither")
    if (src / "volumes").is_dir() and (src / "labels").is_dir():
        return "phantoms" if (src / "truth").is_dir() else "ctspine1k"
    if any(src.rglob(f"*{VERSE_CT}")):
        return "verse"
    if any(src.rglob("ct.nii.gz")) or any(src.rglob("ct.nii")):
        return "totalseg"
    raise InputError(
        src,
        "a dataset layout: volumes/ + labels/ (CTSpine1K, phantoms), *_ct.nii.gz (VerSe), "
        "<case>/ct.nii.gz (TotalSegmentator) or a CSV",
        "none of these",
    )


def _pair(cts: dict[str, Path], labels: dict[str, Path], group=None) -> list[CaseSource]:
    names = sorted(set(cts) | set(labels))
    return [CaseSource(n, cts.get(n), labels.get(n), group(n) if group else n) for n in names]


def _ctspine1k(src: Path) -> list[CaseSource]:
    cts = {_stem(p): p for p in _nifti_files(src / "volumes")}
    labels = {}
    for path in _nifti_files(src / "labels"):
        stem = _stem(path)
        labels[stem[:-4] if stem.endswith("_seg") else stem] = path
    return _pair(cts, labels)


def _phantoms(src: Path) -> list[CaseSource]:
    cases = []
    for case in _ctspine1k(src):
        truth = src / "truth" / f"{case.name}.json"
        cases.append(
            CaseSource(
                case.name, case.ct, case.labels, case.group, truth if truth.is_file() else None
            )
        )
    return cases


def _verse(src: Path) -> list[CaseSource]:
    cts = {p.name[: -len(VERSE_CT)]: p for p in sorted(src.rglob(f"*{VERSE_CT}"))}
    labels = {p.name[: -len(VERSE_SEG)]: p for p in sorted(src.rglob(f"*{VERSE_SEG}"))}

    def subject(name: str) -> str:
        match = re.match(r"(sub-[^_]+)", name)
        return match.group(1) if match else name

    return _pair(cts, labels, subject)


def _totalseg(src: Path) -> list[CaseSource]:
    cases = []
    for ct in sorted(list(src.rglob("ct.nii.gz")) + list(src.rglob("ct.nii"))):
        folder = ct.parent
        name = "_".join(folder.relative_to(src).parts) or folder.name
        others = [p for p in _nifti_files(folder) if p.parent == folder and p != ct]
        named = [p for p in others if _stem(p) in TOTALSEG_LABEL_NAMES]
        labels = named[0] if named else (others[0] if len(others) == 1 else None)
        cases.append(CaseSource(name, ct, labels, name))
    return cases


def _csv(src: Path) -> list[CaseSource]:
    with src.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        if not {"case", "ct", "labels"} <= columns:
            raise InputError(
                src, "CSV columns case, ct, labels", ", ".join(sorted(columns)) or "none"
            )
        cases = []
        for row in reader:

            def resolve(value: str) -> Path | None:
                value = (value or "").strip()
                return None if not value else (src.parent / value).resolve()

            group = row.get("group") or row.get("patient") or row["case"]
            cases.append(
                CaseSource(row["case"].strip(), resolve(row["ct"]), resolve(row["labels"]), group)
            )
    return cases


def discover(
    src: str | Path, layout: str = "auto", group_pattern: str | None = None
) -> tuple[str, list[CaseSource]]:
    """List the cases of a dataset; returns (layout used, cases sorted by name).

    ``group_pattern``: a regular expression whose first group (or whole match) extracts the
    patient id from a case name, so that scans of one patient stay on one side of the split.
    """
    src = Path(src)
    if not src.exists():
        raise MissingFileError(src, "a dataset folder or CSV file")
    if layout not in LAYOUTS:
        raise InputError("`layout`", f"one of {', '.join(LAYOUTS)}", repr(layout))
    if layout == "auto":
        layout = detect_layout(src)
    finder = {
        "ctspine1k": _ctspine1k,
        "phantoms": _phantoms,
        "verse": _verse,
        "totalseg": _totalseg,
        "csv": _csv,
    }
    cases = finder[layout](src)
    if not cases:
        raise InputError(src, f"cases in the {layout} layout", "no CT or label files")
    if group_pattern:
        pattern = re.compile(group_pattern)
        regrouped = []
        for case in cases:
            match = pattern.search(case.name)
            group = (match.group(1) if match.groups() else match.group(0)) if match else case.name
            regrouped.append(CaseSource(case.name, case.ct, case.labels, group, case.truth))
        cases = regrouped
    return layout, sorted(cases, key=lambda c: c.name)
