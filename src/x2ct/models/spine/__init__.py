"""SpineNet, the model family built to learn the spine (see ``network``), and its ray lifting."""

from x2ct.models.spine.lifting import LiftGeometry, RayLifter, lift_geometry, view_grids
from x2ct.models.spine.network import SpineNet

__all__ = ["LiftGeometry", "RayLifter", "SpineNet", "lift_geometry", "view_grids"]
