"""x2ct: 3D CT-like spine volumes from two plain radiographs.

The package is organised by pipeline stage (``io``, ``phantoms``, ``prepare``, ``drr``, ``xray``,
``data``, ``models``, ``training``, ``metrics``, ``inference``, ``measures``); the command line in
``x2ct.cli`` only parses arguments and calls them. Importing ``x2ct`` is cheap: stages that need
torch or MONAI import them when used.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("x2ct")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
