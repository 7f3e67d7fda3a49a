"""Settings of the synthetic spine CT generator (section ``phantoms``).

Every per-case choice (spacing, levels, size, density, curves, fractures, ...) is drawn from the
ranges below with the case seed, so a (seed, config) pair always gives the same phantom. The module
imports nothing heavy, as every config module of x2ct.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhantomConfig:
    """How phantoms are drawn; every per-case choice is sampled from these ranges with the seed."""

    matrix: int = 256
    """In-plane voxels of the volume (H and W of the model frame)."""
    slices: int | None = None
    """Slices (D); None = enough to cover the chosen levels plus a margin of part of a level."""
    scan_mm: tuple[float, float] | None = None
    """Range of the scan's length along D (mm), drawn per case; None = the run plus margins.

    A longer scan holds the run at a random height and draws every level it reaches (the run's
    neighbours labelled as without it, the levels beyond them as unlabelled bone, as in a
    dataset that labels only some levels), so that the trunk fills a radiograph's field instead
    of ending inside it. Not together with ``slices``."""
    scan_probability: float = 1.0
    """Probability that a case gets a scan of ``scan_mm`` (drawn per case, after the scan's
    length); the others end 4-25 mm beyond the run as without ``scan_mm``. Below 1, a training
    set holds scans that fill the field and scans that end inside it."""
    scan_inplane_spacing_mm: tuple[float, float] | None = None
    """Range of the in-plane pixel size (mm) of the cases with a scan of ``scan_mm`` (a patient's
    whole width, as a scan that fills the field shows it); None = ``inplane_spacing_mm``."""
    inplane_spacing_mm: tuple[float, float] = (0.6, 1.0)
    """Range of the in-plane pixel size (mm); a 256 matrix then covers 154-256 mm around the spine."""
    slice_spacing_mm: tuple[float, float] = (1.0, 2.5)
    """Range of the slice spacing (mm); common scanner values inside it are preferred."""
    levels: tuple[int, int] = (4, 7)
    """Range of the number of complete vertebrae per case (a contiguous run within T1..L5)."""
    lumbar_bias: float = 0.8
    """Probability that the run of levels ends at L5 (abdominal CT); otherwise it ends higher."""
    last_level: str | None = None
    """Force the lowest complete level (e.g. 'L5', 'T12'); None = sampled with ``lumbar_bias``."""
    size_variation: float = 0.15
    """Half-width of the uniform patient scale factor on vertebral dimensions (0.15 = +/-15 %)."""
    level_jitter: float = 0.03
    """Relative standard deviation of each dimension per level around the scaled reference."""
    bone_density: str = "uniform"
    """How cancellous bone density is drawn: 'uniform' (150-300 HU, or 60-120 HU for an
    osteoporotic case) or 'age' (an adult CT population's age and the normative L1 attenuation
    for it, Jang 2019; x2ct.phantoms.density)."""
    trunk: str = "uniform"
    """How the trunk around the spine is drawn: 'uniform' (depth 190-270 mm with the patient's
    size, 35-55 mm of back muscle plus fat behind the spinous tips) or 'population' (the
    sagittal abdominal diameter of US adults, Kahn 2014, and only the subcutaneous fat behind
    the tips; x2ct.phantoms.trunk) or 'mixed' (each case one of the two, even odds)."""
    osteoporosis_probability: float = 0.2
    """Probability of an osteoporotic case (cancellous bone drawn at 60-120 HU instead of 150-300);
    'uniform' density only (with 'age', a case below 110 HU is osteoporotic)."""
    fracture_probability: float = 0.15
    """Probability that a case has a wedge compression fracture (osteoporotic cases: doubled)."""
    fracture_height_loss: tuple[float, float] = (0.2, 0.4)
    """Range of the anterior body height loss of a wedge fracture (fraction, Genant grade 1-2)."""
    scoliosis_probability: float = 0.25
    """Probability of a scoliotic case (one or two coronal curves)."""
    min_cobb_deg: float = 10.0
    """Smallest Cobb angle of a scoliotic case (degrees; Cobb >= 10 defines scoliosis)."""
    max_cobb_deg: float = 45.0
    """Largest Cobb angle of a scoliotic case (degrees)."""
    cobb_deg: float | None = None
    """Force the Cobb angle of the major curve of every case (degrees, 0 = straight); None = sampled.

    A joint carries at most 12 degrees of curve, so a large angle lengthens a short run."""
    rotation_per_cobb: tuple[float, float] = (0.2, 0.35)
    """Apical axial rotation of a scoliotic curve as a fraction of its Cobb angle."""
    lordosis_deg: tuple[float, float] = (20.0, 55.0)
    """Range of the lumbar lordosis L1-S1 (degrees, supine CT is flatter than standing)."""
    kyphosis_deg: tuple[float, float] = (20.0, 50.0)
    """Range of the thoracic kyphosis T1-T12 (degrees)."""
    degenerated_disc_probability: float = 0.2
    """Probability per disc of degeneration (height 55-80 %, sometimes a vacuum phenomenon)."""
    table_probability: float = 0.5
    """Probability that the CT table is in the field of view."""
    ribs: bool = True
    """Draw ribs at thoracic levels."""
    pelvis: bool = False
    """Draw the pelvis and the femoral heads below a drawn sacrum (unlabelled bone)."""
    margin_below_mm: tuple[float, float] = (4.0, 25.0)
    """Range of the extra field of view below the run of levels (mm); 4-25 mm above it."""
    organs: bool = True
    """Draw organs (lungs, liver, kidneys, vessels, bowel); False leaves a uniform soft tissue."""
    noise_hu: float = 20.0
    """Typical standard deviation of the CT noise (HU); each case scales it by 0.6-1.4."""
    blur_mm: float = 0.6
    """Standard deviation of the Gaussian point-spread (partial-volume) blur in plane (mm)."""
