"""Per-case parameters of a phantom, drawn from the case seed (nothing is drawn later).

``sample_case(seed, config)`` turns a seed into a ``CaseSpec``: voxel spacing, the run of complete
levels, per-level dimensions, bone density, fractures, discs, curves and the patient's size and
position. Every random number of a case comes from ``numpy.random.SeedSequence(seed)``, so a case
is reproducible alone and does not depend on which worker process draws it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from x2ct.config.phantoms import PhantomConfig
from x2ct.errors import InputError
from x2ct.phantoms.anatomy import LABEL_IDS, LEVELS, LevelAnatomy, level_index, reference_table
from x2ct.phantoms.density import BONE_DENSITY_MODELS, draw_density
from x2ct.phantoms.spec import CaseSpec, CurveSpec, DiscSpec, VertebraSpec
from x2ct.phantoms.trunk import TRUNK_MODELS, UNIFORM_DEPTH_MM, draw_trunk, trunk_depth

SLICE_SPACINGS_MM = (1.0, 1.25, 1.5, 2.0, 2.5)
"""Common reconstruction intervals; a case takes one inside the configured range when it can."""

MARGIN_MM = (4.0, 25.0)
"""Range of the extra field of view above the run (and below it, by default), mm."""

MAX_JOINT_CORONAL_DEG = 12.0
"""Largest coronal angle one joint (disc + half of each body) may carry in a scoliotic curve."""


def validate_config(config: PhantomConfig) -> None:
    """Raise InputError for settings no phantom can be drawn with."""
    lo, hi = config.levels
    if not 1 <= lo <= hi <= len(LEVELS):
        raise InputError("phantoms.levels", f"1 <= min <= max <= {len(LEVELS)}", str(config.levels))
    if config.last_level is not None and config.last_level not in LEVELS:
        raise InputError("phantoms.last_level", "a level T1..L5 or null", repr(config.last_level))
    if config.matrix < 32:
        raise InputError("phantoms.matrix", "at least 32 voxels", str(config.matrix))
    for name in ("inplane_spacing_mm", "slice_spacing_mm", "fracture_height_loss"):
        a, b = getattr(config, name)
        if not 0 < a <= b:
            raise InputError(f"phantoms.{name}", "0 < min <= max", str((a, b)))
    lo_mm, hi_mm = config.margin_below_mm
    if not 0 <= lo_mm <= hi_mm:
        raise InputError("phantoms.margin_below_mm", "0 <= min <= max", str((lo_mm, hi_mm)))
    if config.scan_mm is not None:
        if config.slices is not None:
            raise InputError(
                "phantoms.scan_mm", "null when phantoms.slices is set", str(config.scan_mm)
            )
        lo_mm, hi_mm = config.scan_mm
        if not 0 < lo_mm <= hi_mm:
            raise InputError("phantoms.scan_mm", "0 < min <= max (mm) or null", str(config.scan_mm))
    if not 0 <= config.scan_probability <= 1:
        raise InputError("phantoms.scan_probability", "0-1", str(config.scan_probability))
    if config.scan_inplane_spacing_mm is not None:
        a, b = config.scan_inplane_spacing_mm
        if not 0 < a <= b:
            raise InputError(
                "phantoms.scan_inplane_spacing_mm", "0 < min <= max or null", str((a, b))
            )
    if config.bone_density not in BONE_DENSITY_MODELS:
        raise InputError(
            "phantoms.bone_density",
            " or ".join(map(repr, BONE_DENSITY_MODELS)),
            repr(config.bone_density),
        )
    if config.trunk not in TRUNK_MODELS:
        raise InputError("phantoms.trunk", " or ".join(map(repr, TRUNK_MODELS)), repr(config.trunk))
    if config.cobb_deg is not None and not 0 <= config.cobb_deg <= 60:
        raise InputError("phantoms.cobb_deg", "0-60 degrees or null", str(config.cobb_deg))


def _below(draw: float, config: PhantomConfig) -> float:
    """The margin below the run: a draw in MARGIN_MM mapped linearly onto the configured range
    (no extra random number, so cases of the default range stay as they were)."""
    lo, hi = config.margin_below_mm
    if (lo, hi) == MARGIN_MM:
        return float(draw)  # bit for bit the draw of the default
    return float(lo + (hi - lo) * (draw - MARGIN_MM[0]) / (MARGIN_MM[1] - MARGIN_MM[0]))


def _slice_spacing(rng: np.random.Generator, lo: float, hi: float) -> float:
    choices = [s for s in SLICE_SPACINGS_MM if lo <= s <= hi]
    return float(rng.choice(choices)) if choices else float(rng.uniform(lo, hi))


def _run(rng: np.random.Generator, config: PhantomConfig, min_levels: int) -> tuple[str, ...]:
    n = int(rng.integers(config.levels[0], config.levels[1] + 1))
    n = min(max(n, min_levels), len(LEVELS))
    if config.last_level is not None:
        last = level_index(config.last_level)
    elif rng.random() < config.lumbar_bias:
        last = len(LEVELS) - 1
    else:
        last = int(rng.integers(n - 1, len(LEVELS) - 1)) if n - 1 < len(LEVELS) - 1 else n - 1
    last = max(last, n - 1)
    return LEVELS[last - n + 1 : last + 1]


def _scaled(
    anatomy: LevelAnatomy, scale: float, rng: np.random.Generator, jitter: float
) -> LevelAnatomy:
    values = {}
    for name, value in anatomy.__dict__.items():
        if isinstance(value, float) and not name.endswith("_deg"):
            value = value * scale * float(np.clip(1 + jitter * rng.standard_normal(), 0.9, 1.1))
        values[name] = value
    return LevelAnatomy(**values)


def _pitch(level: str, vertebrae, discs) -> float:
    """Height of one level, body and the disc below (mm)."""
    an = vertebrae[level].anatomy
    return 0.5 * (an.height_anterior + an.height_posterior) + discs[level].height


def _drawn_levels(
    run, vertebrae, discs, above_mm: float = 0.0, below_mm: float = 0.0
) -> tuple[str, ...]:
    """The run and one partial neighbour on each side, plus as many more levels as a field of
    view reaching ``above_mm`` / ``below_mm`` beyond the run can show (estimated from body and
    disc heights)."""
    first, last = level_index(run[0]), level_index(run[-1])
    above = below = 0.0
    while first > 0 and above <= above_mm:
        first -= 1
        above += _pitch(LEVELS[first], vertebrae, discs)
    while last < len(LEVELS) - 1 and below <= below_mm:
        last += 1
        below += _pitch(LEVELS[last], vertebrae, discs)
    return LEVELS[first : last + 1]


def _curves(rng, run, cobb) -> tuple[CurveSpec, ...]:
    """One or two coronal curves whose end vertebrae lie inside the run."""
    if cobb <= 0:
        return ()
    n = len(run)
    joints_needed = int(np.ceil(cobb / MAX_JOINT_CORONAL_DEG))
    convex_left = bool(rng.random() < 0.5)
    if n >= 8 and rng.random() < 0.35:
        split = n // 2
        minor = cobb * float(rng.uniform(0.5, 0.9))
        upper, lower = (cobb, minor) if rng.random() < 0.5 else (minor, cobb)
        return (
            CurveSpec(run[0], run[split], upper, convex_left),
            CurveSpec(run[split], run[-1], lower, not convex_left),
        )
    slack = max(0, n - 1 - max(joints_needed, 2))
    top = int(rng.integers(0, min(slack, 2) + 1))
    bottom = n - 1 - int(rng.integers(0, min(slack - top, 2) + 1)) if slack - top > 0 else n - 1
    return (CurveSpec(run[top], run[bottom], cobb, convex_left),)


def sample_case(seed: int, config: PhantomConfig | None = None) -> CaseSpec:
    """Draw every parameter of the case ``seed`` (an int >= 0) from the ranges in ``config``."""
    config = config or PhantomConfig()
    validate_config(config)
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError("seed", "an integer >= 0", repr(seed))
    params_ss, texture_ss, noise_ss, tissue_ss = np.random.SeedSequence(int(seed)).spawn(4)
    rng = np.random.default_rng(params_ss)
    sub_seed = lambda ss: int(ss.generate_state(1)[0])  # noqa: E731

    inplane = float(rng.uniform(*config.inplane_spacing_mm))
    spacing = (_slice_spacing(rng, *config.slice_spacing_mm), inplane, inplane)

    scoliotic = rng.random() < config.scoliosis_probability
    if config.cobb_deg is not None:
        cobb = float(config.cobb_deg)
    elif scoliotic:
        cobb = float(
            rng.uniform(config.min_cobb_deg, max(config.min_cobb_deg, config.max_cobb_deg))
        )
    else:
        cobb = 0.0
    min_levels = int(np.ceil(cobb / MAX_JOINT_CORONAL_DEG)) + 1 if cobb > 0 else 1
    run = _run(rng, config, max(min_levels, 3 if cobb > 0 else 1))
    curves = _curves(rng, run, cobb)

    size = float(rng.uniform(1 - config.size_variation, 1 + config.size_variation))
    cancellous, osteoporotic = draw_density(
        rng, config.bone_density, config.osteoporosis_probability
    )
    cortical = float(rng.uniform(700, 950) if osteoporotic else rng.uniform(850, 1250))
    cortical_mm = 0.6 if osteoporotic else 0.8

    p_fracture = min(1.0, config.fracture_probability * (2.0 if osteoporotic else 1.0))
    fractured: dict[str, float] = {}
    if rng.random() < p_fracture:
        weights = np.array([3.0 if lv in ("T11", "T12", "L1", "L2") else 1.0 for lv in run])
        count = 2 if (osteoporotic and len(run) > 3 and rng.random() < 0.3) else 1
        for lv in rng.choice(run, size=count, replace=False, p=weights / weights.sum()):
            fractured[str(lv)] = float(rng.uniform(*config.fracture_height_loss))

    table = reference_table()
    vertebrae = {}
    for level in LEVELS:
        anatomy = _scaled(table[level], size, rng, config.level_jitter)
        conc_scale = anatomy.width / table["L3"].width
        vertebrae[level] = VertebraSpec(
            level=level,
            label=LABEL_IDS[level],
            anatomy=anatomy,
            concavity_superior=0.7 * conc_scale,
            concavity_inferior=1.5 * conc_scale,
            fracture_loss=fractured.get(level, 0.0),
            cancellous_hu=cancellous + float(rng.normal(0, 8)),
            cortical_hu=cortical + float(rng.normal(0, 30)),
            cortical_mm=cortical_mm,
            texture_offset=tuple(int(v) for v in rng.integers(0, 64, size=3)),
        )
    disc_hu = float(rng.uniform(75, 100))
    discs = {}
    for level in LEVELS:
        degenerated = bool(rng.random() < config.degenerated_disc_probability)
        height = vertebrae[level].anatomy.disc_below * float(rng.uniform(0.95, 1.05))
        if degenerated:
            height *= float(rng.uniform(0.55, 0.8))
        lower = LEVELS[level_index(level) + 1] if level != "L5" else "S1"
        discs[level] = DiscSpec(
            level,
            lower,
            height,
            degenerated,
            bool(degenerated and rng.random() < 0.35),
            disc_hu + (8.0 if degenerated else 0.0) + float(rng.normal(0, 3)),
        )

    extra = 0.0
    if config.slices is not None:
        run_mm = sum(_pitch(lv, vertebrae, discs) for lv in run)
        extra = max(0.0, 0.5 * (config.slices * spacing[0] - run_mm))
    drawn = _drawn_levels(run, vertebrae, discs, extra, extra)
    body = {
        "half_width": float(rng.uniform(130, 180)) * (0.85 + 0.15 * size),
        "depth": float(rng.uniform(*UNIFORM_DEPTH_MM)),  # the draw; the depth is set below
        "fat_mm": float(rng.uniform(6, 40)),
        "muscle_mm": float(rng.uniform(8, 15)),
        "back_muscle_mm": float(rng.uniform(35, 55)),
        "psoas_mm": float(rng.uniform(18, 28)),
        "aorta_hu": float(rng.uniform(160, 300))
        if rng.random() < 0.4
        else float(rng.uniform(35, 50)),
        "soft_hu": float(rng.uniform(45, 60)),
        "fat_hu": float(rng.uniform(-115, -85)),
        "liver_hu": float(rng.uniform(50, 65)),
        "table_gap_mm": float(rng.uniform(0, 6)),
        "bowel_gas": float(rng.uniform(0.02, 0.12)),
    }
    spec = CaseSpec(
        seed=int(seed),
        config=config,
        spacing=spacing,
        run=run,
        drawn=drawn,
        sacrum=drawn[-1] == "L5",
        pelvis=config.pelvis and drawn[-1] == "L5",
        vertebrae=vertebrae,
        discs=discs,
        size_factor=size,
        osteoporotic=osteoporotic,
        lordosis_deg=float(rng.uniform(*config.lordosis_deg)),
        kyphosis_deg=float(rng.uniform(*config.kyphosis_deg)),
        sacral_slope_deg=float(rng.uniform(28, 45)),
        cobb_requested_deg=cobb,
        curves=curves,
        rotation_per_cobb=float(rng.uniform(*config.rotation_per_cobb)),
        patient_pose_deg=(
            float(rng.normal(0, 3)),
            float(rng.normal(0, 3)),
            float(rng.normal(0, 2)),
        ),
        fov_offset_mm=(float(rng.normal(0, 6)), float(rng.normal(0, 6))),
        margins_mm=(float(rng.uniform(*MARGIN_MM)), _below(rng.uniform(*MARGIN_MM), config)),
        world_centre_mm=(
            float(rng.normal(0, 8)),
            float(rng.normal(-20, 15)),
            float(rng.uniform(-700, -150)),
        ),
        body=body,
        table=bool(rng.random() < config.table_probability),
        noise_hu=config.noise_hu * float(rng.uniform(0.6, 1.4)),
        blur_mm=config.blur_mm * float(rng.uniform(0.8, 1.2)),
        texture_seed=sub_seed(texture_ss),
        noise_seed=sub_seed(noise_ss),
        tissue_seed=sub_seed(tissue_ss),
    )
    # Drawn after everything else, so that a seed keeps its anatomy under every trunk model.
    trunk = draw_trunk(rng, config.trunk)
    depth = trunk_depth(trunk, body["depth"], size)
    spec = replace(spec, body={**body, "depth": depth}, trunk=trunk)
    return _long_scan(spec, rng) if config.scan_mm is not None else spec


def _long_scan(spec: CaseSpec, rng: np.random.Generator) -> CaseSpec:
    """``spec`` with a scan of ``config.scan_mm`` and the levels it reaches (drawn last, so
    that a seed keeps its anatomy with and without a long scan), or ``spec`` itself for a case
    that ``config.scan_probability`` leaves without one."""
    config = spec.config
    scan = float(rng.uniform(*config.scan_mm))
    above = float(rng.uniform())
    # Each further draw only when its setting asks for it, so that the cases of a config
    # without it stay bit for bit as they were.
    if config.scan_probability < 1 and rng.random() >= config.scan_probability:
        return spec
    spacing = spec.spacing
    if config.scan_inplane_spacing_mm is not None:
        inplane = float(rng.uniform(*config.scan_inplane_spacing_mm))
        spacing = (spacing[0], inplane, inplane)
    run_mm = sum(_pitch(lv, spec.vertebrae, spec.discs) for lv in spec.run)
    slack = max(0.0, scan - run_mm)
    drawn = _drawn_levels(spec.run, spec.vertebrae, spec.discs, above * slack, (1 - above) * slack)
    return replace(
        spec,
        spacing=spacing,
        scan_mm=scan,
        scan_above=above,
        labelled=spec.drawn,
        drawn=drawn,
        sacrum=drawn[-1] == "L5",
        pelvis=config.pelvis and drawn[-1] == "L5",
    )
