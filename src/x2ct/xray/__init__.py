"""2D radiograph preprocessing (the seed's steps and the aligned mode), shared by DRRs and real
radiographs. Attributes load on first use so that ``x2ct.xray.config`` stays light."""

from __future__ import annotations

from x2ct.lazy import lazy_exports

__all__ = ["preprocess", "preprocess_aligned", "preprocess_paper"]

__getattr__, __dir__ = lazy_exports("x2ct.xray", dict.fromkeys(__all__, "preprocessing"), globals())
