"""Training of both model families (``x2ct train``).

- ``train(data, config, out, resume=False, ...) -> TrainResult`` (``loop``): one process or
  many under torchrun; writes the run folder (config.yaml, split.json, checkpoints/,
  metrics.csv, tensorboard/, validation/).
- ``load_run(run_dir, checkpoint='best'|'last'|epoch, device='cpu') -> (config, generator)``
  (``checkpoint``): what a predictor needs, from the run folder alone.
- ``lr_at(epoch, train_config)`` (``schedule``): the learning rate of an epoch.
"""

from __future__ import annotations

from x2ct.models.runfolder import checkpoint_path, load_run
from x2ct.training.loop import train
from x2ct.training.schedule import lr_at
from x2ct.training.state import TrainResult

__all__ = ["TrainResult", "checkpoint_path", "load_run", "lr_at", "train"]
