"""Synthetic spine CT phantoms with vertebra labels and exact ground truth (x2ct's default data).

``generate_phantom(seed, config)`` builds one case in memory; ``write_phantoms(out_dir, n, seed,
config, workers, preview)`` writes a CTSpine1K-like folder (volumes/, labels/, truth/, preview/).
See docs/phantoms.md for what is modelled, the sources of the numbers and the truth schema.

Only the config is imported eagerly, so ``x2ct.config`` (which collects every stage's config)
stays light; the generator and the writer load on first use.
"""

from x2ct.lazy import lazy_exports
from x2ct.phantoms.config import PhantomConfig

__all__ = ["Phantom", "PhantomConfig", "generate_phantom", "write_phantoms"]


__getattr__, __dir__ = lazy_exports(
    "x2ct.phantoms",
    {"Phantom": "generate", "generate_phantom": "generate", "write_phantoms": "writer"},
    globals(),
)
