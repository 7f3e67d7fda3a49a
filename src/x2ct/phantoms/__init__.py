"""Synthetic spine CT phantoms with vertebra labels and exact ground truth (x2ct's default data).

``generate_phantom(seed, config)`` builds one case in memory; ``write_phantoms(out_dir, n, seed,
config, workers, preview)`` writes a CTSpine1K-like folder (volumes/, labels/, truth/, preview/).
See docs/phantoms.md for what is modelled, the sources of the numbers and the truth schema.

Only the config is imported eagerly, so ``x2ct.config`` (which collects every stage's config)
stays light; the generator and the writer load on first use.
"""

from typing import Any

from x2ct.phantoms.config import PhantomConfig

__all__ = ["Phantom", "PhantomConfig", "generate_phantom", "write_phantoms"]


def __getattr__(name: str) -> Any:
    if name in ("Phantom", "generate_phantom"):
        from x2ct.phantoms import generate

        return getattr(generate, name)
    if name == "write_phantoms":
        from x2ct.phantoms.writer import write_phantoms

        return write_phantoms
    raise AttributeError(f"module 'x2ct.phantoms' has no attribute '{name}'")
