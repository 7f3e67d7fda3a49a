"""Generated phantoms: determinism, label ids and order, connectivity, HU per tissue, fractures."""

from __future__ import annotations

import numpy as np
import pytest
from phantom_cases import SMALL
from scipy import ndimage

from x2ct.phantoms import PhantomConfig, generate_phantom
from x2ct.phantoms.tissue import AIR, DISC, FAT, LUNG, MUSCLE


def expected_label(level: str) -> int:
    """CTSpine1K / VerSe numbering written out independently: C1-7 = 1-7, T1-12 = 8-19, L1-5 = 20-24."""
    region, number = level[0], int(level[1:])
    return {"C": 0, "T": 7, "L": 19}[region] + number


def test_same_seed_same_phantom_and_other_seed_differs():
    a = generate_phantom(5, SMALL)
    b = generate_phantom(5, SMALL)
    c = generate_phantom(6, SMALL)
    assert np.array_equal(a.ct.array, b.ct.array)
    assert np.array_equal(a.labels.array, b.labels.array)
    assert np.array_equal(a.ct.affine, b.ct.affine)
    assert a.truth == b.truth
    assert a.ct.shape != c.ct.shape or not np.array_equal(a.ct.array, c.ct.array)


def test_label_ids_follow_ctspine1k_and_run_superior_to_inferior(small_phantoms):
    for p in small_phantoms:
        labels = p.labels.array
        present = sorted(int(v) for v in np.unique(labels) if v > 0)
        drawn = {v["level"]: v["label"] for v in p.truth["vertebrae"] if v["voxels"] > 0}
        assert present == sorted(drawn.values())
        for level, label in drawn.items():
            assert label == expected_label(level)
        assert set(present) <= set(range(8, 25))
        rows = [np.nonzero((labels == lab).any(axis=(1, 2)))[0].mean() for lab in present]
        assert rows == sorted(rows), "a higher label id (more inferior level) must sit at larger D"


def test_every_label_is_one_26_connected_component(small_phantoms):
    extra = [
        generate_phantom(
            s,
            PhantomConfig(
                **{**SMALL.__dict__, "scoliosis_probability": 1.0, "fracture_probability": 1.0}
            ),
        )
        for s in (1, 2)
    ]
    for p in list(small_phantoms) + extra:
        labels = p.labels.array
        for lab in np.unique(labels):
            if lab == 0:
                continue
            _, count = ndimage.label(labels == lab, structure=np.ones((3, 3, 3)))
            assert count == 1, f"label {lab} has {count} components"


def _body_core(p, v) -> np.ndarray:
    """Voxels within a third of the body's half-depth of its centre (cancellous bone only)."""
    centre = np.linalg.solve(p.ct.affine[:3, :3], np.asarray(v["body_centre"]) - p.ct.affine[:3, 3])
    grid = np.indices(p.ct.shape, dtype=float)
    dist2 = sum(((grid[k] - centre[k]) * p.ct.spacing[k]) ** 2 for k in range(3))
    return dist2 < (v["body_depth_mm"] / 6) ** 2


def test_hu_ranges_per_tissue(small_phantoms):
    seen = set()
    for p in small_phantoms:
        ct, tissue = p.ct.array, p.tissue
        # Tissue cores only: partial volume and blur touch the edges of each region.
        for cls, low, high in (
            (AIR, -1050, -950),
            (FAT, -130, -70),
            (MUSCLE, 30, 70),
            (LUNG, -900, -800),
            (DISC, 60, 120),
        ):
            core = ndimage.binary_erosion(tissue == cls, iterations=1 if cls == DISC else 2)
            if core.sum() >= 200:
                seen.add(cls)
                assert low < np.median(ct[core]) < high, (cls, np.median(ct[core]))
        for v in p.truth["vertebrae"]:
            if not v["complete"]:
                continue
            assert 700 <= v["cortical_hu"] <= 1500
            assert 60 <= v["cancellous_hu"] <= 320
            inner = np.median(ct[_body_core(p, v)])
            low, high = (40, 150) if p.truth["patient"]["osteoporotic"] else (130, 370)
            assert low < inner < high, (v["level"], inner)
    assert seen == {AIR, FAT, MUSCLE, LUNG, DISC}, "the sample should hold every soft tissue"


