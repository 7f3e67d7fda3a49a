"""Pictures for the page: CT slices in a window, the inputs with their crop, a coloured surface.

Volumes are (D, H, W) in the model frame: D superior->inferior, H anterior->posterior,
W right->left, isotropic voxels. Slices are shown as radiologists read them: axial from the feet
(patient right on the image left, anterior up), coronal from the front (right on the left),
sagittal from the patient's right (anterior on the left, as on the lateral view).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

WINDOWS = {"bone": (400.0, 1800.0), "soft tissue": (40.0, 400.0)}
"""Window preset -> (level, width) in HU."""
PLANES = ("axial", "coronal", "sagittal")
SLICE_PIXELS = 256
"""Side of a slice on the page: 64 voxels are drawn 4 pixels wide, without smoothing."""
GAP = 6
"""Pixels between the prediction and the truth in a side-by-side slice."""
UNLABELLED = (200, 200, 190)
"""Colour of bone that no vertebra label reaches (ribs, pelvis, or a model without labels)."""


def plane_size(shape: tuple[int, ...], plane: str) -> int:
    """Number of slices along ``plane`` of a (D, H, W) volume."""
    return shape[{"axial": 0, "coronal": 1, "sagittal": 2}[plane]]


def plane_slice(volume: np.ndarray, plane: str, index: int) -> np.ndarray:
    """The 2D slice ``index`` of a (D, H, W) volume along ``plane`` (clipped to the volume)."""
    axis = {"axial": 0, "coronal": 1, "sagittal": 2}[plane]
    index = int(np.clip(index, 0, volume.shape[axis] - 1))
    return np.take(volume, index, axis=axis)


def windowed(hu: np.ndarray, window: str) -> np.ndarray:
    """HU -> uint8 grey levels of a window preset (``WINDOWS``)."""
    level, width = WINDOWS[window]
    scaled = (hu - (level - width / 2.0)) / width
    return (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _enlarged(image: np.ndarray) -> np.ndarray:
    factor = max(1, SLICE_PIXELS // max(image.shape[:2]))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def slice_picture(
    hu: np.ndarray,
    plane: str,
    index: int,
    window: str,
    *,
    truth: np.ndarray | None = None,
) -> np.ndarray:
    """(rows, cols) uint8 picture of one slice; with ``truth`` the same slice of it to the right.

    The truth is on the same (D, H, W) grid as ``hu``; a white gap separates the two.
    """
    picture = _enlarged(windowed(plane_slice(hu, plane, index), window))
    if truth is None:
        return picture
    other = _enlarged(windowed(plane_slice(truth, plane, index), window))
    gap = np.full((picture.shape[0], GAP), 255, np.uint8)
    return np.concatenate([picture, gap, other], axis=1)


LEVEL_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#bcbd22", "#17becf")  # fmt: skip
"""Level colours, cycled by label id: saturated, none of them the grey of unlabelled bone."""


def level_colour(label: int) -> tuple[int, int, int]:
    """RGB of a vertebra level (common id): neighbouring levels get clearly different hues."""
    code = LEVEL_PALETTE[(label - 1) % len(LEVEL_PALETTE)]
    return int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16)


def legend_markdown(labels: np.ndarray | None) -> str:
    """A line of coloured squares naming the levels in ``labels`` (markdown with HTML spans)."""
    from x2ct.levels import level_name

    if labels is None:
        return "This model gives no vertebra levels: the surface is drawn in one colour."
    present = [int(k) for k in np.unique(labels) if k > 0]
    if not present:
        return "No vertebra level was found in the reconstruction."
    items = []
    for label in present:
        r, g, b = level_colour(label)
        swatch = f'<span style="color: rgb({r},{g},{b}); font-size: 1.3em">&#9632;</span>'
        items.append(f"{swatch} {level_name(label)}")
    return "Levels: " + " &nbsp; ".join(items)


def surface_glb(
    hu: np.ndarray,
    affine: np.ndarray,
    level: float,
    path: Path,
    *,
    labels: np.ndarray | None = None,
) -> Path:
    """The bone surface at ``level`` HU as a GLB for the 3D view, coloured by vertebra level.

    The surface is ``x2ct.inference.export.bone_mesh`` (the STL's). Each vertex takes the colour
    of the nearest labelled voxel within 2 voxels, else ``UNLABELLED``. Coordinates are RAS mm
    turned to glTF's axes (y up = superior, z towards the viewer = anterior) so the spine stands
    upright facing the viewer. Raises InputError when no voxel reaches ``level``.
    """
    from scipy import ndimage

    from x2ct.atomic import atomic_path
    from x2ct.inference.export import bone_mesh

    mesh = bone_mesh(hu, affine, level)
    colours = np.tile(np.array([*_linear(UNLABELLED), 255], np.uint8), (len(mesh.vertices), 1))
    if labels is not None and np.any(labels > 0):
        distance, nearest = ndimage.distance_transform_edt(labels == 0, return_indices=True)
        inverse = np.linalg.inv(affine)
        index = np.einsum("ij,nj->ni", inverse[:3, :3], mesh.vertices) + inverse[:3, 3]
        index = np.clip(np.rint(index).astype(int), 0, np.array(labels.shape) - 1)
        at = tuple(index.T)
        found = labels[tuple(n[at] for n in nearest)]
        close = (distance[at] <= 2.0) & (found > 0)
        palette = {int(k): level_colour(int(k)) for k in np.unique(found[close])}
        for label, rgb in palette.items():
            colours[close & (found == label), :3] = _linear(rgb)
    mesh.visual.vertex_colors = colours
    ras_to_gltf = np.eye(4)
    ras_to_gltf[:3, :3] = [[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    mesh.apply_transform(ras_to_gltf)
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    with atomic_path(path) as tmp:
        mesh.export(tmp, file_type="glb")
    return path


def _linear(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """sRGB -> linear 0-255: glTF vertex colours are linear, and the viewer shows them as sRGB
    (without this the legend's colours look washed out on the surface)."""
    return tuple(round(255.0 * (c / 255.0) ** 2.2) for c in rgb)  # type: ignore[return-value]


@functools.lru_cache(maxsize=4)
def cached_predictor(model: str):
    """The model's ``Predictor`` (kept: the crop preview needs its data settings each time)."""
    from x2ct.inference.predictor import Predictor

    return Predictor.from_model(model)


def input_preview(frontal, lateral, model: str) -> tuple[list[np.ndarray], str]:
    """Pictures of the two radiographs with the square the model will cut, and a caption.

    ``frontal`` and ``lateral`` are ``x2ct.io.Radiograph``; the crop is the one
    ``x2ct.inference.inputs.prepare_views`` chooses, as ``reconstruct`` will. Returns four
    (rows, cols, 3) uint8 pictures (each original with its crop, then each model input).
    Raises InputError when the pair cannot be used with this model.
    """
    from PIL import Image, ImageDraw

    from x2ct.inference.inputs import prepare_views

    views = prepare_views(frontal, lateral, cached_predictor(model))
    pictures, captions = [], []
    for view, name in zip(views, ("frontal", "lateral"), strict=True):
        original = np.asarray(view.original, np.float64)
        lo, hi = np.percentile(original, [0.5, 99.5])
        grey = (np.clip((original - lo) / max(hi - lo, 1e-6), 0, 1) * 255).astype(np.uint8)
        image = Image.fromarray(grey).convert("RGB")
        scale = 320.0 / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)))
        if view.crop is None:
            captions.append(f"{name}: the whole image is the model's field (no pixel size)")
        else:
            row, col = view.crop.center
            half = view.crop.side / 2.0
            box = [(col - half) * scale, (row - half) * scale]
            box += [(col + half) * scale, (row + half) * scale]
            ImageDraw.Draw(image).rectangle(box, outline=(0, 200, 255), width=3)
            captions.append(
                f"{name}: {view.crop.side * view.pixel_mm:.0f} mm square ({view.crop.method})"
            )
        pictures.append(np.asarray(image))
    for view in views:
        pictures.append(np.stack([_enlarged(view.image)] * 3, axis=-1))
    return pictures, "; ".join(captions)
