"""Cancellous bone density of a phantom case (HU), drawn from the case's random numbers.

Two models (``phantoms.bone_density``):

- ``"uniform"`` (the default, as phantoms were always drawn): a case is osteoporotic with
  ``osteoporosis_probability``, its cancellous bone then uniform in 60-120 HU, otherwise uniform
  in 150-300 HU. The normal range is that of young adults (mean 225 HU).
- ``"age"``: the density of the adults who get a CT. The age is drawn from the cohort of Jang
  et al. 2019 (Radiology 291:360; 20 374 abdominal/thoracic CTs at 120 kV, age 60 +/- 12 years),
  and the L1 trabecular attenuation from that paper's normative values for the age: 226 +/- 44 HU
  below 30 years, 89 +/- 38 HU at 90 years or older, linear in between. A case is osteoporotic
  when it falls below 110 HU, the L1 threshold of Pickhardt et al. 2013 (Ann Intern Med
  158:588) with about 90 % specificity for osteoporosis at DXA. The population median is about
  150 HU, close to the real lumbar CT in ``data/totalseg-lumbar`` (cancellous cores 100-139 HU).

Both models take exactly the same two random numbers, so a seed draws the same anatomy under
either model and only the density (and what depends on the osteoporotic flag: cortex, fracture
chance) differs.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

BONE_DENSITY_MODELS = ("uniform", "age")
"""Values of ``phantoms.bone_density``."""

COHORT_AGE = (60.0, 12.0)
"""Mean and standard deviation of the age (years) of the Jang 2019 cohort."""
AGE_RANGE = (18.0, 100.0)
"""Ages the cohort spans (years); drawn ages are clipped to it."""
YOUNG = (25.0, 226.0, 44.0)
"""(age, mean HU, SD HU) of the youngest group of Jang 2019 (< 30 years, taken at 25)."""
OLD = (92.0, 89.0, 38.0)
"""(age, mean HU, SD HU) of the oldest group of Jang 2019 (>= 90 years, taken at 92)."""
OSTEOPOROSIS_HU = 110.0
"""L1 attenuation below which a case counts as osteoporotic (Pickhardt 2013)."""
LOWEST_HU = 40.0
"""Floor of a drawn density (HU): below it marrow fat would dominate, not seen in the cohort."""

_STANDARD = NormalDist()


def normative_hu(age: float) -> tuple[float, float]:
    """Mean and standard deviation (HU) of the L1 trabecular attenuation at ``age`` (years)."""
    t = float(np.clip((age - YOUNG[0]) / (OLD[0] - YOUNG[0]), 0.0, 1.0))
    return YOUNG[1] + t * (OLD[1] - YOUNG[1]), YOUNG[2] + t * (OLD[2] - YOUNG[2])


def draw_density(
    rng: np.random.Generator, model: str, osteoporosis_probability: float
) -> tuple[float, bool]:
    """(cancellous HU, osteoporotic) of one case; takes two numbers from ``rng`` in either model."""
    first = float(rng.random())
    if model == "uniform":
        osteoporotic = first < osteoporosis_probability
        return float(rng.uniform(60, 120) if osteoporotic else rng.uniform(150, 300)), osteoporotic
    if model != "age":
        raise ValueError(f"unknown bone density model {model!r}; known: {BONE_DENSITY_MODELS}")
    second = float(rng.uniform(0.0, 1.0))
    quantile = min(max(1.0 - first, 1e-6), 1 - 1e-6)  # the oldest where "uniform" is osteoporotic
    age = float(np.clip(COHORT_AGE[0] + COHORT_AGE[1] * _STANDARD.inv_cdf(quantile), *AGE_RANGE))
    mean, sd = normative_hu(age)
    hu = max(mean + sd * _STANDARD.inv_cdf(min(max(second, 1e-6), 1 - 1e-6)), LOWEST_HU)
    return hu, hu < OSTEOPOROSIS_HU
