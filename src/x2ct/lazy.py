"""Lazy package attributes: names that load their submodule on first use.

``x2ct.config`` imports every stage's ``config`` module, which runs the stage package's
``__init__``; packages therefore export their heavy names (torch, scikit-image, MONAI users)
through ``lazy_exports`` so that reading a configuration stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(``__getattr__``, ``__dir__``) for ``package``: ``exports`` maps a name to its submodule.

    A resolved name is cached in the package's ``namespace`` (its ``globals()``), so the
    submodule is looked up once.
    """

    def get_attribute(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def list_names() -> list[str]:
        return sorted({*namespace, *exports})

    return get_attribute, list_names
