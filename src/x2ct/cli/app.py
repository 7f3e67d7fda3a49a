"""``x2ct app``: serve the local web page (the optional extra ``x2ct[app]``)."""

from __future__ import annotations

import typer

from x2ct.cli.common import console, fail, reports_errors


@reports_errors
def app_command(
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on; the default keeps the page on this computer.",
    ),
    port: int = typer.Option(7860, "--port", help="Port of the page."),
    model: str = typer.Option(
        "default",
        "--model",
        help="Model selected when the page opens: a shipped name (x2ct models), 'default', or a "
        "model folder.",
    ),
) -> None:
    """Serve a local web page: two radiographs in, slices, 3D bone surface and measures out."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise fail(
            # the backslash keeps rich from reading [app] as markup
            "x2ct app needs the optional web page packages: pip install 'x2ct\\[app]'"
            " (make setup installs them)"
        ) from None
    from x2ct.app.ui import serve

    console.print(
        f"x2ct app on http://{host}:{port}  (Ctrl+C stops it; its files are then deleted)",
        highlight=False,
    )
    serve(host, port, model=model)
