"""Depth of the trunk and the tissue behind the spine (mm), from the case's random numbers.

Two models (``phantoms.trunk``):

- ``"uniform"`` (the default, as phantoms were always drawn): the trunk's sagittal depth is
  uniform in 190-270 mm scaled with the patient's size, and its back skin lies behind the
  spinous processes by 35-55 mm of back muscle plus the subcutaneous fat. This puts the spine
  in the front half of the trunk in most cases.
- ``"population"``: the depth follows the supine sagittal abdominal diameter of US adults
  measured at the iliac crests in NHANES 2011-2012 (Kahn et al. 2014, PLoS One 9:e108707:
  5th/25th/50th/75th/95th percentiles 16.4/19.2/21.9/25.2/30.5 cm; the range 13.5-38.0 cm of
  the Finnish survey, Kahn et al. 2014, Clin Obes, doi 10.1111/cob.12078, closes the tails). The back skin lies
  the subcutaneous fat plus 5 mm of supraspinous ligament and skin behind the spinous tips: the
  erector spinae fill the gutters beside the spinous processes and do not cover their tips
  (skin to lumbar facet joints 38-46 mm at MRI, Yoon et al. 2020, Integr Med Res, with
  the facets about 20 mm in front of the tips). The real lumbar CT in ``data/totalseg-lumbar``
  has its tips 40 mm under the back skin and 207 mm behind the belly's skin.

- ``"mixed"``: each case is drawn under 'uniform' or 'population', with even odds.

All take exactly the same random numbers (the depth's uniform draw is mapped through the
population's quantile function; 'mixed' draws its choice after everything else), so a seed
draws the same anatomy under every model and only the trunk around the spine differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRUNK_MODELS = ("uniform", "population", "mixed")
"""Values of ``phantoms.trunk``; 'mixed' draws each case under one of the other two."""

UNIFORM_DEPTH_MM = (190.0, 270.0)
"""Range of the trunk's depth under the 'uniform' model (mm, before the size scaling)."""
SAD_QUANTILES = (
    (0.0, 135.0),
    (0.05, 164.0),
    (0.25, 192.0),
    (0.50, 219.0),
    (0.75, 252.0),
    (0.95, 305.0),
    (1.0, 380.0),
)
"""(cumulative probability, sagittal abdominal diameter mm) of the 'population' model."""
SUPRASPINOUS_MM = 5.0
"""Supraspinous ligament and skin between the spinous tips and the subcutaneous fat (mm)."""


def draw_trunk(rng: np.random.Generator, model: str) -> str:
    """The model a case is drawn with: ``model`` itself, or for 'mixed' one of the other two
    (one random number, drawn only then)."""
    if model != "mixed":
        return model
    return "population" if rng.random() < 0.5 else "uniform"


def trunk_depth(model: str, uniform_draw: float, size: float) -> float:
    """Sagittal depth of the trunk at the lumbar spine (mm).

    ``uniform_draw`` is the case's draw in ``UNIFORM_DEPTH_MM``; ``size`` the patient scale
    factor (around 1). The 'population' model maps the draw's rank through ``SAD_QUANTILES`` and
    ignores the size (the survey's spread already holds every build).
    """
    if model == "uniform":
        return uniform_draw * (0.85 + 0.15 * size)
    lo, hi = UNIFORM_DEPTH_MM
    rank = (uniform_draw - lo) / (hi - lo)
    probability, depth = zip(*SAD_QUANTILES, strict=True)
    return float(np.interp(rank, probability, depth))


def back_cover(model: str, back_muscle_mm: float, fat_mm: np.ndarray) -> np.ndarray:
    """Distance (mm) from the spinous tips to the back's skin, per slice (the shape of ``fat_mm``).

    ``back_muscle_mm`` is the case's draw of muscle behind the tips ('uniform' model only);
    ``fat_mm`` the subcutaneous fat per slice.
    """
    if model == "uniform":
        return back_muscle_mm + fat_mm
    return SUPRASPINOUS_MM + fat_mm


def patient_mask(ct_hu: np.ndarray) -> np.ndarray:
    """(D, H, W) mask of the patient in a CT in HU: the largest connected region above -300 HU
    (gas inside the body falls outside it; the table, a separate region, is dropped)."""
    from scipy import ndimage

    regions, count = ndimage.label(ct_hu > -300)
    if count == 0:
        return regions > 0
    sizes = np.bincount(regions.ravel())
    sizes[0] = 0
    return regions == int(np.argmax(sizes))


@dataclass(frozen=True)
class SagittalCover:
    """Tissue in front of and behind the spinous tips (mm, medians over the vertebrae)."""

    tip_to_back_mm: float
    """From the tip of the spinous process to the back's skin."""
    belly_to_tip_mm: float
    """From the belly's skin to the tip of the spinous process."""


def sagittal_cover(
    body: np.ndarray, levels: np.ndarray, spacing: tuple[float, float, float]
) -> SagittalCover:
    """Measure the trunk's depth around the spine of a CT in the model frame.

    ``body`` is a (D, H, W) mask of the patient and ``levels`` a (D, H, W) map of vertebra ids
    (0 elsewhere), H running from anterior to posterior; ``spacing`` is (D, H, W) mm. Each
    vertebra's tip is its most posterior voxel; the body's first and last voxel along H through
    it give the two depths. Vertebrae whose line leaves the field are skipped.
    """
    backs, bellies = [], []
    for level in np.unique(levels[levels > 0]):
        d, h, w = np.nonzero(levels == level)
        tip = int(np.argmax(h))
        inside = np.nonzero(body[d[tip], :, w[tip]])[0]
        if len(inside) == 0 or inside[0] == 0 or inside[-1] == body.shape[1] - 1:
            continue
        backs.append(inside[-1] - h[tip])
        bellies.append(h[tip] - inside[0])
    if not backs:
        raise ValueError("no vertebra has the trunk's whole depth through its spinous tip")
    return SagittalCover(
        float(np.median(backs)) * spacing[1], float(np.median(bellies)) * spacing[1]
    )
