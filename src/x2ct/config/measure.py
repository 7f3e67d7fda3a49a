"""Settings of the clinical measures (section ``measure``).

Light module: only dataclasses, as every config module of x2ct (see CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureConfig:
    """How vertebrae are separated and how their bodies, endplates and angles are measured."""

    bone_hu: float = 200.0
    """Bone threshold (HU) of the label-free path: above muscle and contrast-free vessels,
    below the blurred cortical shell, so that the shell encloses each vertebral body."""

    close_mm: float = 1.5
    """Label-free path: radius (mm, at least one voxel) of the closing of each axial bone
    slice that seals small gaps of a blurred cortex before the cores are filled."""

    hole_hu: float = 100.0
    """Label-free path: the holes of an axial bone slice are filled where the smoothed CT is
    above this HU (a normal cancellous core, 150-300 HU), not below (the canal, ~0-70 HU);
    darker cores (osteoporotic, 60-120 HU) are filled only where the cortex closes them in 3D."""

    hole_smooth_mm: float = 1.5
    """Gaussian sigma (mm) of the CT that ``hole_hu`` is compared with (averages the
    trabecular texture)."""

    smooth_mm: float = 0.7
    """Gaussian sigma (mm) applied to the CT before thresholding, against noise."""

    work_mm: float = 2.0
    """Voxel size (mm) of the isotropic working grid on which the column is found without
    labels (finer inputs are resampled to it; coarser ones are used as they are)."""

    core_radius_mm: float = 8.0
    """Radius (mm) of the per-slice opening that keeps vertebral bodies and drops thinner bone
    (ribs, pedicles up to 16 mm wide, processes, laminae) when the column is searched without
    labels."""

    min_body_mm3: float = 3000.0
    """Smallest volume (mm^3) of an opened bone blob that may be a vertebral body."""

    max_body_mm3: float = 50000.0
    """Largest volume (mm^3) a blob counts with when the column is chosen (an L5 body of a
    large patient): a blob of sacrum and other bone does not outweigh a chain of bodies."""

    max_step_mm: float = 60.0
    """Largest distance (mm) along the column between two consecutive bodies of the chain
    (centre to centre; a gap of up to this less 20 mm between them)."""

    max_offset_mm: float = 25.0
    """Largest sideways offset (mm, across the column) between the bottom of a body and the top
    of the next one in the chain."""

    profile_radius_mm: float = 9.0
    """Radius (mm) of the cross-section around the centre curve whose bone fraction makes the
    profile along the column; its minima are the discs."""

    min_pitch_mm: float = 13.0
    """Smallest distance (mm) between two disc minima (a T1 body plus its disc is ~18 mm)."""

    min_prominence: float = 0.35
    """Smallest depth of a disc minimum of the bone-fraction profile (fraction 0..1)."""

    sacrum_width_ratio: float = 1.45
    """Label-free path: the lowest body is taken as the sacrum (and dropped) when its bone
    reaches this many times the median body width laterally (the sacral alae)."""

    lowest_level: str | None = None
    """Label-free path: name of the lowest vertebra found (e.g. 'L5'), so that levels get their
    anatomical names; None numbers them V1, V2, ... from superior to inferior."""

    midsagittal_half_mm: float = 5.0
    """Half-thickness (mm) of the mid-sagittal slab whose anterior-posterior bone profile finds
    the posterior wall of the body (the canal behind it is empty)."""

    min_body_depth_mm: float = 8.0
    """The posterior wall is searched at least this far (mm) behind the anterior body margin."""

    line_step_mm: float = 1.0
    """Spacing (mm) of the sampling lines across the body footprint."""

    sample_step_mm: float = 0.25
    """Step (mm) of the intensity samples along each line (trilinear interpolation)."""

    rim: tuple[float, float] = (0.76, 0.93)
    """Normalised footprint radius band of the flat endplate rim (ring apophysis) used to fit
    the endplate planes: outside the concave central bowl (~0.7), inside the rounded edge."""

    first_band: tuple[float, float] = (0.3, 0.75)
    """Band of normalised body radius whose lines give the first plane of an endplate: away
    from the walls (which lines near the outline of a wedged body cross) and from the centre
    of the bowl (which may be deeper or off-centre)."""

    footprint_tolerance_mm: float = 2.0
    """Lines whose edge lies within this distance (mm, at least one voxel) of the first plane
    form the endplate's footprint; a line crossing the wall lies several mm inside."""

    wall_clearance_mm: float = 2.0
    """Rim lines keep this distance (mm, at least 0.75 voxel) from the border of the endplate's
    footprint: nearer, the blurred cortex of the wall brightens the profile and pulls the edge
    inwards (on coarse grids, where too few lines remain, the whole rim band is used)."""

    mask_plane_tolerance_deg: float = 10.0
    """Largest angle (degrees) between an endplate plane fitted to the intensity edges and the
    plane of the mask's (label's) edges over the same lines; beyond it the intensity edges are
    taken to have caught another structure and the mask's plane is used."""

    centre_radius: float = 0.15
    """Normalised footprint radius of the central lines that give the middle height."""

    edge_search_mm: float = 3.0
    """Half-width (mm, at least 1.5 voxels) of the window around the mask edge in which the
    intensity edge is located."""

    floor_hu: float = 0.0
    """Intensity profiles are clipped below at this HU: gas in a degenerated disc (vacuum
    phenomenon, ~-750 HU) or fat would otherwise pull the half-level edges outward."""

    cortex_mm: float = 0.6
    """Thickness (mm) of the cortical layer assumed when the averaged edge profile is fitted
    (endplate cortex ~0.4-0.8 mm); it locates the surface of a thin bright cortex that the
    scanner blurred wider than itself. Smooth volumes without a visible cortex are unaffected."""

    outlier_mad: float = 3.0
    """Plane fits drop points whose residual exceeds this many scaled median absolute
    deviations, then refit."""

    genant_neighbours: int = 2
    """Vertebrae on each side whose height ratios form the normal reference of a level."""

    figure_dpi: int = 120
    """Resolution of measures.png."""
