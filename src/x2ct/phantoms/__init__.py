"""Synthetic spine CT phantoms with vertebra labels and exact ground truth (x2ct's default data).

``generate_phantom(seed, config)`` builds one case in memory; ``write_phantoms(out_dir, n, seed,
config, workers, preview)`` writes a CTSpine1K-like folder (volumes/, labels/, truth/, preview/).
See docs/phantoms.md for what is modelled, the sources of the numbers and the truth schema.
"""

from x2ct.config.phantoms import PhantomConfig
from x2ct.phantoms.generate import Phantom, generate_phantom
from x2ct.phantoms.writer import write_phantoms

__all__ = ["Phantom", "PhantomConfig", "generate_phantom", "write_phantoms"]
