"""What defines one phantom: the per-case parameters ``sample_case`` draws from a seed.

Dimensions in mm, densities in HU, angles in degrees; levels are named T1..L5 (``anatomy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from x2ct.config.phantoms import PhantomConfig
from x2ct.phantoms.anatomy import LevelAnatomy


@dataclass(frozen=True)
class VertebraSpec:
    """One vertebra's drawn dimensions (mm), density (HU) and condition."""

    level: str
    label: int
    anatomy: LevelAnatomy
    """Dimensions after the case scale and per-level jitter."""
    concavity_superior: float
    concavity_inferior: float
    fracture_loss: float
    """Anterior height loss of a wedge fracture as a fraction of the anterior height (0 = none)."""
    cancellous_hu: float
    cortical_hu: float
    cortical_mm: float
    texture_offset: tuple[int, int, int]


@dataclass(frozen=True)
class DiscSpec:
    """The disc below ``upper`` (``lower`` is the next level, or 'S1')."""

    upper: str
    lower: str
    height: float
    """Middle height (mm) between the endplate surfaces at the centre, concavities included."""
    degenerated: bool
    vacuum: bool
    hu: float


@dataclass(frozen=True)
class CurveSpec:
    """One coronal curve between end vertebrae ``top`` and ``bottom`` (level names)."""

    top: str
    bottom: str
    cobb_deg: float
    convex_left: bool


@dataclass(frozen=True)
class CaseSpec:
    """Everything that defines one phantom; see ``sample_case``."""

    seed: int
    config: PhantomConfig
    spacing: tuple[float, float, float]
    """Voxel size (mm) along D, H, W of the model frame."""
    run: tuple[str, ...]
    """Complete levels, superior to inferior."""
    drawn: tuple[str, ...]
    """Levels drawn: the run and one partial neighbour above and below where they exist."""
    sacrum: bool
    pelvis: bool
    """Hip bones and femoral heads drawn (with the sacrum, when ``config.pelvis``)."""
    vertebrae: dict[str, VertebraSpec]
    """Every level T1..L5 (the drawn ones are used)."""
    discs: dict[str, DiscSpec]
    """Keyed by the upper level, T1..L5 (L5 = the L5/S1 disc)."""
    size_factor: float
    osteoporotic: bool
    lordosis_deg: float
    kyphosis_deg: float
    sacral_slope_deg: float
    cobb_requested_deg: float
    curves: tuple[CurveSpec, ...]
    rotation_per_cobb: float
    patient_pose_deg: tuple[float, float, float]
    """(axial roll, sagittal pitch, coronal yaw) of the whole patient, degrees."""
    fov_offset_mm: tuple[float, float]
    """Offset (posterior, left) of the field-of-view centre from the spinal canal, mm."""
    margins_mm: tuple[float, float]
    """Extra field of view above and below the run, mm."""
    world_centre_mm: tuple[float, float, float]
    """RAS position (mm) of the centre of the field of view (table position, patient offset)."""
    body: dict[str, float] = field(default_factory=dict)
    """Patient outline and soft tissue parameters (mm, HU)."""
    table: bool = False
    noise_hu: float = 20.0
    blur_mm: float = 0.6
    texture_seed: int = 0
    noise_seed: int = 0
    tissue_seed: int = 0
    trunk: str = "uniform"
    """The trunk model the case was drawn with: 'uniform' or 'population' (x2ct.phantoms.trunk)."""
    scan_mm: float | None = None
    """The scan's length along D (mm) with ``config.scan_mm``; None = the run plus ``margins_mm``."""
    scan_above: float = 0.5
    """Share of the scan's length beyond the run that lies above it (with ``scan_mm``)."""
    labelled: tuple[str, ...] | None = None
    """Drawn levels that carry a label; None = all of ``drawn`` (a long scan draws unlabelled
    levels beyond the run's neighbours)."""

    @property
    def labelled_levels(self) -> tuple[str, ...]:
        """The drawn levels written to the label volume, superior to inferior."""
        return self.drawn if self.labelled is None else self.labelled
