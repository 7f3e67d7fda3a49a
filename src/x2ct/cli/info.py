"""``x2ct info``: versions, threads, devices; with ``--model`` the network sizes of a preset."""

from __future__ import annotations

import typer

from x2ct.cli.common import console, reports_errors


@reports_errors
def info(
    model: str = typer.Option(
        None,
        "--model",
        help="Preset name or YAML file: print the parameter counts of its networks.",
    ),
) -> None:
    """Show versions of x2ct, torch and numpy, CPU threads, the compute device and CUDA."""
    import platform

    import numpy
    import torch

    import x2ct

    cuda = torch.cuda.is_available()
    rows = [
        ("x2ct", x2ct.__version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("numpy", numpy.__version__),
        ("threads", str(torch.get_num_threads())),
        ("device", "cuda" if cuda else "cpu"),
        ("cuda available", "yes" if cuda else "no"),
    ]
    if cuda:
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        rows.append(("gpus", names))
    for key, value in rows:
        console.print(f"{key}: {value}", highlight=False)
    if model is not None:
        from x2ct.cli.model_info import print_model_info

        print_model_info(model)
