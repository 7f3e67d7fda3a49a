"""Two non-learned baselines that give every evaluation number its context.

Both work in the network's conventions:
- ct01: (D, H, W) float in [0, 1] = clip(HU + 1024, 0, 2500) / 2500, axes (D, H, W) = superior ->
  inferior, anterior -> posterior, right -> left.
- xray1: frontal image (rows D, columns W); xray2: lateral image (rows D, columns H); uint8
  (divided by 255) or float already in [0, 1]; any size, resized to the volume's with linear
  interpolation (pixel centres aligned, as ``skimage.transform.resize(order=1)``).

``MeanVolumeBaseline`` predicts the mean training volume whatever the X-rays: what the data set
alone says. ``BackprojectionBaseline`` smears each view back along its projection axis (xray1
copied along H, xray2 along W), intersects the two with the geometric mean
s = sqrt(xray1[d, w] * xray2[d, h]), and maps s to ct01 with a lookup fitted on the training set
(the mean ct01 of the training voxels in each of ``bins`` equal bins of s, linearly interpolated
between the bins' mean s; the least-squares fit of a piecewise function of s): what the two views
alone say, without learning.

Both serialise to a dict of arrays (``to_dict`` / ``from_dict``) and to ``.npz``
(``save_baseline`` / ``load_baseline``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from x2ct.atomic import atomic_path
from x2ct.config.evaluate import EvaluateConfig
from x2ct.errors import InputError, MissingFileError

TOLERANCE = 1e-6
"""Values this far outside [0, 1] are rounding, not a wrong convention."""


def check_ct01(ct01: np.ndarray, source: str) -> np.ndarray:
    """Validate a (D, H, W) volume in [0, 1] and return it as float64."""
    ct = np.asarray(ct01, dtype=np.float64)
    if ct.ndim != 3:
        raise InputError(source, "a (D, H, W) volume in [0, 1]", f"shape {ct.shape}")
    if not np.all(np.isfinite(ct)):
        raise InputError(source, "finite CT values", "NaN or inf")
    if ct.min() < -TOLERANCE or ct.max() > 1 + TOLERANCE:
        raise InputError(source, "CT values in [0, 1]", f"[{ct.min():.4g}, {ct.max():.4g}]")
    return np.clip(ct, 0.0, 1.0)


def xray_to_unit(image: np.ndarray, source: str) -> np.ndarray:
    """A 2D uint8 image divided by 255, or a float image checked to lie in [0, 1]; float64."""
    image = np.asarray(image)
    if image.ndim != 2:
        raise InputError(source, "a 2D X-ray (rows, cols)", f"shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    if not np.issubdtype(image.dtype, np.floating):
        raise InputError(source, "a uint8 or float X-ray", f"dtype {image.dtype}")
    if not np.all(np.isfinite(image)):
        raise InputError(source, "finite X-ray values", "NaN or inf")
    if image.min() < -TOLERANCE or image.max() > 1 + TOLERANCE:
        found = f"[{image.min():.4g}, {image.max():.4g}]"
        raise InputError(source, "a float X-ray in [0, 1] (uint8 / 255)", found)
    return np.clip(image.astype(np.float64), 0.0, 1.0)


def _resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if image.shape == shape:
        return image
    from skimage.transform import resize

    return resize(image, shape, order=1, mode="edge", anti_aliasing=False, preserve_range=True)


def backproject(xray1: np.ndarray, xray2: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Geometric mean of the two back-projections on a (D, H, W) grid.

    Args:
        xray1: frontal image (rows D, columns W), uint8 or float in [0, 1].
        xray2: lateral image (rows D, columns H), uint8 or float in [0, 1].
        shape: (D, H, W) of the output; the images are resized to (D, W) and (D, H).

    Returns:
        (D, H, W) float64 s[d, h, w] = sqrt(xray1[d, w] * xray2[d, h]) in [0, 1].
    """
    D, H, W = (int(n) for n in shape)
    frontal = _resize(xray_to_unit(xray1, "xray1"), (D, W))
    lateral = _resize(xray_to_unit(xray2, "xray2"), (D, H))
    return np.sqrt(frontal[:, None, :] * lateral[:, :, None])


class MeanVolumeBaseline:
    """Predicts the voxel-wise mean of the training volumes, ignoring the X-rays."""

    kind = "mean-volume"

    def __init__(self, mean: np.ndarray | None = None, n_cases: int = 0) -> None:
        self.mean = (
            None if mean is None else check_ct01(mean, "MeanVolumeBaseline").astype(np.float32)
        )
        self.n_cases = int(n_cases)

    def fit(self, volumes: Iterable[np.ndarray]) -> MeanVolumeBaseline:
        """Average (D, H, W) ct01 volumes of one shape (one pass, float64 sums); returns self."""
        total: np.ndarray | None = None
        count = 0
        for index, volume in enumerate(volumes):
            ct = check_ct01(volume, f"training volume {index}")
            if total is None:
                total = np.zeros(ct.shape, dtype=np.float64)
            elif ct.shape != total.shape:
                raise InputError(f"training volume {index}", f"shape {total.shape}", f"{ct.shape}")
            total += ct
            count += 1
        if total is None:
            raise InputError("MeanVolumeBaseline.fit", "at least one training volume", "none")
        self.mean = (total / count).astype(np.float32)
        self.n_cases = count
        return self

    def predict(
        self, xray1: np.ndarray | None = None, xray2: np.ndarray | None = None
    ) -> np.ndarray:
        """The mean volume, (D, H, W) float32 in [0, 1]; the X-rays are accepted and ignored."""
        if self.mean is None:
            raise InputError("MeanVolumeBaseline", "a fitted baseline (call fit first)", "none")
        return self.mean.copy()

    def to_dict(self) -> dict[str, Any]:
        """{"kind", "mean" (D, H, W) float32, "n_cases"}."""
        if self.mean is None:
            raise InputError("MeanVolumeBaseline", "a fitted baseline (call fit first)", "none")
        return {"kind": self.kind, "mean": self.mean, "n_cases": self.n_cases}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MeanVolumeBaseline:
        """Inverse of ``to_dict``."""
        return cls(np.asarray(data["mean"]), int(data["n_cases"]))


