"""``x2ct reconstruct``: two radiographs + a shipped model or a run -> NIfTI, STL and a figure."""

from __future__ import annotations

from pathlib import Path

import typer

from x2ct.cli.common import console, reports_errors
from x2ct.cli.evaluate import parse_checkpoint
from x2ct.errors import InputError


@reports_errors
def reconstruct(
    frontal: Path = typer.Option(
        ...,
        "--frontal",
        help="Frontal (AP or PA) radiograph: PNG/JPEG/TIFF or DICOM. Turned as its DICOM Patient "
        "Orientation says, else taken with the patient's right on the image left.",
    ),
    lateral: Path = typer.Option(
        ...,
        "--lateral",
        help="Lateral radiograph: PNG/JPEG/TIFF or DICOM. Turned as its DICOM Patient "
        "Orientation says, else taken with anterior on the image left.",
    ),
    run: Path = typer.Option(
        None, "--run", help="Run folder written by x2ct train (instead of a shipped model)."
    ),
    model: str = typer.Option(
        "default",
        "--model",
        help="Shipped model name (x2ct models lists them), 'default', or a model folder.",
    ),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    checkpoint: str = typer.Option("best", help="best, last or an epoch number."),
    mesh: bool = typer.Option(False, "--mesh", help="Also write the bone surface as STL (mm)."),
    level: float = typer.Option(
        None, "--level", help="Bone level in HU for the mesh (default: evaluate.bone_hu)."
    ),
    truth: Path = typer.Option(
        None,
        "--truth",
        help="Ground truth: a prepared case (.h5) or a CT of the same cube; shown beside.",
    ),
    intensity: str = typer.Option(
        None, help="keep, minmax or percentile (default: keep for 8-bit images without pixel size)."
    ),
    pixel_spacing: float = typer.Option(
        None, "--pixel-spacing", help="Detector pixel size in mm when the files do not state it."
    ),
    measure: bool = typer.Option(
        False,
        "--measure",
        help="Also measure body heights, wedge and Cobb angles of the reconstruction.",
    ),
    lowest_level: str = typer.Option(
        None, "--lowest-level", help="With --measure: name of the lowest vertebra shown (e.g. L5)."
    ),
    center_frontal: str = typer.Option(
        None,
        "--center-frontal",
        help="ROW,COL (pixels) of the spine field's centre on the frontal image (default: found).",
    ),
    center_lateral: str = typer.Option(
        None,
        "--center-lateral",
        help="ROW,COL (pixels) of the spine field's centre on the lateral image (default: found).",
    ),
    field_mm: float = typer.Option(
        None,
        "--field",
        help="Side in mm on the image of the square cut around the spine (default: the model's "
        "field times its magnification).",
    ),
    frontal_orientation: str = typer.Option(
        None,
        "--frontal-orientation",
        help="Patient directions along the frontal image's rows and down its columns, as DICOM "
        "Patient Orientation letters (e.g. R,F for a film with the patient's left on the image "
        "left); overrides the file's.",
    ),
    lateral_orientation: str = typer.Option(
        None,
        "--lateral-orientation",
        help="The same for the lateral image (e.g. A,F for anterior on the image right).",
    ),
    recentre: bool = typer.Option(
        True,
        "--recentre/--no-recentre",
        help="Move a lateral field found at the body's middle onto the spine of a first "
        "reconstruction, and reconstruct again.",
    ),
    device: str = typer.Option("cpu", help="cpu or cuda."),
) -> None:
    """Reconstruct a CT-like volume of the spine from a frontal and a lateral radiograph."""
    from x2ct.inference.reconstruct import reconstruct as run_reconstruction

    result = run_reconstruction(
        frontal,
        lateral,
        out,
        run_dir=run,
        model=None if run is not None else model,
        checkpoint=parse_checkpoint(checkpoint),
        mesh=mesh,
        level=level,
        truth=truth,
        intensity=intensity,
        pixel_spacing_mm=pixel_spacing,
        device=device,
        measure=measure,
        lowest_level=lowest_level,
        centers=(
            parse_center(center_frontal, "--center-frontal"),
            parse_center(center_lateral, "--center-lateral"),
        ),
        side_mm=field_mm,
        orientations=(frontal_orientation, lateral_orientation),
        recentre=recentre,
    )
    for line in result.turned:
        console.print(f"turned  {line}", highlight=False)
    if result.crops is not None:
        console.print(
            f"crops   {result.crops}  (the field cut from each radiograph)", highlight=False
        )
    console.print(f"volume  {result.volume}  ({result.voxel_mm:.3g} mm voxels)", highlight=False)
    if result.mesh is not None:
        console.print(
            f"mesh    {result.mesh}  (watertight: {result.mesh_watertight})", highlight=False
        )
    if result.labels is not None:
        console.print(f"labels  {result.labels}  (vertebra levels)", highlight=False)
    console.print(f"figure  {result.figure}", highlight=False)
    if result.measures is not None:
        for line in result.measures.summary:
            console.print(f"measure {line}", highlight=False)
    if result.metrics is not None:
        m = result.metrics
        console.print(
            f"against the truth: PSNR-3D {m['PSNR-3D']:.2f} dB (Table 1), MAE {m['MAE-HU']:.1f} HU,"
            f" bone Dice {m['Dice']:.3f}, HD95 {m['HD95-mm']:.2f} mm",
            highlight=False,
        )


def parse_center(text: str | None, flag: str) -> tuple[float, float] | None:
    """'ROW,COL' -> (row, col) pixels; None stays None."""
    if text is None:
        return None
    parts = text.replace(" ", "").split(",")
    try:
        row, col = (float(p) for p in parts)
    except ValueError:
        raise InputError(flag, "ROW,COL in pixels, e.g. 1200,850", repr(text)) from None
    return row, col
