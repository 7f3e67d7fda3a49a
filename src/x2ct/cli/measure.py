"""``x2ct measure``: clinical measures of the vertebrae of a volume -> CSV, JSON and a figure."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import console, reports_errors


def read_input_volume(path: Path, labels: bool = False):
    """A NIfTI / DICOM volume, or a prepared HDF5 cube (``ct`` in HU + 1024, or its ``mask``)."""
    if path.suffix in (".h5", ".hdf5"):
        from x2ct.data.hdf5 import case_volume

        return case_volume(path, labels=labels)
    from x2ct.io import read_volume

    return read_volume(path)


RECONSTRUCTED_VOLUME = "volume.nii.gz"
PREDICTED_LABELS = "labels.nii.gz"
"""The files ``x2ct reconstruct`` writes: the HU volume and, for a model with a level head, its
vertebra labels beside it."""


@reports_errors
def measure(
    volume: Path = typer.Argument(
        ..., help="CT or reconstruction: NIfTI, DICOM folder or .h5 cube."
    ),
    labels: Path = typer.Option(
        None,
        "--labels",
        help="Vertebra label map on the same grid (NIfTI, DICOM, or .h5 mask); default for a"
        " reconstruction: the labels.nii.gz the model predicted beside it.",
    ),
    out: Path = typer.Option(Path("measures"), "--out", help="Output folder."),
    spine_labels: str = typer.Option(
        "ctspine1k",
        "--spine-labels",
        help="Label numbering: ctspine1k, verse, totalseg-v1, totalseg-v2 or ids like 20-24.",
    ),
    lowest_level: str = typer.Option(
        None, "--lowest-level", help="Without labels: name of the lowest vertebra found (e.g. L5)."
    ),
    config: str = typer.Option(
        None, "--config", help="Preset name or YAML file whose 'measure' section is used."
    ),
    overrides: list[str] = typer.Option(
        None, "--set", help="Override a setting, e.g. --set measure.bone_hu=180 (repeatable)."
    ),
) -> None:
    """Vertebral body heights, endplate tilts, wedge angles, Genant grades, Cobb and lordosis.

    Writes OUT/measures.csv (one row per vertebra), OUT/measures.json (everything) and
    OUT/measures.png (endplates and angles on coronal and sagittal views).
    """
    import dataclasses

    from x2ct.config import ProjectConfig, apply_overrides, load_config
    from x2ct.measures import measure_volume
    from x2ct.measures.output import summary_lines, write_measures
    from x2ct.prepare.labels import check_integer_labels, resolve, to_common_ids

    project = load_config(config) if config else ProjectConfig()
    project = apply_overrides(project, tuple(overrides or ()))
    settings = project.measure
    if lowest_level:
        settings = dataclasses.replace(settings, lowest_level=lowest_level)
    ct = read_input_volume(volume)
    label_volume = None
    predicted = volume.parent / PREDICTED_LABELS
    if labels is None and volume.name == RECONSTRUCTED_VOLUME and predicted.is_file():
        # A reconstruction whose model predicted vertebra labels: measure with them.
        labels = predicted
        console.print(f"using the model's vertebra labels {predicted}", highlight=False)
    if labels is not None:
        label_volume = read_input_volume(labels, labels=True)
        check_integer_labels(label_volume.array, str(labels))
        preset, ids = resolve(spine_labels, "ctspine1k")
        label_volume = label_volume.with_array(to_common_ids(label_volume.array, preset, ids))
    result = measure_volume(ct, label_volume, settings)
    write_measures(ct, result, out, dpi=settings.figure_dpi)
    for line in summary_lines(result):
        console.print(line, highlight=False)
    console.print(f"wrote {out}/measures.csv, measures.json, measures.png", highlight=False)