def test_osteoporotic_bone_is_less_dense():
    base = {**SMALL.__dict__, "fracture_probability": 0.0}
    normal = generate_phantom(2, PhantomConfig(**{**base, "osteoporosis_probability": 0.0}))
    porotic = generate_phantom(2, PhantomConfig(**{**base, "osteoporosis_probability": 1.0}))

    def inner(p):
        return np.median([np.median(p.ct.array[_body_core(p, v)]) for v in p.truth["vertebrae"]])

    assert inner(porotic) < 130 < inner(normal)


def _body_heights(labels: np.ndarray, affine: np.ndarray, vertebra: dict) -> tuple[float, float]:
    """(anterior, posterior) body height (mm) measured in the label map.

    Label voxels near the vertebra's mid-sagittal plane are expressed along its superior and
    anterior axes (directions from the truth record); the body is the anterior run of voxels up to
    the canal, and each height is the superior-inferior extent 2-4 mm inside its margin.
    """
    idx = np.argwhere(labels == vertebra["label"]).astype(float)
    ras = idx @ affine[:3, :3].T + affine[:3, 3]
    rel = ras - ras.mean(axis=0)
    up, ant, left = (np.asarray(vertebra["axes"][k]) for k in ("superior", "anterior", "left"))
    s, t, c = rel @ up, rel @ ant, rel @ left
    near = np.abs(c - np.median(c[t > np.percentile(t, 80)])) < 2.0
    s, t = s[near], t[near]
    front = t.max()
    # Walk back from the front in 1 mm bins until the first empty bin: that is the canal.
    back = front
    while np.any((t < back) & (t >= back - 1.0)):
        back -= 1.0
    band = lambda lo, hi: s[(t >= lo) & (t <= hi)]  # noqa: E731
    anterior, posterior = band(front - 4.0, front - 2.0), band(back + 2.0, back + 4.0)
    return float(np.ptp(anterior)), float(np.ptp(posterior))


def test_wedge_fracture_has_a_lower_anterior_height_in_the_label_map():
    config = PhantomConfig(
        matrix=160,
        inplane_spacing_mm=(0.8, 0.8),
        slice_spacing_mm=(1.0, 1.0),
        fracture_probability=1.0,
        fracture_height_loss=(0.35, 0.4),
        scoliosis_probability=0.0,
        osteoporosis_probability=0.0,
        levels=(5, 5),
        last_level="L5",
    )
    for seed in (0, 1):
        p = generate_phantom(seed, config)
        vertebrae = {v["level"]: v for v in p.truth["vertebrae"]}
        run = p.truth["spine"]["run"]
        ratio = {}
        for lv in run:
            ha, hp = _body_heights(p.labels.array, p.labels.affine, vertebrae[lv])
            ratio[lv] = ha / hp
            # The label map agrees with the truth heights (2-4 mm inside the margins).
            assert hp == pytest.approx(vertebrae[lv]["height_posterior_mm"], abs=2.5)
        broken = [lv for lv in run if vertebrae[lv]["fracture"]]
        intact = [lv for lv in run if not vertebrae[lv]["fracture"]]
        assert broken and intact
        for lv in broken:
            # 35-40 % anterior loss: clearly below every intact level of the same spine.
            assert ratio[lv] < min(ratio[i] for i in intact) - 0.1, ratio
            truth_ratio = vertebrae[lv]["height_anterior_mm"] / vertebrae[lv]["height_posterior_mm"]
            assert ratio[lv] == pytest.approx(truth_ratio, abs=0.12), ratio
