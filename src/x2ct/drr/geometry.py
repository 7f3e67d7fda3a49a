r"""DRR geometry in millimetres: cone beam and parallel beam, and the detector they imply.

Coordinates are those of the model frame (D, H, W) = (superior -> inferior, anterior ->
posterior, patient right -> left), in mm, with the origin at the centre of the voxel grid; voxel
centres sit at (index - (n - 1) / 2) * spacing.

    frontal (xray1)                           lateral (xray2)
    source (anterior)                         source (patient right)
        *                                         *
       /|\      rays along +H                    /|\      rays along +W
      / | \                                     / | \
     /  o  \    o = isocentre (grid centre)    /  o  \
    /___|___\                                 /___|___\
    detector (posterior)                      detector (patient left)
    rows = D (superior at the top)            rows = D (superior at the top)
    columns = W (patient right on the left)   columns = H (anterior on the left)

The source sits ``sad_mm`` before the isocentre along the ray axis, the detector plane
``sdd_mm`` after the source, perpendicular to that axis and centred on the central ray. An
object at depth a (mm past the isocentre) is magnified by sdd / (sad + a): sdd / sad at the
isocentre. Image pixel (0, 0) is the corner nearest to superior and to the volume's index 0 of
the column axis, so images read like the volume's own axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from x2ct.config.drr import DRRConfig
from x2ct.errors import InputError

VIEWS: tuple[str, str] = ("frontal", "lateral")
"""View names: frontal = xray1 (rays along H), lateral = xray2 (rays along W)."""

VIEW_AXES: dict[str, tuple[int, int]] = {"frontal": (1, 2), "lateral": (2, 1)}
"""View -> (ray axis, column axis) among the volume axes (0 = D, 1 = H, 2 = W); rows are D."""

Pixels = int | tuple[int, int] | None
Spacing = float | tuple[float, float] | None


def _pair(value: int | float | tuple, name: str, kind: type) -> tuple:
    pair = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(pair) != 2 or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in pair
    ):
        raise InputError("DRR geometry", f"{name} as one number or (rows, cols)", repr(value))
    if kind is int and not all(float(v).is_integer() for v in pair):
        raise InputError("DRR geometry", f"whole numbers for {name}", repr(value))
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise InputError("DRR geometry", f"positive {name}", repr(value))
    return tuple(kind(v) for v in pair)


def _check_detector(pixels: Pixels, spacing: Spacing, iso: tuple[float, float, float]) -> None:
    if pixels is not None:
        _pair(pixels, "detector_pixels", int)
    if spacing is not None:
        _pair(spacing, "detector_spacing_mm", float)
    if len(iso) != 3 or not all(math.isfinite(float(v)) for v in iso):
        raise InputError("DRR geometry", "isocenter_mm as 3 finite numbers (D, H, W)", repr(iso))


@dataclass(frozen=True)
class ConeBeam:
    """Point source and flat detector; every length in mm.

    Attributes:
        sad_mm: source-to-isocentre distance.
        sdd_mm: source-to-detector distance (> sad_mm).
        detector_pixels: (rows, cols) or one number for both; None: see ``Detector``.
        detector_spacing_mm: pixel pitch at the detector plane, (rows, cols) or one number.
        isocenter_mm: isocentre relative to the centre of the voxel grid, (D, H, W) mm.
    """

    sad_mm: float = 850.0
    sdd_mm: float = 1000.0
    detector_pixels: Pixels = None
    detector_spacing_mm: Spacing = None
    isocenter_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sad_mm) and math.isfinite(self.sdd_mm) and self.sad_mm > 0):
            raise InputError(
                "DRR geometry", "finite positive sad_mm and sdd_mm", f"{self.sad_mm}, {self.sdd_mm}"
            )
        if self.sdd_mm <= self.sad_mm:
            raise InputError(
                "DRR geometry",
                "sdd_mm > sad_mm (detector beyond the isocentre)",
                f"{self.sdd_mm} <= {self.sad_mm}",
            )
        _check_detector(self.detector_pixels, self.detector_spacing_mm, self.isocenter_mm)

    @property
    def magnification(self) -> float:
        """Magnification of an object at the isocentre: sdd / sad."""
        return self.sdd_mm / self.sad_mm


@dataclass(frozen=True)
class ParallelBeam:
    """Parallel rays along the view axis (source at infinity, no magnification); lengths in mm."""

    detector_pixels: Pixels = None
    detector_spacing_mm: Spacing = None
    isocenter_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        _check_detector(self.detector_pixels, self.detector_spacing_mm, self.isocenter_mm)

    @property
    def magnification(self) -> float:
        """Always 1."""
        return 1.0


Geometry = ConeBeam | ParallelBeam


def isocentre_magnification(config: DRRConfig) -> float:
    """Magnification at the isocentre of the configured beam: sdd / sad, 1 for parallel rays."""
    return config.sdd_mm / config.sad_mm if config.geometry == "cone" else 1.0


def geometry_from_config(
    config: DRRConfig | None = None,
    *,
    pixels: int | None = None,
    field_mm: float | None = None,
    isocenter_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Geometry:
    """The geometry described by the ``drr`` configuration section (default: clinical cone beam).

    Args:
        config: the section (geometry, sad_mm, sdd_mm, detector_pixels, detector_spacing_mm).
        pixels: detector rows = columns, where the section leaves them open.
        field_mm: where the section gives no pitch, the pitch that makes the detector cover
            ``field_mm`` at the isocentre (field * magnification / pixels).
        isocenter_mm: the isocentre from the volume's grid centre, (D, H, W) mm.
    """
    config = config or DRRConfig()
    if config.geometry not in ("cone", "parallel"):
        raise InputError("DRR geometry", "'cone' or 'parallel'", repr(config.geometry))
    pixels = config.detector_pixels or pixels
    pitch = config.detector_spacing_mm
    if pitch is None and field_mm is not None and pixels:
        pitch = field_mm * isocentre_magnification(config) / pixels
    iso = tuple(float(v) for v in isocenter_mm)
    if config.geometry == "parallel":
        return ParallelBeam(pixels, pitch, iso)
    return ConeBeam(config.sad_mm, config.sdd_mm, pixels, pitch, iso)


@dataclass(frozen=True)
class Detector:
    """The detector of one view for one volume: pixel counts and pitch at the detector plane (mm).

    Defaults when the geometry leaves them open (M = magnification at the isocentre):
    - pitch None: the footprint at the isocentre equals the volume's face in this view, i.e.
      rows span the D extent and columns the W (frontal) or H (lateral) extent:
      pitch = extent * M / pixels per axis.
    - pixels None: rows = D voxels, columns = max(H, W) voxels when the pitch is also None (so a
      cube of S voxels gives S x S pixels covering the cube face); with a pitch given, just
      enough pixels to cover the largest face of the volume.
    Both views get the same pixel counts, so their images stack into (V, rows, cols).
    """

    rows: int
    cols: int
    row_pitch_mm: float
    col_pitch_mm: float
    magnification: float

    def centres_mm(self) -> tuple[list[float], list[float]]:
        """Pixel-centre coordinates on the detector relative to the central ray, (rows, cols) mm."""
        rows = [(i - (self.rows - 1) / 2.0) * self.row_pitch_mm for i in range(self.rows)]
        cols = [(j - (self.cols - 1) / 2.0) * self.col_pitch_mm for j in range(self.cols)]
        return rows, cols


def detector_for(
    geometry: Geometry, view: str, shape: tuple[int, int, int], spacing: tuple[float, float, float]
) -> Detector:
    """Resolve the detector of ``view`` for a volume of ``shape`` (D, H, W) and ``spacing`` (mm)."""
    if view not in VIEW_AXES:
        raise InputError("DRR views", f"views among {VIEWS}", repr(view))
    extent = [n * s for n, s in zip(shape, spacing, strict=True)]
    col_axis = VIEW_AXES[view][1]
    mag = geometry.magnification
    if geometry.detector_pixels is not None:
        rows, cols = _pair(geometry.detector_pixels, "detector_pixels", int)
    elif geometry.detector_spacing_mm is None:
        rows, cols = shape[0], max(shape[1], shape[2])
    else:
        row_pitch, col_pitch = _pair(geometry.detector_spacing_mm, "detector_spacing_mm", float)
        rows = math.ceil(extent[0] * mag / row_pitch - 1e-9)
        cols = math.ceil(max(extent[1], extent[2]) * mag / col_pitch - 1e-9)
    if geometry.detector_spacing_mm is None:
        row_pitch, col_pitch = extent[0] * mag / rows, extent[col_axis] * mag / cols
    else:
        row_pitch, col_pitch = _pair(geometry.detector_spacing_mm, "detector_spacing_mm", float)
    return Detector(rows, cols, row_pitch, col_pitch, mag)


def check_source_outside(
    geometry: Geometry,
    shape: tuple[int, int, int],
    spacing: tuple[float, float, float],
    views: tuple[str, ...],
) -> None:
    """Raise InputError when a cone-beam source would sit inside the volume's slab of slices."""
    if not isinstance(geometry, ConeBeam):
        return
    for view in views:
        axis = VIEW_AXES[view][0]
        # The zero-padded interpolant reaches one voxel beyond the last slice centre.
        half = (shape[axis] + 1) / 2.0 * spacing[axis]
        nearest = geometry.sad_mm - geometry.isocenter_mm[axis]
        if nearest <= half:
            raise InputError(
                "DRR geometry",
                f"the {view} source outside the volume (sad_mm > {half + geometry.isocenter_mm[axis]:.1f})",
                f"sad_mm = {geometry.sad_mm:g}",
            )
