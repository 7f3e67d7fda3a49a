"""The gradio page of ``x2ct app`` and the server that serves it.

Every file the page makes lives under one temporary folder of the server (``root``), removed
when the server stops: gradio's upload cache (``GRADIO_TEMP_DIR``), and one ``request-*``
folder per reconstruction, removed when the request ends (what the page still shows is copied
into gradio's cache first; gradio drops those copies after ``CACHE_SECONDS``).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from x2ct.app import display, work
from x2ct.app.examples import find_example

NO_EXAMPLE = "(your own radiographs)"
UPLOAD_TYPES = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".dicom", ".ima"]
CACHE_SECONDS = 3600
"""Age after which gradio deletes the copies of a page's pictures and downloads."""
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
"""Fonts the browser already has: the default theme would fetch its fonts from the internet."""


def _offline_environment(root: Path) -> None:
    """Before gradio is imported: no usage reports, uploads under ``root``."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["GRADIO_TEMP_DIR"] = str(root / "gradio")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def model_choices(model: str) -> tuple[list[str], str]:
    """The shipped model names (plus ``model`` when it is a folder) and the selected one."""
    from x2ct.models.folder import default_model_name, resolve_model, shipped_names

    names = shipped_names()
    selected = default_model_name() if model == "default" else model
    if selected not in names:
        resolve_model(selected)  # a model folder: checked now, not at the first request
        names.append(selected)
    return names, selected


def pick_example(name: str, model: str) -> tuple[str | None, str | None]:
    """The example's frontal and lateral files for ``model`` (None, None for no example)."""
    if not name or name == NO_EXAMPLE:
        return None, None
    example = find_example(name, model)
    return str(example.frontal), str(example.lateral)


def preview(frontal: str | None, lateral: str | None, model: str) -> tuple[list, str]:
    """Gallery items (picture, caption) of the inputs with their crops, and a note.

    Problems are not errors here (the user may be halfway through choosing files): the note
    says what is wrong and the Reconstruct button will say it again.
    """
    if not frontal or not lateral:
        return [], "Add a frontal and a lateral radiograph, or pick an example pair."
    try:
        views = (
            work.check_radiograph(frontal, "frontal"),
            work.check_radiograph(lateral, "lateral"),
        )
        pictures, note = display.input_preview(*views, model)
    except (ValueError, FileNotFoundError) as exc:
        return [], "**Cannot use these files:** " + work.short(str(exc), [frontal, lateral])
    names = ("frontal", "lateral", "frontal as the model sees it", "lateral as the model sees it")
    return list(zip(pictures, names, strict=True)), note


def status_text(outcome: work.Outcome, model: str, example: str | None) -> str:
    """Markdown lines: what was reconstructed, how long it took, Dice, notes."""
    lines = [
        f"**Reconstructed** with `{model}` in {outcome.seconds:.1f} s: {outcome.hu.shape[0]}^3"
        f" voxels of {outcome.voxel_mm:.3g} mm."
    ]
    if outcome.metrics is not None:
        m = outcome.metrics
        lines.append(
            f"Against the truth of `{example}`: bone Dice **{m['Dice']:.3f}**,"
            f" HD95 {m['HD95-mm']:.1f} mm, MAE {m['MAE-HU']:.0f} HU"
            " (slices: prediction left, truth right)."
        )
    lines += [f"Note: {note}" for note in outcome.notes]
    return "\n\n".join(lines)


def slices(state: dict | None, window: str, *indices: float) -> list[Any]:
    """The three slice pictures of ``state`` (prediction, truth) at the sliders' indices."""
    if not state:
        return [None] * len(display.PLANES)
    return [
        display.slice_picture(state["hu"], plane, int(index), window, truth=state["truth"])
        for plane, index in zip(display.PLANES, indices, strict=True)
    ]


def run(
    frontal: str | None,
    lateral: str | None,
    model: str,
    example: str | None,
    window: str,
    *,
    root: Path,
    cache: str,
    progress: Any = None,
) -> dict[str, Any]:
    """One reconstruction for the page; returns the values to show, by name.

    Raises InputError (one line, file names without their temporary folders) for bad input.
    Files to download or view are copied into gradio's ``cache`` before the request folder goes.
    """
    from gradio.processing_utils import save_file_to_cache

    def step(fraction: float, text: str) -> None:
        if progress is not None:
            progress(fraction, desc=text)

    step(0.05, "checking the radiographs")
    work.check_radiograph(frontal, "frontal")
    work.check_radiograph(lateral, "lateral")
    truth = None
    if example and example != NO_EXAMPLE:
        truth = find_example(example, model).truth
    step(0.15, "reconstructing: volume, levels, surface, measures")
    with work.request_folder(root) as folder:
        outcome = work.reconstruct_request(frontal, lateral, folder, model=model, truth=truth)
        step(0.85, "drawing the 3D view")
        surface = None
        if outcome.mesh is not None:
            level = display.cached_predictor(model).config.evaluate.bone_hu
            surface = display.surface_glb(
                outcome.hu, outcome.affine, level, folder / "surface.glb", labels=outcome.labels
            )

        def kept(path: Path | None) -> str | None:
            return None if path is None else save_file_to_cache(path, cache)

        result = {
            "status": status_text(outcome, model, example),
            "surface": kept(surface),
            "legend": display.legend_markdown(outcome.labels),
            "figure": kept(outcome.figure),
            "summary": "\n".join(f"- {line}" for line in outcome.summary)
            or "No clinical measures (see the note above).",
            "measures": outcome.measures,
            "measures_figure": kept(outcome.measures_figure),
            "downloads": [kept(path) for path in outcome.files],
            "state": {"hu": outcome.hu, "truth": outcome.truth_hu},
        }
    step(1.0, "done")
    return result


def handle(function, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; bad input becomes a gr.Error with one line, a bug a short message
    (its traceback goes to the server's log, never to the page)."""
    import gradio as gr

    paths = [a for a in args if isinstance(a, str)]
    try:
        return function(*args, **kwargs)
    except (ValueError, FileNotFoundError) as exc:
        raise gr.Error(work.short(str(exc), paths), print_exception=False) from None
    except gr.Error:
        raise
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        raise gr.Error(
            f"The reconstruction failed ({type(exc).__name__}); the server's log has the details.",
            print_exception=False,
        ) from None
