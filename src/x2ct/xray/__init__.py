"""2D radiograph preprocessing (the seed's steps and the aligned mode), shared by DRRs and real
radiographs. Attributes load on first use so that ``x2ct.xray.config`` stays light."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["preprocess", "preprocess_aligned", "preprocess_paper"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("x2ct.xray.preprocessing"), name)
    raise AttributeError(f"module 'x2ct.xray' has no attribute {name!r}")
