"""Training of the X2CT-GAN (``x2ct train``) and rebuilding a trained generator from its run.

- ``train(data, config, out, resume=False, ...) -> TrainResult`` (``loop``): one process or
  many under torchrun; writes the run folder (config.yaml, split.json, checkpoints/,
  metrics.csv, tensorboard/, validation/).
- ``load_run(run_dir, checkpoint='best'|'last'|epoch, device='cpu') -> (config, generator)``
  (``checkpoint``): what a predictor needs, from the run folder alone.
- ``lr_at(epoch, train_config)`` (``schedule``): the learning rate of an epoch.

Only ``x2ct.training.config`` is imported eagerly (``x2ct.config`` reads it with every
configuration); the rest loads on first use.
"""

from __future__ import annotations

from x2ct.lazy import lazy_exports

_EXPORTS = {
    "train": "loop",
    "TrainResult": "state",
    "load_run": "checkpoint",
    "checkpoint_path": "checkpoint",
    "lr_at": "schedule",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports("x2ct.training", _EXPORTS, globals())
