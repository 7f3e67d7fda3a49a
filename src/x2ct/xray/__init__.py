"""2D radiograph preprocessing (the seed's steps and the aligned mode), shared by DRRs and real
radiographs."""

from __future__ import annotations

from x2ct.xray.preprocessing import preprocess, preprocess_aligned, preprocess_paper

__all__ = ["preprocess", "preprocess_aligned", "preprocess_paper"]