class BackprojectionBaseline:
    """Back-projection of both views, intersected, mapped to ct01 by a fitted lookup."""

    kind = "backprojection"

    def __init__(self, bins: int = EvaluateConfig.baseline_bins) -> None:
        if int(bins) < 1:
            raise InputError("BackprojectionBaseline", "at least 1 bin", f"{bins}")
        self.bins = int(bins)
        self.shape: tuple[int, int, int] | None = None
        self.knots_s: np.ndarray | None = None
        """Mean back-projection value s of the training voxels in each non-empty bin."""
        self.knots_ct: np.ndarray | None = None
        """Mean ct01 of the same voxels."""
        self.n_cases = 0

    def fit(
        self, samples: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> BackprojectionBaseline:
        """Fit the lookup s -> ct01 on (ct01, xray1, xray2) training tuples (one pass); returns self.

        All ct01 volumes must share one (D, H, W) shape, which becomes the output shape.
        """
        sums_s = np.zeros(self.bins)
        sums_ct = np.zeros(self.bins)
        counts = np.zeros(self.bins)
        shape: tuple[int, int, int] | None = None
        count = 0
        for index, (volume, xray1, xray2) in enumerate(samples):
            ct = check_ct01(volume, f"training volume {index}")
            if shape is None:
                shape = ct.shape
            elif ct.shape != shape:
                raise InputError(f"training volume {index}", f"shape {shape}", f"{ct.shape}")
            s = backproject(xray1, xray2, shape).ravel()
            which = np.minimum((s * self.bins).astype(np.int64), self.bins - 1)
            sums_s += np.bincount(which, weights=s, minlength=self.bins)
            sums_ct += np.bincount(which, weights=ct.ravel(), minlength=self.bins)
            counts += np.bincount(which, minlength=self.bins)
            count += 1
        if shape is None:
            raise InputError("BackprojectionBaseline.fit", "at least one training case", "none")
        filled = counts > 0
        self.knots_s = sums_s[filled] / counts[filled]
        self.knots_ct = sums_ct[filled] / counts[filled]
        self.shape = tuple(int(n) for n in shape)
        self.n_cases = count
        return self

    def predict(self, xray1: np.ndarray, xray2: np.ndarray) -> np.ndarray:
        """Reconstruct (D, H, W) float32 ct01 in [0, 1] from a frontal and a lateral image.

        Outside the range of s seen in training the lookup holds its end values.
        """
        if self.shape is None or self.knots_s is None or self.knots_ct is None:
            raise InputError("BackprojectionBaseline", "a fitted baseline (call fit first)", "none")
        s = backproject(xray1, xray2, self.shape)
        return np.clip(np.interp(s, self.knots_s, self.knots_ct), 0.0, 1.0).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """{"kind", "bins", "shape", "knots_s", "knots_ct", "n_cases"} (arrays float64)."""
        if self.shape is None:
            raise InputError("BackprojectionBaseline", "a fitted baseline (call fit first)", "none")
        return {
            "kind": self.kind,
            "bins": self.bins,
            "shape": np.asarray(self.shape, dtype=np.int64),
            "knots_s": self.knots_s,
            "knots_ct": self.knots_ct,
            "n_cases": self.n_cases,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackprojectionBaseline:
        """Inverse of ``to_dict``."""
        baseline = cls(int(data["bins"]))
        baseline.shape = tuple(int(n) for n in np.asarray(data["shape"]).ravel())
        baseline.knots_s = np.asarray(data["knots_s"], dtype=np.float64)
        baseline.knots_ct = np.asarray(data["knots_ct"], dtype=np.float64)
        if len(baseline.shape) != 3 or baseline.knots_s.size == 0:
            raise InputError(
                "BackprojectionBaseline", "a shape of 3 and >= 1 knot", "a broken dict"
            )
        if baseline.knots_s.shape != baseline.knots_ct.shape or np.any(
            np.diff(baseline.knots_s) < 0
        ):
            raise InputError("BackprojectionBaseline", "matching increasing knots", "a broken dict")
        baseline.n_cases = int(data.get("n_cases", 0))
        return baseline


Baseline = MeanVolumeBaseline | BackprojectionBaseline
_KINDS: dict[str, type[MeanVolumeBaseline] | type[BackprojectionBaseline]] = {
    MeanVolumeBaseline.kind: MeanVolumeBaseline,
    BackprojectionBaseline.kind: BackprojectionBaseline,
}


def save_baseline(baseline: Baseline, path: str | Path) -> Path:
    """Write a fitted baseline to ``path`` (.npz, atomically) and return the path."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **{k: np.asarray(v) for k, v in baseline.to_dict().items()})
    return path


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline written by ``save_baseline``; the stored ``kind`` picks the class."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "a baseline .npz file")
    try:
        with np.load(path, allow_pickle=False) as stored:
            data = {k: stored[k] for k in stored.files}
    except (OSError, ValueError) as exc:
        raise InputError(path, "a baseline .npz file", type(exc).__name__) from None
    kind = str(data.get("kind", ""))
    if kind not in _KINDS:
        raise InputError(path, f"a baseline kind among {', '.join(_KINDS)}", repr(kind))
    try:
        return _KINDS[kind].from_dict(data)
    except KeyError as exc:
        raise InputError(path, f"a complete '{kind}' baseline", f"no entry {exc}") from None
