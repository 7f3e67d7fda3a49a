"""The page's layout and the server: ``build_page`` wires ``x2ct.app.page``'s functions to gradio
components; ``serve`` runs it on a local port until interrupted.

Element ids (``elem_id``) name the parts a browser test looks for: ``frontal``, ``lateral``,
``example``, ``run``, ``status``, ``slice-axial``/``-coronal``/``-sagittal``, ``surface``,
``measures``, ``downloads``.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from x2ct.app import display, page
from x2ct.app.examples import EXAMPLES_DIR, example_names
from x2ct.app.work import MAX_UPLOAD_MB, MEASURE_COLUMNS

INTRO = """# x2ct: a 3D spine from two radiographs
Add a **frontal** (AP/PA, patient right on the image left) and a **lateral** radiograph (anterior
on the image left), or pick an example pair made from phantoms no model was trained on. Then
press **Reconstruct**. Runs on this computer only; files are deleted when the server stops.
Research software: not for diagnosis."""


def build_page(model: str, root: Path):
    """The gradio Blocks of the page; ``root`` is the server's temporary folder."""
    import gradio as gr

    models, selected = page.model_choices(model)
    planes = display.PLANES
    with gr.Blocks(title="x2ct", delete_cache=(600, page.CACHE_SECONDS)) as blocks:
        gr.Markdown(INTRO)
        with gr.Row():
            model_box = gr.Dropdown(models, value=selected, label="model", elem_id="model")
            example_box = gr.Dropdown(
                [page.NO_EXAMPLE, *example_names()],
                value=page.NO_EXAMPLE,
                label="example pair (held-out phantom, with its truth)",
                elem_id="example",
            )
        with gr.Row():
            frontal = gr.File(
                label="frontal radiograph (PNG, JPEG, TIFF, DICOM)",
                file_types=page.UPLOAD_TYPES,
                type="filepath",
                elem_id="frontal",
            )
            lateral = gr.File(
                label="lateral radiograph (PNG, JPEG, TIFF, DICOM)",
                file_types=page.UPLOAD_TYPES,
                type="filepath",
                elem_id="lateral",
            )
        gallery = gr.Gallery(
            label="inputs, with the square the model cuts from each",
            columns=4,
            height=260,
            elem_id="preview",
        )
        preview_note = gr.Markdown(elem_id="preview-note")
        button = gr.Button("Reconstruct", variant="primary", elem_id="run")
        status = gr.Markdown(elem_id="status")
        window = gr.Radio(list(display.WINDOWS), value="bone", label="window", elem_id="window")
        images, sliders = [], []
        with gr.Row():
            for plane in planes:
                with gr.Column():
                    images.append(
                        gr.Image(
                            label=plane,
                            type="numpy",
                            format="png",
                            interactive=False,
                            elem_id=f"slice-{plane}",
                        )
                    )
                    sliders.append(gr.Slider(0, 63, value=32, step=1, label=f"{plane} slice"))
        with gr.Row():
            surface = gr.Model3D(
                label="bone surface (drag to turn)",
                clear_color=(1.0, 1.0, 1.0, 1.0),
                height=420,
                elem_id="surface",
            )
            with gr.Column():
                legend = gr.Markdown(elem_id="legend")
                figure = gr.Image(label="reconstruction figure", interactive=False)
        summary = gr.Markdown(elem_id="measures-summary")
        table = gr.Dataframe(
            headers=list(MEASURE_COLUMNS.values()),
            label="clinical measures per vertebra",
            interactive=False,
            wrap=True,
            elem_id="measures",
        )
        measures_figure = gr.Image(label="measures figure", interactive=False)
        downloads = gr.File(
            label="downloads: volume (NIfTI, HU), labels (NIfTI), bone surface (STL), measures (CSV)",
            file_count="multiple",
            interactive=False,
            elem_id="downloads",
        )
        state = gr.State(None)

        def choose_example(name: str, model_name: str):
            return page.handle(page.pick_example, name, model_name)

        def show_preview(front: str | None, side: str | None, model_name: str):
            items, note = page.preview(front, side, model_name)
            return items, note

        def reconstruct(front, side, model_name, example, window_name, progress=gr.Progress()):
            values = page.handle(
                page.run,
                front,
                side,
                model_name,
                example,
                window_name,
                root=root,
                cache=blocks.GRADIO_CACHE,
                progress=progress,
            )
            shape = values["state"]["hu"].shape
            middles = [display.plane_size(shape, plane) // 2 for plane in planes]
            pictures = page.slices(values["state"], window_name, *middles)
            rows = [list(row.values()) for row in values["measures"]]
            slider_updates = [
                gr.Slider(maximum=display.plane_size(shape, plane) - 1, value=middle)
                for plane, middle in zip(planes, middles, strict=True)
            ]
            return [
                values["status"],
                *pictures,
                *slider_updates,
                values["surface"],
                values["legend"],
                values["figure"],
                values["summary"],
                {"headers": list(MEASURE_COLUMNS.values()), "data": rows},
                values["measures_figure"],
                values["downloads"],
                values["state"],
            ]

        def forget_example():
            return page.NO_EXAMPLE

        def redraw(state_value, window_name, *indices):
            return page.slices(state_value, window_name, *indices)

        example_box.input(choose_example, [example_box, model_box], [frontal, lateral])
        model_box.input(choose_example, [example_box, model_box], [frontal, lateral])
        for box in (frontal, lateral):
            box.upload(forget_example, None, example_box)
            box.change(show_preview, [frontal, lateral, model_box], [gallery, preview_note])
        outputs: list[Any] = [status, *images, *sliders, surface, legend, figure, summary]
        outputs += [table, measures_figure, downloads, state]
        button.click(reconstruct, [frontal, lateral, model_box, example_box, window], outputs)
        for control in (window, *sliders):
            control.change(redraw, [state, window, *sliders], images, show_progress="hidden")
    return blocks


def theme():
    """gradio's default look with the browser's own fonts (nothing fetched from the internet)."""
    import gradio as gr

    return gr.themes.Default(font=page.SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"])


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    model: str = "default",
    block: bool = True,
) -> Any:
    """Serve the page on ``host``:``port`` (one reconstruction at a time: the CPU is shared).

    With ``block`` the call returns when the server stops (Ctrl+C) and the server's temporary
    folder is removed; without it, returns ``(blocks, root)`` with the server running in a
    thread (tests), and the caller closes it and removes ``root``.
    """
    root = Path(tempfile.mkdtemp(prefix="x2ct-app-"))
    page._offline_environment(root)
    if block:
        # `kill` (SIGTERM) ends the server like Ctrl+C, so the folder below is still removed
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        blocks = build_page(model, root)
        display.cached_predictor(page.model_choices(model)[1])  # load the model before serving
        blocks.queue(default_concurrency_limit=1)
        blocks.launch(
            server_name=host,
            server_port=port,
            max_file_size=f"{MAX_UPLOAD_MB:g}mb",
            allowed_paths=[str(EXAMPLES_DIR)],
            show_error=True,
            ssr_mode=False,
            pwa=False,
            theme=theme(),
            prevent_thread_lock=True,  # block_thread below, so the cleanup runs
            quiet=not block,
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    if not block:
        return blocks, root
    try:
        blocks.block_thread()
    finally:
        blocks.close()
        shutil.rmtree(root, ignore_errors=True)
    return None
